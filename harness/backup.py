"""Backup and restore of a release's in-chart PostgreSQL: pg_dump and pg_restore run in the Postgres pod (its
image has them, and the superuser may log in only over the pod's own socket), the archive streams through
`kubectl exec` to and from a file on this machine.

    backup(rel, Path("todo.dump"))    # custom-format archive of the application schemas (backend, chatbot)
    restore(rel, Path("todo.dump"))   # into this release, replacing what its schemas hold

A restore stops the backend and chatbot while it runs (scaled to 0, then back), so no request sees a
half-restored database and no pooled connection keeps plans for the replaced tables; it runs in one
transaction, so a bad archive changes nothing.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes.client.exceptions import ApiException

from harness.diagnostics import kubectl
from harness.k8s import pod_ready
from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS
from harness.waits import wait_until

log = get_logger("backup")

# The application's schemas (chart/files/postgres-setup.sql): one per service, owned by its role.
SCHEMAS = ("backend", "chatbot")
# pg_dump's custom format starts with these bytes; anything else is refused before the database is touched.
ARCHIVE_MAGIC = b"PGDMP"
APP_COMPONENTS = ("backend", "chatbot")
# The grace period with which the backend and chatbot pods are deleted for a restore: 0, at once (_stop_apps)
RESTORE_STOP_GRACE = 0


class BackupError(RuntimeError):
    pass


@dataclass
class BackupResult:
    path: Path
    bytes: int
    seconds: float
    pod: str


def postgres_pod(rel: Any) -> str:
    """The release's ready PostgreSQL pod (the in-chart database), or BackupError saying why there is none."""
    pods = rel.k8s.pods(rel.namespace, rel.component_selector("postgres"))
    ready = [p for p in pods if pod_ready(p) and p.metadata.deletion_timestamp is None]
    if not ready:
        seen = ", ".join(p.metadata.name for p in pods) or "none"
        raise BackupError(
            f"release {rel.name} in {rel.namespace} has no ready PostgreSQL pod (pods: {seen}): backup and "
            "restore need the in-chart database (postgres.enabled=true); with an external database use its "
            "own backup tools"
        )
    return str(ready[0].metadata.name)


def _exec_argv(rel: Any, pod: str, script: str, *, stdin: bool = False) -> list[str]:
    binary = kubectl()
    if binary is None:
        raise BackupError("kubectl not found: start the local cluster once (it builds kubectl) or install it")
    argv = [binary, "--kubeconfig", str(rel.info.kubeconfig)]
    if rel.info.context:
        argv += ["--context", rel.info.context]
    argv += ["-n", rel.namespace, "exec", *(["-i"] if stdin else []), pod, "-c", "postgres", "--"]
    # sh -c: the password comes from the container's own environment, never from this machine's command line
    return [*argv, "sh", "-c", script]


def _superuser(command: str) -> str:
    return f'PGPASSWORD="$POSTGRES_PASSWORD" exec {command}'


def backup(rel: Any, path: Path, timeout: float = DEFAULT_TIMEOUTS.backup) -> BackupResult:
    """Write a pg_dump archive (custom format) of the release's application schemas to `path`."""
    pod = postgres_pod(rel)
    schemas = " ".join(f"-n {shlex.quote(s)}" for s in SCHEMAS)
    script = _superuser(f'pg_dump -U postgres -d "$APP_DATABASE" --format=custom {schemas}')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # into a temporary file beside the target, renamed at the end: a failed dump leaves no partial archive
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as part:
        log.info("$ kubectl exec %s -- pg_dump %s > %s", pod, schemas, path)
        done = subprocess.run(
            _exec_argv(rel, pod, script), stdout=part, stderr=subprocess.PIPE, timeout=timeout, check=False
        )
    if done.returncode != 0:
        os.unlink(part.name)
        raise BackupError(f"pg_dump in {pod} failed: {done.stderr.decode(errors='replace').strip()[-800:]}")
    os.replace(part.name, path)
    size = path.stat().st_size
    took = time.monotonic() - started
    log.info("backup of %s/%s: %s, %d bytes in %.1fs", rel.namespace, rel.name, path, size, took)
    return BackupResult(path, size, took, pod)


def check_archive(path: Path) -> None:
    """Refuse anything that is not a pg_dump custom-format archive, before any change to the release."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup archive at {path}: give the file `tcb backup` wrote")
    with path.open("rb") as archive:
        head = archive.read(len(ARCHIVE_MAGIC))
    if head != ARCHIVE_MAGIC:
        raise BackupError(
            f"{path} is not a pg_dump custom-format archive (it starts with {head!r}, not {ARCHIVE_MAGIC!r}):"
            " restore takes the file `tcb backup` wrote; nothing was changed"
        )


def restore_script() -> str:
    """The shell pipeline run in the Postgres pod: the archive on stdin becomes SQL (pg_restore) and runs in
    one psql transaction after dropping the application schemas. Dropping them first (CASCADE), not
    pg_restore's --clean, lets an older backup go into a newer release whose schemas hold tables the archive
    lacks (the services migrate it to their current schema when they start). A pg_restore that fails mid-way
    makes the transaction fail too (dash has no pipefail), so a bad archive changes nothing."""
    drops = " ".join(f"DROP SCHEMA IF EXISTS {schema} CASCADE;" for schema in SCHEMAS)
    # a statement that fails with this text (no dollar quoting: the pipeline runs in sh)
    abort = "SELECT 'pg_restore could not read the archive'::int;"
    sql = (
        f"{{ echo 'SET client_min_messages = warning; BEGIN; {drops}';"
        f" pg_restore --no-comments -f - || echo \"{abort}\"; echo 'COMMIT;'; }}"
    )
    psql = _superuser('psql -U postgres -d "$APP_DATABASE" -X -q -o /dev/null -v ON_ERROR_STOP=1')
    return f"{sql} | {psql}"


def restore(rel: Any, path: Path, timeout: float = DEFAULT_TIMEOUTS.backup) -> float:
    """Replace the release's application schemas with the archive's; returns the seconds it took.

    The backend and chatbot are scaled to 0 for the restore and back to their replica counts afterwards (also
    when the restore fails). It runs in one transaction: on any error the database is unchanged.
    """
    check_archive(path)
    pod = postgres_pod(rel)
    started = time.monotonic()
    replicas = _app_replicas(rel)
    try:  # from the first scale-down: a stop that fails half-way still starts every service again
        _stop_apps(rel, replicas, timeout)
        script = restore_script()
        log.info("$ kubectl exec -i %s -- pg_restore < %s", pod, path)
        with Path(path).open("rb") as archive:
            done = subprocess.run(
                _exec_argv(rel, pod, script, stdin=True),
                stdin=archive,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            raise BackupError(
                f"pg_restore in {pod} failed, the database is unchanged: "
                f"{done.stderr.decode(errors='replace').strip()[-800:]}"
            )
    finally:
        _start_apps(rel, replicas, timeout)
    took = time.monotonic() - started
    log.info("restored %s into %s/%s in %.1fs", path, rel.namespace, rel.name, took)
    return took


def _app_replicas(rel: Any) -> dict[str, int]:
    """Each service Deployment's replicas, as the restore finds them (and puts them back)."""
    names = [rel.deployment_name(component) for component in APP_COMPONENTS]
    return {name: int(rel.k8s.deployment(rel.namespace, name).spec.replicas or 0) for name in names}


def _stop_apps(rel: Any, replicas: dict[str, int], timeout: float) -> None:
    for name in replicas:
        rel.k8s.scale(rel.namespace, name, 0)
    selector = ",".join([rel.selector, f"app.kubernetes.io/component in ({','.join(APP_COMPONENTS)})"])
    # Without the preStop drain (10 s): it keeps a pod serving while kube-proxy moves its traffic to the pods
    # that stay, and here none stays. Scaling to 0 has started that drain already, and the kubelet cannot cut
    # a running preStop short, so the pods are deleted at once instead (grace period 0): they leave the API
    # and every Service's endpoints now, and their containers, which no request reaches any more, end when
    # the drain does. A statement one of them still runs only delays the restore's DROP SCHEMA (a lock).
    for pod in rel.k8s.pods(rel.namespace, selector):
        try:
            rel.k8s.delete_pod(rel.namespace, pod.metadata.name, grace_period_seconds=RESTORE_STOP_GRACE)
        except ApiException as exc:
            if exc.status != 404:  # 404: gone already
                raise

    def gone() -> tuple[bool, str]:
        left = [p.metadata.name for p in rel.k8s.pods(rel.namespace, selector)]
        return not left, f"pods still running: {left}"

    # every pooled connection closes with its pod, so the restore replaces tables nobody holds
    wait_until("the backend and chatbot pods to stop for the restore", gone, timeout=timeout, interval=0.5)


def _start_apps(rel: Any, replicas: dict[str, int], timeout: float) -> None:
    for name, count in replicas.items():
        rel.k8s.scale(rel.namespace, name, count)
    for name in replicas:
        rel.k8s.wait_for_rollout("Deployment", name, rel.namespace, timeout)


def run_sql(rel: Any, sql: str, timeout: float = DEFAULT_TIMEOUTS.command) -> str:
    """Run SQL as the superuser in the release's application database (psql in the Postgres pod); its output.

    For operations and checks (a role's connection limit, a count), never for the app's own data path."""
    pod = postgres_pod(rel)
    script = _superuser('psql -U postgres -d "$APP_DATABASE" -X -q -t -A -v ON_ERROR_STOP=1')
    done = subprocess.run(
        _exec_argv(rel, pod, script, stdin=True),
        input=sql.encode(),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"psql in {pod} failed: {done.stderr.decode(errors='replace').strip()[-800:]}")
    return done.stdout.decode(errors="replace")
