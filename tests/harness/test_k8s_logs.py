"""A container's log is read as text, line for line, whatever the client makes of the `str` endpoint (some
versions return `str(bytes)`: the whole log one line, its newlines escaped)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from harness.k8s import K8s

LOG = "INFO started\nDEBUG GET /api/health é\nWARNING it's 'quoted'\n"


class FakeCore:
    """What the API returns for a log: raw bytes when asked not to preload, else what this client did."""

    def __init__(self) -> None:
        self.asked: dict[str, Any] = {}

    def read_namespaced_pod_log(self, name: str, namespace: str, **kwargs: Any) -> Any:
        self.asked = {"name": name, "namespace": namespace, **kwargs}
        if kwargs.get("_preload_content") is False:
            return SimpleNamespace(data=LOG.encode())
        return str(LOG.encode())  # the client's own reading


def test_the_log_keeps_its_lines_and_characters() -> None:
    k8s = object.__new__(K8s)
    k8s.core = FakeCore()
    text = k8s.logs("ns", "pod-1", "app", tail_lines=5, since_seconds=30)
    assert text == LOG
    assert text.splitlines()[1] == "DEBUG GET /api/health é"
    assert k8s.core.asked["tail_lines"] == 5 and k8s.core.asked["since_seconds"] == 30
    assert "tail_lines" not in (k8s.logs("ns", "pod-1") and k8s.core.asked)  # unset options are not sent
