"""tcb backup / restore without a cluster: a bad archive is refused before anything changes, and the commands
that run in the Postgres pod keep the superuser's password out of this machine's command line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest

from harness import backup
from harness.waits import WaitTimeout


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


class _StuckApps:
    """A release whose backend and chatbot pods never stop (a finalizer, a stuck kubelet): the restore's wait
    for them times out after the services were scaled to 0."""

    name, namespace, selector = "tcb", "ns", "app.kubernetes.io/instance=tcb"

    def __init__(self) -> None:
        self.replicas = {"tcb-backend": 2, "tcb-chatbot": 1}
        self.deleted: list[tuple[str, int | None]] = []
        self.k8s = self

    def component_selector(self, component: str) -> str:
        return f"{self.selector},app.kubernetes.io/component={component}"

    def deployment_name(self, component: str) -> str:
        return f"tcb-{component}"

    def pods(self, namespace: str, selector: str) -> list[SimpleNamespace]:
        ready = SimpleNamespace(conditions=[SimpleNamespace(type="Ready", status="True")])
        name = "tcb-postgres-0" if "postgres" in selector else "tcb-backend-stuck"
        return [SimpleNamespace(metadata=SimpleNamespace(name=name, deletion_timestamp=None), status=ready)]

    def deployment(self, namespace: str, name: str) -> SimpleNamespace:
        return SimpleNamespace(spec=SimpleNamespace(replicas=self.replicas[name]))

    def scale(self, namespace: str, name: str, replicas: int) -> None:
        self.replicas[name] = replicas

    def delete_pod(self, namespace: str, name: str, grace_period_seconds: int | None = None) -> None:
        self.deleted.append((name, grace_period_seconds))

    def wait_for_rollout(self, kind: str, name: str, namespace: str, timeout: float) -> float:
        return 0.0


def test_a_restore_that_fails_while_stopping_the_services_starts_them_again(tmp_path: Path) -> None:
    archive = tmp_path / "todo.dump"
    archive.write_bytes(b"PGDMP\x01\x0e\x00")
    release = _StuckApps()
    with pytest.raises(WaitTimeout, match="pods to stop for the restore"):
        backup.restore(release, archive, timeout=0.3)
    assert release.replicas == {"tcb-backend": 2, "tcb-chatbot": 1}, "the services were left stopped"


def test_a_restore_stops_the_services_without_their_prestop_drain(tmp_path: Path) -> None:
    """Every service pod stops for a restore, so none takes over their traffic: the pods are deleted at once
    instead of waiting out the 10 s drain (the stuck pods here never go, so the wait times out after the
    deletes)."""
    archive = tmp_path / "todo.dump"
    archive.write_bytes(b"PGDMP\x01\x0e\x00")
    release = _StuckApps()
    with pytest.raises(WaitTimeout):
        backup.restore(release, archive, timeout=0.3)
    assert release.deleted == [("tcb-backend-stuck", backup.RESTORE_STOP_GRACE)]
    assert backup.RESTORE_STOP_GRACE == 0
