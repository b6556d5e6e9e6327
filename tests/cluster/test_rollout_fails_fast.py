"""A rollout that cannot succeed ends the wait within a minute, saying why, with the pod's events and last
log lines — instead of waiting out the whole deadline. Real Deployments on the local cluster."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from harness.clusters.base import ClusterInfo
from harness.k8s import K8s
from harness.waits import RolloutCannotSucceed

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

DEADLINE = 600  # what a wait that cannot end early would sit out


def deployment(
    name: str, image: str, command: list[str] | None = None, readiness: client.V1Probe | None = None
) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    termination_grace_period_seconds=1,
                    containers=[
                        client.V1Container(
                            name="main",
                            image=image,
                            image_pull_policy="IfNotPresent",
                            command=command,
                            readiness_probe=readiness,
                        )
                    ],
                ),
            ),
        ),
    )


def wait_ends_early(
    k8s: K8s, apps: client.AppsV1Api, namespace: str, dep: client.V1Deployment, name: str
) -> tuple[str, float]:
    apps.create_namespaced_deployment(namespace, dep)
    started = time.monotonic()
    with pytest.raises(RolloutCannotSucceed) as caught:
        k8s.wait_for_rollout("Deployment", name, namespace, timeout=DEADLINE)
    return str(caught.value), time.monotonic() - started


def test_a_crash_looping_container_ends_the_wait_with_its_log(
    local_cluster: ClusterInfo, apps: client.AppsV1Api, namespace: str, busybox_image: str
) -> None:
    k8s = K8s(local_cluster.kubeconfig, local_cluster.context)
    # with a readiness probe, as every app container of the chart has: without one, a container that exits at
    # once counts as Ready for a moment, and that moment completes the rollout (Kubernetes' own semantics)
    dep = deployment(
        "crasher",
        busybox_image,
        ["/bin/busybox", "sh", "-c", "echo cannot start: no config; exit 3"],
        readiness=client.V1Probe(
            _exec=client.V1ExecAction(command=["/bin/busybox", "true"]),
            initial_delay_seconds=2,
            period_seconds=1,
        ),
    )
    message, took = wait_ends_early(k8s, apps, namespace, dep, "crasher")
    assert took < 60, f"the wait took {took:.0f}s"
    assert "cannot succeed" in message and ("CrashLoopBackOff" in message or "restarted" in message), message
    assert "cannot start: no config" in message, "the container's last log lines are not in the report"
    assert "events" in message


def test_an_image_the_node_cannot_get_ends_the_wait(
    local_cluster: ClusterInfo, apps: client.AppsV1Api, namespace: str
) -> None:
    k8s = K8s(local_cluster.kubeconfig, local_cluster.context)
    dep = deployment("no-image", "todo-chatbot-test/does-not-exist:0000000000000")
    message, took = wait_ends_early(k8s, apps, namespace, dep, "no-image")
    assert took < 60, f"the wait took {took:.0f}s"
    assert any(r in message for r in ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull")), message


def test_a_healthy_rollout_is_not_cut_short(
    local_cluster: ClusterInfo, apps: client.AppsV1Api, namespace: str, httpd_image: str
) -> None:
    """The control: the same wait on a Deployment that can succeed returns normally."""
    k8s = K8s(local_cluster.kubeconfig, local_cluster.context)
    apps.create_namespaced_deployment(namespace, deployment("fine", httpd_image))
    assert k8s.wait_for_rollout("Deployment", "fine", namespace, timeout=120) < 120
