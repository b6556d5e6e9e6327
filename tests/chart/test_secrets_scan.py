"""detect-secrets over every file git tracks: no finding. A test fixture's fake credential is marked on its
line with `# pragma: allowlist secret`, so a real one added later is still caught."""

from __future__ import annotations

from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings

from harness.paths import REPO
from harness.proc import run


def test_no_secret_in_tracked_files() -> None:
    tracked = run(["git", "-C", REPO, "ls-files", "-z"], quiet=True).stdout.split("\0")
    files = [str(REPO / name) for name in tracked if name and (REPO / name).is_file()]
    assert len(files) > 20, "git ls-files listed almost nothing: is this the repo?"
    secrets = SecretsCollection(root=str(REPO))
    with default_settings():
        secrets.scan_files(*files)
    findings = [f"{name}:{secret.line_number}: {secret.type}" for name, secret in secrets]
    assert not findings, (
        "detect-secrets findings (move real secrets out of git; mark a test's fake one with "
        "`# pragma: allowlist secret` on its line):\n" + "\n".join(sorted(findings))
    )
