"""Steps that show the chart's NetworkPolicies in effect: each connection is opened from inside a real pod of
the release (`python3 -c` in its container) to a Service of the release."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from kubernetes import client
from pytest_bdd import parsers, then

from harness.clusters.base import ClusterInfo
from harness.k8s import K8s
from harness.release import Release
from harness.timeouts import Timeouts
from steps.evidence import Evidence
from steps.plugin import not_verified

# a TCP connect that says what happened: exit 0 = connected; 1 = denied (refused or rejected, as a policy's
# REJECT answers, or dropped: timed out); 2 = not tested (the name did not resolve, any other error) — a
# "cannot connect" check must not pass on a pod that could not have connected anywhere
DENIED, UNTESTED = 1, 2
CONNECT = """
import errno, socket, sys
try:
    socket.create_connection(({host!r}, {port}), timeout={timeout}).close()
    print("connected")
except (ConnectionRefusedError, ConnectionResetError, TimeoutError) as error:
    print(f"not connected: {{type(error).__name__}}: {{error}}")
    sys.exit(1)
except OSError as error:
    denied = error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM)
    print(f"{{'not connected' if denied else 'not tested'}}: {{type(error).__name__}}: {{error}}")
    sys.exit(1 if denied else 2)
"""


def _connect(
    release: Release,
    k8s: K8s,
    source: str,
    target: str,
    evidence: Evidence,
    timeouts: Timeouts,
    pod: client.V1Pod | None = None,
) -> tuple[bool, str]:
    if pod is None:
        pods = [
            p
            for p in k8s.pods(release.namespace, release.component_selector(source))
            if p.status.phase == "Running" and p.metadata.deletion_timestamp is None
        ]
        assert pods, f"no running {source} pod to connect from"
        pod = pods[0]
    service = k8s.services(release.namespace, release.component_selector(target))
    assert service, f"the release has no {target} Service"
    host = service[0].metadata.name
    port = service[0].spec.ports[0].port
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
    assert code in (0, DENIED), (
        f"the connection from {pod.metadata.name} to {host}:{port} was not tested (exit {code}): "
        f"{output.strip() or 'no output'}"
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


@pytest.fixture
def outsider_pod(release: Release, k8s: K8s, timeouts: Timeouts) -> Iterator[client.V1Pod]:
    """A pod in the release's namespace that no NetworkPolicy of the chart selects (not the release's labels),
    so nothing restricts its egress: what it reaches, the target's ingress policy let in. The release pods'
    own egress policies hide an ingress policy opened too wide from every source inside the release. It runs
    the backend's image (python, on the node already), as restricted as Pod Security "restricted" asks."""
    backend = k8s.apps.read_namespaced_deployment(release.deployment_name("backend"), release.namespace)
    image = backend.spec.template.spec.containers[0].image
    name = f"tcb-outsider-{secrets.token_hex(3)}"
    confined = client.V1SecurityContext(
        run_as_non_root=True,
        run_as_user=1001,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=client.V1Capabilities(drop=["ALL"]),
        seccomp_profile=client.V1SeccompProfile(type="RuntimeDefault"),
    )
    pod = client.V1Pod(
        # its own name as a label too: a pod left by a killed run must not be the one waited for
        metadata=client.V1ObjectMeta(
            name=name, labels={"app.kubernetes.io/name": "tcb-outsider", "tcb-outsider": name}
        ),
        spec=client.V1PodSpec(
            automount_service_account_token=False,
            enable_service_links=False,
            termination_grace_period_seconds=0,
            restart_policy="Never",
            containers=[
                client.V1Container(
                    name="outsider",
                    image=image,
                    image_pull_policy="IfNotPresent",
                    command=["python3", "-c", "import time; time.sleep(3600)"],
                    security_context=confined,
                    resources=client.V1ResourceRequirements(
                        requests={"cpu": "10m", "memory": "32Mi"}, limits={"cpu": "200m", "memory": "96Mi"}
                    ),
                )
            ],
        ),
    )
    k8s.core.create_namespaced_pod(release.namespace, pod)
    try:
        (running,) = k8s.wait_pods_ready(
            release.namespace, f"tcb-outsider={name}", count=1, timeout=timeouts.pods_ready
        )
        yield running
    finally:
        k8s.delete_pod(release.namespace, name, grace_period_seconds=0)


@then(parsers.parse("a pod outside the release cannot open a connection to {target}"))
def _denied_from_outside(
    release: Release,
    k8s: K8s,
    cluster_info: ClusterInfo,
    outsider_pod: client.V1Pod,
    target: str,
    evidence: Evidence,
    timeouts: Timeouts,
) -> None:
    # the control: the frontend admits every pod, so a pod outside the release that cannot reach it either
    # (no DNS, no route, a broken image) would make every "cannot connect" below pass without testing it
    reached, output = _connect(release, k8s, "outsider", "frontend", evidence, timeouts, pod=outsider_pod)
    assert reached, (
        f"the pod outside the release could not reach the frontend either, so it tests nothing: {output}"
    )
    connected, _ = _connect(release, k8s, "outsider", target, evidence, timeouts, pod=outsider_pod)
    if not connected:
        return
    enforcer = cluster_info.notes.get("network_policy")
    if not enforcer:
        not_verified(
            f"the {cluster_info.target} cluster does not enforce NetworkPolicy (a pod outside the release"
            f" reached {target}); its network plugin has no policy controller"
        )
    raise AssertionError(
        f"a pod outside the release (no policy restricts its egress) reached {target}: its NetworkPolicy"
        f" admits connections the chart does not allow ({enforcer})"
    )
