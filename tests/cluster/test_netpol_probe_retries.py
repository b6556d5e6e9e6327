"""The probe's allowed path without a cluster: a Service that kube-proxy programs a moment late still counts
as reachable, a path that never connects still fails the check (naming what it saw)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cluster import netpol_probe


def _connects_after(tries: int) -> Any:
    seen: list[str] = []

    def connect(cluster: Any, namespace: str, client: str, target: str) -> netpol_probe.Outcome:
        seen.append(client)
        ok = client == "backend" and seen.count("backend") > tries
        return netpol_probe.Outcome(ok, f"{client} -> {target}: {'HTTP/1.0 200' if ok else 'exit 0'}")

    return connect


def test_a_service_programmed_a_moment_late_is_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netpol_probe, "connect", _connects_after(2))
    refused = netpol_probe.check_enforced(None, "ns", {"service": "10.96.0.9:8080"}, timeout=10)  # type: ignore[arg-type]
    assert set(refused) == {"service"}


def test_an_allowed_path_that_never_connects_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netpol_probe, "connect", _connects_after(10_000))
    with pytest.raises(AssertionError, match=r"allowed path broken \(service\).*exit 0"):
        netpol_probe.check_enforced(None, "ns", {"service": "10.96.0.9:8080"}, timeout=2)  # type: ignore[arg-type]
