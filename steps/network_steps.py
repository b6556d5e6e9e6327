"""Steps that show the chart's NetworkPolicies in effect: each connection is opened from inside a real pod of
the release (`python3 -c` in its container) to a Service of the release."""

from __future__ import annotations

from pytest_bdd import parsers, then

from harness.clusters.base import ClusterInfo
from harness.k8s import K8s
from harness.release import Release
from harness.timeouts import Timeouts
from steps.evidence import Evidence
from steps.plugin import not_verified

# a TCP connect that says what happened; exit 0 = connected, 1 = refused or dropped (timed out)
CONNECT = """
import socket, sys
try:
    socket.create_connection(({host!r}, {port}), timeout={timeout}).close()
    print("connected")
except OSError as error:
    print(f"not connected: {{type(error).__name__}}: {{error}}")
    sys.exit(1)
"""


def _connect(
    release: Release, k8s: K8s, source: str, target: str, evidence: Evidence, timeouts: Timeouts
) -> tuple[bool, str]:
    pods = [
        p
        for p in k8s.pods(release.namespace, release.component_selector(source))
        if p.status.phase == "Running" and p.metadata.deletion_timestamp is None
    ]
    assert pods, f"no running {source} pod to connect from"
    service = k8s.services(release.namespace, release.component_selector(target))
    assert service, f"the release has no {target} Service"
    host = service[0].metadata.name
    port = service[0].spec.ports[0].port
    pod = pods[0]
    code, output = k8s.exec_python(
        release.namespace,
        pod.metadata.name,
        # a dropped SYN is never answered: after connect_denied the connection is judged denied
        CONNECT.format(host=host, port=port, timeout=timeouts.connect_denied),
        container=pod.spec.containers[0].name,
        timeout=timeouts.connect_denied + 2 * timeouts.request,  # the connect, and the exec's round trips
    )
    evidence.text(
        f"{source} -> {target}", f"{pod.metadata.name} -> {host}:{port}: exit {code}: {output.strip()}"
    )
    return code == 0, output.strip()


@then(parsers.parse("a {source} pod can open a connection to {target}"))
def _allowed(
    release: Release, k8s: K8s, source: str, target: str, evidence: Evidence, timeouts: Timeouts
) -> None:
    connected, output = _connect(release, k8s, source, target, evidence, timeouts)
    assert connected, f"{source} could not reach {target}, which the chart allows: {output}"


@then(parsers.parse("a {source} pod cannot open a connection to {target}"))
def _denied(
    release: Release,
    k8s: K8s,
    cluster_info: ClusterInfo,
    source: str,
    target: str,
    evidence: Evidence,
    timeouts: Timeouts,
) -> None:
    connected, _ = _connect(release, k8s, source, target, evidence, timeouts)
    if not connected:
        return
    enforcer = cluster_info.notes.get("network_policy")
    if not enforcer:
        not_verified(
            f"the {cluster_info.target} cluster does not enforce NetworkPolicy ({source} reached {target});"
            " its network plugin has no policy controller"
        )
    raise AssertionError(
        f"{source} reached {target} although the chart's NetworkPolicy denies it ({enforcer})"
    )
