"""The detect-secrets cache (harness.checks.repository): a file seen before is not scanned again, yet a
finding is reported from the cache as from a scan, and a file whose bytes change is scanned again. Each test
seeds a secret-looking value (an AWS-shaped key) and must find it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.checks import repository

# an AWS-shaped access key id: detect-secrets' AWSKeyDetector reports it (built here so this file holds none)
SEEDED = "AKIA" + "Z7QW4KXN2PLM5RTY"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setattr(repository, "secret_scan_cache", lambda: directory)
    return directory


def _scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file detect-secrets really scans."""
    from detect_secrets import SecretsCollection

    scanned: list[str] = []
    original = SecretsCollection.scan_file

    def scan_file(self: SecretsCollection, filename: str) -> None:
        scanned.append(Path(filename).name)
        original(self, filename)

    monkeypatch.setattr(SecretsCollection, "scan_file", scan_file)
    return scanned


def test_a_cached_finding_is_still_reported(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky = tmp_path / "settings.py"
    leaky.write_text(f'aws_key = "{SEEDED}"\n')
    clean = tmp_path / "clean.py"
    clean.write_text("print('nothing to see')\n")
    scanned = _scans(monkeypatch)

    cold = repository.scan_for_secret_looking_values([leaky, clean])
    assert [f.kind for f in cold] == ["AWS Access Key"], cold
    assert sorted(scanned) == ["clean.py", "settings.py"]

    scanned.clear()
    warm = repository.scan_for_secret_looking_values([leaky, clean])
    assert scanned == [], "a file already scanned was scanned again"
    assert warm == cold, "the cache changed what the scan reports"
    # the cache holds where and what, never the value
    assert all(SEEDED not in entry.read_text() for entry in cache.iterdir())


def test_a_changed_file_is_scanned_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "config.py"
    target.write_text("debug = True\n")
    assert repository.scan_for_secret_looking_values([target]) == []
    scanned = _scans(monkeypatch)

    target.write_text(f'debug = True\naws_key = "{SEEDED}"\n')  # a secret added to a file seen clean
    findings = repository.scan_for_secret_looking_values([target])
    assert scanned == ["config.py"]
    assert [(f.line, f.kind) for f in findings] == [(2, "AWS Access Key")]


def test_a_review_recorded_after_the_scan_applies_to_cached_findings(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "fixture.py"
    target.write_text(f'aws_key = "{SEEDED}"\n')
    [finding] = repository.scan_for_secret_looking_values([target])
    baseline = tmp_path / "reviewed.json"
    baseline.write_text(
        json.dumps({"reviewed": [{"type": finding.kind, "hashed_secret": finding.secret_hash}]})
    )
    original = repository.reviewed_values
    monkeypatch.setattr(repository, "reviewed_values", lambda: original(baseline))
    assert repository.scan_for_secret_looking_values([target]) == []


def test_a_torn_cache_entry_is_scanned_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "app.py"
    target.write_text(f'aws_key = "{SEEDED}"\n')
    assert len(repository.scan_for_secret_looking_values([target])) == 1
    for entry in cache.iterdir():
        entry.write_text("[[1, ")  # a half-written entry from a run that was killed
    assert len(repository.scan_for_secret_looking_values([target])) == 1


def _git(repo: Path, *argv: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)


def _new_repo(repo: Path) -> Path:
    """An empty git repository with a committer, for the history scans."""
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    return repo


def test_a_secret_only_in_the_history_is_found_cold_and_from_the_cache(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history scan keys a blob's cached findings by its bytes in memory and writes only new blobs out for
    detect-secrets: a key committed and then removed is found by a scan, then from the cache with no scan, and
    a blob that changes is scanned again."""
    repo = _new_repo(tmp_path / "repo")
    settings = repo / "settings.py"
    settings.write_text(f'aws_key = "{SEEDED}"\n')
    _git(repo, "add", "settings.py")
    _git(repo, "commit", "-qm", "leak")
    settings.write_text("aws_key = None\n")
    _git(repo, "commit", "-qam", "fix")
    scanned = _scans(monkeypatch)

    cold = repository.secret_scan_history(repo)
    found = [(f.where.split(":", 1)[1], f.line, f.kind) for f in cold]
    assert found == [("settings.py", 1, "AWS Access Key")]
    assert scanned == ["settings.py"]

    scanned.clear()
    warm = repository.secret_scan_history(repo)
    assert scanned == [], "a blob already scanned was written out and scanned again"
    assert warm == cold

    settings.write_text(f'aws_key = None\nsecond = "{SEEDED}"\n')  # a new blob once committed and replaced
    _git(repo, "commit", "-qam", "again")
    settings.write_text("aws_key = None\n")
    _git(repo, "commit", "-qam", "fixed again")
    scanned.clear()
    assert len(repository.secret_scan_history(repo)) == 2
    assert scanned == ["settings.py"]


# Two blobs of settings.py whose object names share their first 10 hex digits (found by a birthday search),
# each with a different AWS-shaped key: both are "bcba33a53c:settings.py" in a finding's `where`.
OTHER = "AKIA" + "Q3VB8MTR6YWK2NHD"
SAME_PREFIX = (f'aws_key = "{SEEDED}"\n# 919226\n', f'# 155610\nother_key = "{OTHER}"\n')


def test_two_history_blobs_shown_under_the_same_name_are_both_reported(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Findings are gathered per file scanned, not per label: two files shown under one label (here two blobs
    whose abbreviated names and paths agree) keep each their findings, cold and from the cache."""
    repo = _new_repo(tmp_path / "repo")
    settings = repo / "settings.py"
    for text in (*SAME_PREFIX, "aws_key = None\n"):
        settings.write_text(text)
        _git(repo, "add", "settings.py")
        _git(repo, "commit", "-qm", "change")
    for run in ("cold", "warm"):
        found = sorted((f.where, f.line) for f in repository.secret_scan_history(repo))
        assert found == [("bcba33a53c:settings.py", 1), ("bcba33a53c:settings.py", 2)], run


def test_a_blob_is_scanned_under_each_file_name_it_had(tmp_path: Path, cache: Path) -> None:
    """detect-secrets reads a file by its name: an unquoted keyword value is found in a .yaml, not in a .py.
    The same bytes committed as a.py and z.yaml (a.py listed first) are found as z.yaml, cold and cached."""
    repo = _new_repo(tmp_path / "repo")
    text = "db_" + "password: Xq7vR2mK9pLw4Tz\n"  # built here so this file holds no keyword value
    for name in ("a.py", "z.yaml"):
        (repo / name).write_text(text)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "both")
    _git(repo, "rm", "-q", "a.py", "z.yaml")
    _git(repo, "commit", "-qm", "gone")
    for run in ("cold", "warm"):
        found = [(f.where.split(":", 1)[1], f.kind) for f in repository.secret_scan_history(repo)]
        assert found == [("z.yaml", "Secret Keyword")], run
