"""tcb backup / restore without a cluster: a bad archive is refused before anything changes, and the commands
that run in the Postgres pod keep the superuser's password out of this machine's command line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest

from harness import backup


def test_a_file_that_is_not_a_pg_dump_archive_is_refused_naming_the_cause(tmp_path: Path) -> None:
    bogus = tmp_path / "todo.dump"
    bogus.write_text("SELECT 1;\n")
    with pytest.raises(backup.BackupError, match=r"not a pg_dump custom-format archive.*nothing was changed"):
        backup.check_archive(bogus)
    with pytest.raises(backup.BackupError, match="no backup archive at"):
        backup.check_archive(tmp_path / "missing.dump")
    real_header = tmp_path / "real.dump"
    real_header.write_bytes(b"PGDMP\x01\x0e\x00")
    backup.check_archive(real_header)  # the check passes what pg_dump --format=custom writes


def test_restore_of_a_bad_archive_touches_nothing_in_the_release(tmp_path: Path) -> None:
    bogus = tmp_path / "todo.dump"
    bogus.write_text("not an archive")
    release = mock.MagicMock()
    with pytest.raises(backup.BackupError):
        backup.restore(release, bogus)
    assert release.mock_calls == [], "the release was touched before the archive was checked"


def test_the_superuser_password_comes_from_the_pods_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "kubectl", lambda: "/usr/bin/kubectl")
    rel = SimpleNamespace(info=SimpleNamespace(kubeconfig=Path("/k/config"), context=None), namespace="ns")
    argv = backup._exec_argv(rel, "pg-0", backup._superuser("pg_dump -U postgres"), stdin=True)
    assert argv[:8] == ["/usr/bin/kubectl", "--kubeconfig", "/k/config", "-n", "ns", "exec", "-i", "pg-0"]
    assert argv[-1] == 'PGPASSWORD="$POSTGRES_PASSWORD" exec pg_dump -U postgres'


def test_the_restore_drops_the_schemas_and_aborts_on_a_bad_archive_in_one_transaction() -> None:
    script = backup.restore_script()
    assert (
        script.index("BEGIN;")
        < script.index("DROP SCHEMA IF EXISTS backend CASCADE")
        < script.index("COMMIT;")
    )
    # pg_restore failing must put a failing statement before COMMIT (ON_ERROR_STOP then stops psql)
    assert "pg_restore --no-comments -f - || echo" in script and "ON_ERROR_STOP=1" in script
    assert "$$" not in script, "sh would expand $$ to its pid"
