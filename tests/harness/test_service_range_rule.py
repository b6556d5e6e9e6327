"""The routing rule that keeps pods' Service-range packets on the node is added once, whether or not the pod
bridge exists yet (`ip rule show` marks the rule "[detached]" until the first pod makes the bridge), and
removed by the same spelling."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from harness.clusters import local_host

RULE = ["to", "10.96.0.0/12", "iif", "tcb-cni0", "prohibit", "priority", "100"]


@pytest.mark.parametrize(
    ("shown", "added"),
    [
        ("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n", True),
        ("100:\tfrom all to 10.96.0.0/12 iif tcb-cni0 [detached] prohibit\n", False),
        ("100:\tfrom all to 10.96.0.0/12 iif tcb-cni0 prohibit\n", False),
    ],
)
def test_the_rule_is_added_only_when_absent(shown: str, added: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def run(argv: list[str], **_: Any) -> Any:
        calls.append(argv)
        return SimpleNamespace(stdout=shown if argv[:3] == ["ip", "rule", "show"] else "")

    monkeypatch.setattr(local_host, "run", run)
    local_host.route_service_range_nowhere_from_pods("10.96.0.0/12", "tcb-cni0")
    assert (["ip", "rule", "add", *RULE] in calls) is added
    local_host.remove_service_range_route_rule("10.96.0.0/12", "tcb-cni0")
    assert calls[-1] == ["ip", "rule", "del", *RULE]
