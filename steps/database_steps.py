"""Steps for the database: outages answered with 503 + Retry-After, readiness as "this pod can serve",
recovery measured from the new Postgres pod's Ready time, and backup/restore into a fresh release."""

from __future__ import annotations

import secrets
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from kubernetes.client import V1Pod
from pytest_bdd import given, parsers, then, when

from harness import backup as db_backup
from harness import http_client
from harness.k8s import K8s, pod_ready
from harness.release import AppUrls, Release, ReleaseRestorer
from harness.timeouts import Timeouts
from harness.waits import wait_until
from steps import app_steps
from steps.app_steps import Conversation
from steps.cluster_steps import DeletedPod, scale_postgres
from steps.common_steps import RunningLoad, nodeport_url
from steps.evidence import Evidence
from steps.fixtures import User
from steps.second_release import SECOND_RELEASE_STEPS
from steps.session import HarnessSession

if TYPE_CHECKING:  # a step module is imported by pytest first, so that its asserts are rewritten
    from steps.second_release import SecondRelease

# Each service's role (chart/files/postgres-setup.sql): its connection limit, and the SQL that refuses it new
# connections and closes its open ones, so each of its pods' next readiness check must log in again.
SERVICE_ROLES = {"backend": "todo_backend", "chatbot": "todo_chatbot"}


def role_limit_sql(role: str) -> str:
    return f"SELECT rolconnlimit FROM pg_roles WHERE rolname = '{role}'"  # noqa: S608 - role: SERVICE_ROLES


def refuse_role_sql(role: str) -> str:
    # role: one of SERVICE_ROLES (constants), never input
    alter = f"ALTER ROLE {role} CONNECTION LIMIT 0;"
    close = f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '{role}';"  # noqa: S608
    return f"{alter} {close}"


# Issue 12: service is back this soon after the new Postgres pod is Ready.
RECOVERY_AFTER_READY_S = 5.0


def _postgres_pods(release: Release, k8s: K8s) -> list[V1Pod]:
    return [
        p
        for p in k8s.pods(release.namespace, release.component_selector("postgres"))
        if p.metadata.deletion_timestamp is None
    ]


def _ready_since(pod: V1Pod) -> datetime | None:
    for condition in (pod.status.conditions if pod.status else None) or []:
        if condition.type == "Ready" and condition.status == "True":
            return condition.last_transition_time
    return None


# ---- readiness: a pod whose database refuses its login ----


@pytest.fixture
def role_limits(release: Release, timeouts: Timeouts) -> Iterator[dict[str, int]]:
    """Each service role's connection limit, put back after the scenario whatever its outcome (the release is
    shared with later scenarios)."""
    limits = {
        role: int(db_backup.run_sql(release, role_limit_sql(role), timeout=timeouts.command))
        for role in SERVICE_ROLES.values()
    }
    yield limits
    for role, limit in limits.items():
        db_backup.run_sql(release, f"ALTER ROLE {role} CONNECTION LIMIT {limit:d};", timeout=timeouts.command)


@when(parsers.parse("the database refuses the {component}'s logins"))
def _refuse_logins(release: Release, role_limits: dict[str, int], component: str, timeouts: Timeouts) -> None:
    db_backup.run_sql(release, refuse_role_sql(SERVICE_ROLES[component]), timeout=timeouts.command)


@when(parsers.parse("the database admits the {component}'s logins again"))
def _admit_logins(release: Release, role_limits: dict[str, int], component: str, timeouts: Timeouts) -> None:
    role = SERVICE_ROLES[component]
    db_backup.run_sql(
        release, f"ALTER ROLE {role} CONNECTION LIMIT {role_limits[role]:d};", timeout=timeouts.command
    )


# ---- a database outage: pods stay, requests get 503 + Retry-After ----


# Scaling Postgres goes through cluster_steps.scale_postgres: release_restorer puts its replicas back when the
# scenario ends, whatever its outcome, so a failed scenario never leaves later ones without a database.


@when("the Postgres StatefulSet is stopped")
def _stop_postgres(release: Release, k8s: K8s, release_restorer: ReleaseRestorer, timeouts: Timeouts) -> None:
    scale_postgres(release, k8s, 0, release_restorer, timeouts)


@when("the Postgres StatefulSet is started again")
def _start_postgres(
    release: Release, k8s: K8s, release_restorer: ReleaseRestorer, timeouts: Timeouts
) -> None:
    scale_postgres(release, k8s, 1, release_restorer, timeouts)


@then("the Postgres pod is gone")
def _postgres_gone(release: Release, k8s: K8s, timeouts: Timeouts) -> None:
    def probe() -> tuple[bool, list[str]]:
        names = [p.metadata.name for p in k8s.pods(release.namespace, release.component_selector("postgres"))]
        return not names, names

    wait_until("the Postgres pod to be gone", probe, timeout=timeouts.pods_gone, interval=0.5)


@then(parsers.parse("for {seconds:d} seconds the {component} Service keeps {count:d} ready endpoints"))
def _keeps_endpoints(
    release: Release, k8s: K8s, seconds: int, component: str, count: int, evidence: Evidence
) -> None:
    service = release.deployment_name(component)  # the chart names a component's Service like its Deployment
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        addresses = k8s.endpoints_ready_addresses(release.namespace, service)
        seen.append(f"+{seconds - (deadline - time.monotonic()):.1f}s {len(addresses)}")
        assert len(addresses) == count, (
            f"service {service} had {len(addresses)} ready endpoints, not {count}: {', '.join(seen)}"
        )
        time.sleep(0.5)
    evidence.text(f"{component} endpoints while Postgres is away", "\n".join(seen))


def _task_request(url: str, token: str, timeouts: Timeouts) -> httpx.Response:
    return http_client.get(
        f"{url}/api/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=timeouts.request
    )


@then(
    parsers.parse(
        "a task request at NodePort {port:d} answers 503 with Retry-After within {seconds:d} seconds"
    )
)
def _answers_503(
    app_urls: AppUrls, load_user: User, port: int, seconds: int, evidence: Evidence, timeouts: Timeouts
) -> None:
    url = nodeport_url(app_urls, "backend", port)
    started = time.monotonic()
    response = _task_request(url, load_user.token, timeouts)
    took = time.monotonic() - started
    evidence.text("task request while Postgres is away", f"{response.status_code} {dict(response.headers)}")
    evidence.figure("503 answered in", round(took * 1000), "ms")
    assert response.status_code == 503, f"{response.status_code}: {response.text[:200]}"
    assert response.headers.get("Retry-After", "").isdigit(), f"no Retry-After: {dict(response.headers)}"
    assert took < seconds, f"the 503 took {took:.1f}s"


@then(
    parsers.parse(
        "a task request at NodePort {port:d} answers 200 within {seconds:d} seconds of Postgres being Ready"
    )
)
def _answers_200_after_ready(
    release: Release,
    k8s: K8s,
    app_urls: AppUrls,
    load_user: User,
    port: int,
    seconds: int,
    evidence: Evidence,
    timeouts: Timeouts,
) -> None:
    url = nodeport_url(app_urls, "backend", port)
    wait_until(
        "a ready Postgres pod",
        lambda: (bool(_ready_pods(release, k8s)), "none"),
        timeout=timeouts.pods_ready,
    )
    ready_at = _ready_since(_ready_pods(release, k8s)[0])
    assert ready_at is not None

    def probe() -> tuple[bool, str]:
        response = _task_request(url, load_user.token, timeouts)
        return response.status_code == 200, f"{response.status_code} {response.text[:120]}"

    wait_until("a task request to answer 200", probe, timeout=timeouts.recovery, interval=0.1)
    after = (datetime.now(UTC) - ready_at).total_seconds()
    evidence.figure("first 200 after Postgres Ready", round(after, 1), "s")
    # Ready's timestamp has 1 s resolution (rounded down): the figure may read up to 1 s long, never short
    assert after <= seconds + 1, f"the backend answered 200 only {after:.1f}s after Postgres was Ready"


def _ready_pods(release: Release, k8s: K8s) -> list[V1Pod]:
    return [p for p in _postgres_pods(release, k8s) if pod_ready(p)]


# ---- the resilience scenario's figures ----


@then(
    parsers.parse("the app serves again within {seconds:d} seconds of the new Postgres pod being Ready"),
    target_fixture="postgres_outage",
)
def _serves_after_ready(
    release: Release,
    k8s: K8s,
    load: RunningLoad,
    seconds: int,
    deleted_pod: DeletedPod,
    evidence: Evidence,
    timeouts: Timeouts,
) -> dict[str, Any]:
    pods = [p for p in _ready_pods(release, k8s) if p.metadata and p.metadata.uid != deleted_pod.uid]
    assert pods, "no new ready Postgres pod"
    ready_at = _ready_since(pods[0])
    assert ready_at is not None
    load.generator.wait_for_recovery(successes=10, timeout=timeouts.recovery)
    report = load.report(evidence)
    wall0: datetime = load.generator._wall0
    ready_offset = (ready_at - wall0).total_seconds()
    back_offset = (
        report.first_failure_s + report.recovery_time_s
        if report.first_failure_s is not None and report.recovery_time_s is not None
        else None
    )
    figures = {
        "requests": report.requests,
        "rps": round(report.rps, 1),
        "failed": report.failures,
        "statuses": report.status_histogram,
        "first failure (s after load start)": report.first_failure_s,
        "new Postgres pod Ready (s after load start, 1 s resolution)": round(ready_offset, 1),
        "service back (s after load start)": None if back_offset is None else round(back_offset, 2),
        "outage seen by clients (s)": None
        if report.recovery_time_s is None
        else round(report.recovery_time_s, 1),
    }
    evidence.json("Postgres restart under load", figures)
    if back_offset is not None:
        after_ready = back_offset - ready_offset
        evidence.figure("service back after Postgres Ready", round(after_ready, 1), "s")
        assert after_ready <= seconds + 1, (  # +1: Ready's timestamp is rounded down to the second
            f"service came back {after_ready:.1f}s after the new Postgres pod was Ready: {figures}"
        )
    return figures


@then("every failed request of the load was a 503, none refused or timed out")
def _failures_are_503(load: RunningLoad, evidence: Evidence) -> None:
    report = load.report(evidence)
    other = {
        status: n for status, n in report.status_histogram.items() if status not in ("200", "201", "503")
    }
    assert not other, f"failures other than 503 (error = refused, reset or timed out): {other}; " + "; ".join(
        report.failure_reasons[:5]
    )
    # a clean 503 tells the client when to come back (issue 12: "a clean 503 with Retry-After")
    assert not report.unavailable_without_retry_after, (
        f"{report.unavailable_without_retry_after} of the 503s came without Retry-After; "
        + "; ".join(report.failure_reasons[:5])
    )


# ---- backup and restore into a fresh release ----


@given(parsers.parse("the user has {count:d} tasks, some completed"), target_fixture="tasks_before")
def _user_tasks(load_user: User, count: int) -> list[dict[str, Any]]:
    for n in range(count):
        task = load_user.api.create_task(f"backup check {n} {secrets.token_hex(3)}", priority="high")
        if n % 3 == 0:
            load_user.api.update_task(task["number"], completed=True)
    return list(load_user.api.list_tasks(status="all"))


@given(parsers.parse("the user deleted task {number:d} by chat"), target_fixture="chat_before_backup")
def _deleted_by_chat(load_user: User, number: int, evidence: Evidence) -> Conversation:
    """A change the chat can undo, made before the backup: the conversation that remembers it (the chatbot's
    schema) must come back with the backup, or "undo" after the restore has nothing to undo."""
    conversation = Conversation()
    reply = app_steps._say(load_user, f"delete task {number}", conversation, evidence)
    deleted = [a.get("task_number") for a in reply["actions"] if a.get("type") == "deleted"]
    assert deleted == [number], f"'delete task {number}' answered {reply['reply']!r} ({reply['actions']})"
    status = load_user.api.raw("GET", f"/api/tasks/{number}").status_code
    assert status == 404, f"task {number} answers {status} after the chat deleted it"
    return conversation


@when("the release is backed up", target_fixture="backup_file")
def _backed_up(
    release: Release, harness_session: HarnessSession, evidence: Evidence, timeouts: Timeouts
) -> Path:
    path = harness_session.report_dir / "backups" / f"{release.namespace}.dump"
    result = db_backup.backup(release, path, timeout=timeouts.backup)
    evidence.figure("backup size", result.bytes, "bytes")
    evidence.figure("backup time", round(result.seconds, 1), "s")
    return path


@when(SECOND_RELEASE_STEPS[1], target_fixture="restored")
def _restored(
    second_release: SecondRelease, backup_file: Path, evidence: Evidence, timeouts: Timeouts
) -> SecondRelease:
    """Into the run's second release (steps/tls_steps.py): installed fresh in its own namespace."""
    took = db_backup.restore(second_release.release, backup_file, timeout=timeouts.backup)
    evidence.figure("restore time (backend and chatbot stopped and started)", round(took, 1), "s")
    # The rollout is complete when the new pod is Ready; its address reaches the Service's endpoints and the
    # node's kube-proxy rules a moment later (a login at once was refused). Users come back when it answers.
    started = time.monotonic()
    wait_until(
        f"the restored release's backend to answer {second_release.backend}/api/ready",
        lambda: _answers(f"{second_release.backend}/api/ready", timeouts.request),
        timeout=timeouts.app_answers,
        interval=0.25,
    )
    evidence.figure("backend answering after its rollout", round(time.monotonic() - started, 2), "s")
    return second_release


def _answers(url: str, timeout: float, verify: ssl.SSLContext | None = None) -> tuple[bool, str]:
    """(answers 200, what it answered); a refused connection raises, which `wait_until` counts as a look."""
    response = http_client.get(url, timeout=timeout, **({} if verify is None else {"verify": verify}))
    return response.status_code == 200, f"HTTP {response.status_code}"


@then(parsers.parse('"undo" in that conversation, on the fresh release, brings task {number:d} back'))
def _undo_after_restore(
    restored: SecondRelease,
    load_user: User,
    chat_before_backup: Conversation,
    tasks_before: list[dict[str, Any]],
    number: int,
    evidence: Evidence,
    timeouts: Timeouts,
) -> None:
    """The user logs in to the fresh release and says "undo" in the conversation of before the backup, through
    its HTTPS frontend (which proxies /api/chat): the task the chat deleted comes back as it was."""
    from harness.app_client import AppClient
    from harness.tls import ssl_context

    # The frontend left its Service while the restore stopped the backend ("ready" = can serve); users come
    # back through it once it answers again, and the chat through it once the restarted chatbot is in its
    # Service (a pod Ready a moment before its address reaches the node would answer the proxy with an error).
    verify = ssl_context(restored.bundle)
    started = time.monotonic()
    rel = restored.release
    chatbot = rel.service_name("chatbot")

    def chatbot_in_service() -> tuple[bool, list[str]]:
        addresses = rel.k8s.endpoints_ready_addresses(rel.namespace, chatbot)
        return bool(addresses), addresses

    wait_until(
        f"service {chatbot} of the restored release to have a ready endpoint",
        chatbot_in_service,
        timeout=timeouts.endpoints,
        interval=0.25,
    )
    wait_until(
        f"the restored release's frontend to answer {restored.frontend}/api/health",
        lambda: _answers(f"{restored.frontend}/api/health", timeouts.request, verify),
        timeout=timeouts.app_answers,
        interval=0.25,
    )
    evidence.figure("frontend answering after the restore", round(time.monotonic() - started, 2), "s")
    with AppClient(restored.backend) as api:
        api.login(load_user.email, load_user.password)
        transport = httpx.HTTPTransport(verify=verify)
        with AppClient(restored.frontend, api.token, transport=transport) as web:
            user = User(load_user.email, load_user.password, api.token or "", api, web)
            reply = app_steps._say(user, "undo", chat_before_backup, evidence)
        status = api.raw("GET", f"/api/tasks/{number}").status_code
    restored_numbers = [a.get("task_number") for a in reply["actions"] if a.get("type") == "restored"]
    assert status == 200 and restored_numbers == [number], (
        f"after the restore, 'undo' answered {reply['reply']!r} (actions {reply['actions']}) and task"
        f" {number} answers {status}: the conversation of before the backup did not come back with it"
    )
    assert any(t["number"] == number for t in tasks_before), f"task {number} was not among the user's tasks"


@then("the user logs in to the fresh release and finds every task")
def _finds_every_task(
    restored: SecondRelease, load_user: User, tasks_before: list[dict[str, Any]], evidence: Evidence
) -> None:
    from harness.app_client import AppClient

    with AppClient(restored.backend) as client:
        client.login(load_user.email, load_user.password)
        after = client.list_tasks(status="all")
    keys = ("number", "title", "completed", "priority", "due_date")
    before_rows = sorted(tuple(t[k] for k in keys) for t in tasks_before)
    after_rows = sorted(tuple(t[k] for k in keys) for t in after)
    evidence.json("tasks before backup / after restore", {"before": before_rows, "after": after_rows})
    assert after_rows == before_rows, (
        f"{len(before_rows)} tasks backed up, {len(after_rows)} found after restore"
    )
