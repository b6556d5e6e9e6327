"""The diagnostics bundle never shows a secret: by key in values, by value in logs, events and dumps."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from types import SimpleNamespace as NS
from typing import Any, cast

import kubernetes
import pytest

from harness import diagnostics
from harness.diagnostics import REDACTED, bundle_summary, collect_bundle, redact_values, scrub
from harness.k8s import K8s

JWT_SECRET = "k3Jq9-very-secret-jwt-signing-value-0123456789"
PG_PASSWORD = "pg-Pass-7f3a9c"
DB_URL = f"postgresql+asyncpg://postgres:{PG_PASSWORD}@tcb-postgres:5432/postgres"


def test_values_under_secret_looking_keys_are_redacted_and_the_rest_kept():
    values: dict[str, Any] = {
        "secrets": {
            "betterAuthSecret": JWT_SECRET,
            "databaseUrl": DB_URL,
            "postgresPassword": PG_PASSWORD,
            "openrouterApiKey": "",
        },
        "backend": {"image": {"repository": "todo-chatbot/backend", "tag": "abc123"}, "replicaCount": 2},
        "chatbot": {"llm": {"api_key": "sk-123456"}},
    }
    redacted = redact_values(values)
    assert redacted["secrets"] == {
        "betterAuthSecret": REDACTED,
        "databaseUrl": REDACTED,
        "postgresPassword": REDACTED,
        "openrouterApiKey": "",
    }
    assert redacted["chatbot"]["llm"]["api_key"] == REDACTED
    assert redacted["backend"] == values["backend"]
    assert values["secrets"]["betterAuthSecret"] == JWT_SECRET  # the input is not modified


def test_scrub_replaces_the_longest_secret_first():
    text = f"connecting to {DB_URL} as {PG_PASSWORD}"
    assert scrub(text, [PG_PASSWORD, DB_URL]) == f"connecting to {REDACTED} as {REDACTED}"


def _pod(name: str, ready: bool, restarts: int = 0) -> Any:
    """A real client model (what the API returns): the bundle's describe fallback serialises it."""
    m = kubernetes.client
    state = (
        m.V1ContainerState(running=m.V1ContainerStateRunning())
        if ready
        else m.V1ContainerState(
            waiting=m.V1ContainerStateWaiting(reason="CrashLoopBackOff", message="back-off")
        )
    )
    status = m.V1ContainerStatus(
        name="app", ready=ready, restart_count=restarts, state=state, image="app:1", image_id="app@1"
    )
    return m.V1Pod(
        metadata=m.V1ObjectMeta(name=name),
        spec=m.V1PodSpec(containers=[m.V1Container(name="app")]),
        status=m.V1PodStatus(
            phase="Running",
            container_statuses=[status],
            init_container_statuses=[],
            conditions=[m.V1PodCondition(type="Ready", status="True" if ready else "False")],
        ),
    )


class FakeK8s:
    """Answers the reads collect_bundle makes, with logs and events that contain the secrets."""

    def __init__(self) -> None:
        self.kubeconfig = "/nonexistent"
        self.context = None
        self.api_client = kubernetes.client.ApiClient()
        secret = NS(
            data={
                "BETTER_AUTH_SECRET": base64.b64encode(JWT_SECRET.encode()).decode(),
                "DATABASE_URL": base64.b64encode(DB_URL.encode()).decode(),
            }
        )
        self.core = NS(list_namespaced_secret=lambda ns: NS(items=[secret]))
        self.pod_list = [_pod("tcb-backend-1", True), _pod("tcb-chatbot-1", False, restarts=3)]

    def pods(self, namespace):
        return self.pod_list

    def logs(self, namespace, pod, container=None, previous=False, tail_lines=None):
        return f"{'previous ' if previous else ''}log of {pod}: DATABASE_URL={DB_URL} secret={JWT_SECRET}\n"

    def events(self, namespace):
        when = datetime(2026, 1, 1, tzinfo=UTC)
        return [
            NS(
                type="Warning",
                reason="BackOff",
                count=4,
                message=f"restarting, token {JWT_SECRET}",
                involved_object=NS(kind="Pod", name="tcb-chatbot-1"),
                last_timestamp=when,
                event_time=None,
                first_timestamp=when,
                metadata=NS(creation_timestamp=when),
            )
        ]

    def workloads(self, namespace):
        return []


@pytest.fixture
def no_kubectl(monkeypatch):
    monkeypatch.setattr(diagnostics, "kubectl", lambda: None)


def test_bundle_has_logs_events_and_describe_with_every_secret_redacted(tmp_path, no_kubectl):
    bundle = collect_bundle(cast(K8s, FakeK8s()), "tcb-test", "tcb", tmp_path / "bundle")
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert {
        "pods.txt",
        "events.txt",
        "SUMMARY.txt",
        "logs/tcb-backend-1__app.log",
        "logs/tcb-chatbot-1__app.log",
        "logs/tcb-chatbot-1__app.previous.log",
        "describe/pod-tcb-chatbot-1.txt",
    } <= files
    assert "logs/tcb-backend-1__app.previous.log" not in files  # no restarts, no previous log
    for path in bundle.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert JWT_SECRET not in text and PG_PASSWORD not in text, path
    assert (
        f"DATABASE_URL={REDACTED} secret={REDACTED}" in (bundle / "logs/tcb-chatbot-1__app.log").read_text()
    )
    summary = bundle_summary(bundle)
    assert "2 pods, 1 not ready" in summary
    assert "tcb-chatbot-1 Running 0/1 ready restarts=3 [app waiting: CrashLoopBackOff (back-off)]" in summary
    assert "1 events, 1 warnings" in summary and "BackOff Pod/tcb-chatbot-1" in summary


def test_what_cannot_be_collected_is_written_down_not_raised(tmp_path, no_kubectl, monkeypatch):
    k8s = FakeK8s()

    def broken(namespace):
        raise ConnectionRefusedError("apiserver down")

    monkeypatch.setattr(k8s, "events", broken)
    bundle = collect_bundle(cast(K8s, k8s), "tcb-test", None, tmp_path / "b")
    assert "events: ConnectionRefusedError: apiserver down" in bundle_summary(bundle)
    assert (bundle / "pods.txt").is_file()


def test_a_container_that_never_started_has_no_log_and_no_error(tmp_path, no_kubectl):
    k8s = FakeK8s()
    k8s.pod_list = [_pod("tcb-frontend-1", False, restarts=0)]
    bundle = collect_bundle(cast(K8s, k8s), "tcb-test", None, tmp_path / "b")
    assert not (bundle / "logs").exists()
    assert "could not collect" not in bundle_summary(bundle)
    assert "tcb-frontend-1 Running 0/1 ready restarts=0 [app waiting: CrashLoopBackOff" in bundle_summary(
        bundle
    )
