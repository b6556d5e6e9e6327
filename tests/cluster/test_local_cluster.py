"""The local target behaves like a real cluster: what a user of `tcb cluster up` relies on."""

from __future__ import annotations

import os
import signal
import ssl
import stat
from pathlib import Path
from typing import Any, TypeAlias

import httpx
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.clusters import local, local_build
from harness.clusters.base import ClusterInfo
from harness.waits import wait_until

pytestmark = pytest.mark.cluster

# Any, as in harness.k8s: the client's all-Optional models would need None checks the API makes needless
CoreApi: TypeAlias = Any
AppsApi: TypeAlias = Any
Service: TypeAlias = Any


def _deployment(name: str, image: str, replicas: int = 1) -> client.V1Deployment:
    labels = {"app": name}
    container = client.V1Container(
        name=name,
        image=image,
        image_pull_policy="IfNotPresent",
        ports=[client.V1ContainerPort(container_port=8080)],
        readiness_probe=client.V1Probe(
            http_get=client.V1HTTPGetAction(path="/", port=8080), period_seconds=1
        ),
        security_context=client.V1SecurityContext(
            allow_privilege_escalation=False, capabilities=client.V1Capabilities(drop=["ALL"])
        ),
    )
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[container], termination_grace_period_seconds=1),
            ),
        ),
    )


def _wait_available(apps: AppsApi, namespace: str, name: str, replicas: int = 1) -> None:
    def probe() -> tuple[bool, str]:
        status = apps.read_namespaced_deployment(name, namespace).status
        return (status.ready_replicas or 0) >= replicas, f"ready {status.ready_replicas}/{replicas}"

    wait_until(f"deployment {namespace}/{name} to have {replicas} ready pod(s)", probe, timeout=90)


def _run_pod(
    core: CoreApi,
    namespace: str,
    name: str,
    image: str,
    script: str,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> str:
    """Run a one-shot busybox pod to completion and return its log (fails if the pod fails)."""
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(
            restart_policy="Never",
            containers=[
                client.V1Container(
                    name="main",
                    image=image,
                    image_pull_policy="Never",
                    command=["sh", "-c", script],
                    volume_mounts=spec.pop("volume_mounts", None),
                )
            ],
            **spec,
        ),
    )
    core.create_namespaced_pod(namespace, pod)

    def finished() -> tuple[bool, str]:
        phase = core.read_namespaced_pod(name, namespace).status.phase
        return phase in ("Succeeded", "Failed"), phase

    phase = wait_until(f"pod {namespace}/{name} to finish", finished, timeout=90)
    log = core.read_namespaced_pod_log(name, namespace, _preload_content=False).data.decode()
    assert phase == "Succeeded", f"pod {name} {phase}; log:\n{log}"
    return log


@pytest.fixture
def web(apps: AppsApi, core: CoreApi, namespace: str, httpd_image: str) -> Service:
    """The locally built httpd image as a Deployment behind a NodePort Service."""
    apps.create_namespaced_deployment(namespace, _deployment("web", httpd_image))
    service = core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1ServiceSpec(
                type="NodePort",
                selector={"app": "web"},
                ports=[client.V1ServicePort(port=8080, target_port=8080)],
            ),
        ),
    )
    _wait_available(apps, namespace, "web")
    return service


def test_node_is_ready_with_the_pinned_version(core: CoreApi) -> None:
    node = core.read_node(local.NODE_NAME)
    ready = next(c for c in node.status.conditions if c.type == "Ready")
    assert ready.status == "True", ready.message
    assert node.status.node_info.kubelet_version == local_build.k8s_version()
    addresses = {a.type: a.address for a in node.status.addresses}
    assert addresses["InternalIP"] == local.NODE_IP


def test_ensure_up_finds_the_running_cluster_without_restarting_it(local_cluster: ClusterInfo) -> None:
    again = local.LocalCluster().ensure_up()
    assert again.kubeconfig == local_cluster.kubeconfig
    assert not again.started_by_us
    assert all(state.endswith("(healthy)") for state in local.LocalCluster().status().values())


def test_ensure_up_restarts_a_dead_component(local_cluster: ClusterInfo) -> None:
    cluster = local.LocalCluster()
    pid = int((cluster.dir / "run" / "kube-scheduler.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    wait_until(
        "the scheduler to die", lambda: (cluster.status()["kube-scheduler"] == "stopped", "alive"), timeout=10
    )
    again = cluster.ensure_up()
    assert not again.started_by_us  # the cluster was up; only the scheduler was started
    assert cluster.status()["kube-scheduler"].endswith("(healthy)")
    assert int((cluster.dir / "run" / "kube-scheduler.pid").read_text()) != pid


def test_local_image_deployment_answers_on_its_node_port(
    web: Service, local_cluster: ClusterInfo, httpd_page: str
) -> None:
    node_port = web.spec.ports[0].node_port
    for address in (local_cluster.node_address, local.NODE_IP):
        url = f"http://{address}:{node_port}/"

        def answers(url: str = url) -> tuple[bool, str]:
            response = httpx.get(url, timeout=5)
            return response.status_code == 200, f"{response.status_code} {response.text[:100]!r}"

        # kube-proxy programs the new Service a moment after the pod turns Ready
        wait_until(f"{url} to answer", answers, timeout=30)
        assert httpx.get(url, timeout=5).text == httpd_page


def test_pod_reaches_a_service_by_its_dns_name(
    web: Service, core: CoreApi, namespace: str, busybox_image: str, httpd_page: str
) -> None:
    log = _run_pod(
        core,
        namespace,
        "dns-client",
        busybox_image,
        f"nslookup web.{namespace}.svc.cluster.local && "
        # the Service's rules appear a moment after the pod turns Ready: retry like a client would
        "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web:8080/ && exit 0; sleep 1; done; exit 1",
        dns_policy="ClusterFirst",
    )
    assert web.spec.cluster_ip in log
    assert httpd_page.strip() in log


def test_unknown_service_address_is_refused_on_the_node(local_cluster: ClusterInfo) -> None:
    """A Service IP kube-proxy has not programmed fails at once on the node instead of leaving the machine."""
    unprogrammed = "10.111.222.33"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{unprogrammed}:8080/", timeout=3)
    # while a programmed one (the API server's `kubernetes` Service) still answers from the host
    ca = local_cluster.kubeconfig.parent / "pki" / "ca.crt"
    tls = ssl.create_default_context(cafile=str(ca))
    response = httpx.get(f"https://{local.SERVICE_IP}/version", verify=tls, timeout=5)
    assert response.status_code in (200, 401, 403)


@pytest.mark.parametrize("policy", ["no NetworkPolicy", "a NetworkPolicy denying all ingress"])
def test_a_pods_request_to_a_service_address_without_endpoints_is_refused_on_the_node(
    core: CoreApi, api: client.ApiClient, namespace: str, busybox_image: str, policy: str
) -> None:
    """From a pod (FORWARD, where kube-router ACCEPTs what a pod without NetworkPolicy sends, before
    kube-proxy's "has no endpoints" rule): a Service with no endpoints, and an address no Service has, are
    refused on the node at once, as kube-proxy means them to be. They used to follow the default route out of
    the machine, where something answered HTTP 404; then (a routing rule) a pod under a NetworkPolicy never
    saw the node's ICMP error and its connections timed out."""
    if policy != "no NetworkPolicy":
        client.NetworkingV1Api(api).create_namespaced_network_policy(
            namespace,
            client.V1NetworkPolicy(
                metadata=client.V1ObjectMeta(name="deny-ingress"),
                spec=client.V1NetworkPolicySpec(
                    pod_selector=client.V1LabelSelector(match_labels={"role": "guarded"}),
                    policy_types=["Ingress"],
                ),
            ),
        )
    empty = core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="empty"),
            spec=client.V1ServiceSpec(selector={"app": "nothing"}, ports=[client.V1ServicePort(port=8080)]),
        ),
    )
    log = _run_pod(
        core,
        namespace,
        "leak-probe",
        busybox_image,
        # `timeout`: a connection that is not refused shows as "Terminated" instead of hanging the pod
        f"for address in {empty.spec.cluster_ip} 10.111.222.33; do "
        'echo "== $address"; timeout 8 wget -qO- "http://$address:8080/" 2>&1; echo "exit $?"; done',
        labels={"role": "guarded"},
    )
    answers = log.split("== ")[1:]
    assert len(answers) == 2, log
    for answer in answers:
        assert "exit 0" not in answer and "server returned error" not in answer, (
            f"a pod's request to a Service address with no endpoints got an answer (it left the node): {log}"
        )
        assert "Connection refused" in answer, f"not refused on the node at once ({policy}): {log}"


def test_deleted_pod_is_replaced(web: Service, apps: AppsApi, core: CoreApi, namespace: str) -> None:
    (old,) = core.list_namespaced_pod(namespace, label_selector="app=web").items
    core.delete_namespaced_pod(old.metadata.name, namespace)

    def replaced() -> tuple[bool, str]:
        pods = core.list_namespaced_pod(namespace, label_selector="app=web").items
        ready = [
            p.metadata.name
            for p in pods
            if p.metadata.name != old.metadata.name
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
        ]
        return bool(ready), f"pods {[p.metadata.name + ':' + str(p.status.phase) for p in pods]}"

    wait_until("a Ready replacement pod", replaced, timeout=60)


def test_volume_claim_binds_and_keeps_data_across_pods(
    core: CoreApi, namespace: str, busybox_image: str
) -> None:
    core.create_namespaced_persistent_volume_claim(
        namespace,
        client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name="data"),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"],
                resources=client.V1VolumeResourceRequirements(requests={"storage": "64Mi"}),
            ),
        ),
    )
    volume = dict(
        volumes=[
            client.V1Volume(
                name="data",
                persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name="data"),
            )
        ],
        volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")],
        security_context=client.V1PodSecurityContext(run_as_user=1000, run_as_group=1000),
    )
    _run_pod(core, namespace, "writer", busybox_image, "echo kept-across-pods > /data/proof", **dict(volume))
    assert core.read_namespaced_persistent_volume_claim("data", namespace).status.phase == "Bound"
    core.delete_namespaced_pod("writer", namespace, grace_period_seconds=0)
    wait_until(
        "the writer pod to be gone",
        lambda: (
            "writer" not in [p.metadata.name for p in core.list_namespaced_pod(namespace).items],
            "still there",
        ),
        timeout=30,
    )
    assert (
        _run_pod(core, namespace, "reader", busybox_image, "cat /data/proof", **dict(volume))
        == "kept-across-pods\n"
    )


def test_a_claims_volume_is_a_world_writable_directory_under_the_root_removed_with_the_claim(
    core: CoreApi, namespace: str, busybox_image: str, local_cluster: ClusterInfo
) -> None:
    """tcb-provisioner makes the directory itself (mode 0777: a non-root pod writes to it) and removes it
    when the claim (reclaim policy Delete) goes."""
    root = Path(local_cluster.notes["state_dir"]) / "data" / "volumes"
    core.create_namespaced_persistent_volume_claim(
        namespace,
        client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name="scratch"),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"],
                resources=client.V1VolumeResourceRequirements(requests={"storage": "16Mi"}),
            ),
        ),
    )
    _run_pod(
        core,
        namespace,
        "writer",
        busybox_image,
        "echo written-by-1000 > /data/proof",
        volumes=[
            client.V1Volume(
                name="data",
                persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name="scratch"),
            )
        ],
        volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")],
        security_context=client.V1PodSecurityContext(run_as_user=1000, run_as_group=1000),
    )
    pv_name = core.read_namespaced_persistent_volume_claim("scratch", namespace).spec.volume_name
    pv = core.read_persistent_volume(pv_name)
    assert pv.metadata.annotations["pv.kubernetes.io/provisioned-by"] == local_build.PROVISIONER_NAME
    directory = Path(pv.spec.host_path.path)
    assert directory.parent == root, f"{directory} is not directly under {root}"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o777
    assert (directory / "proof").read_text() == "written-by-1000\n"
    assert (directory / "proof").stat().st_uid == 1000
    terms = pv.spec.node_affinity.required.node_selector_terms
    assert terms[0].match_expressions[0].values == [local.NODE_NAME]

    core.delete_namespaced_pod("writer", namespace, grace_period_seconds=0)
    core.delete_namespaced_persistent_volume_claim("scratch", namespace)

    def removed() -> tuple[bool, str]:
        names = [v.metadata.name for v in core.list_persistent_volume().items]
        return not directory.exists() and pv_name not in names, (
            f"directory exists: {directory.exists()}, PV listed: {pv_name in names}"
        )

    wait_until("the claim's directory and PV to be removed", removed, timeout=60)


def test_a_volume_whose_path_is_outside_the_volumes_root_is_refused(
    core: CoreApi, namespace: str, tmp_path: Path
) -> None:
    """A released PV of ours that names a host directory elsewhere (anyone who may write PVs can make one):
    the provisioner refuses to delete it, says why in an event, and the directory keeps its data."""
    outside = tmp_path / "host-data"
    outside.mkdir()
    (outside / "keep").write_text("host data")
    name = f"{namespace}-outside"
    core.create_persistent_volume(
        client.V1PersistentVolume(
            metadata=client.V1ObjectMeta(
                name=name, annotations={"pv.kubernetes.io/provisioned-by": local_build.PROVISIONER_NAME}
            ),
            spec=client.V1PersistentVolumeSpec(
                capacity={"storage": "1Mi"},
                access_modes=["ReadWriteOnce"],
                persistent_volume_reclaim_policy="Delete",
                storage_class_name="standard",
                host_path=client.V1HostPathVolumeSource(path=str(outside)),
                # bound to a claim that does not exist: the PV controller marks it Released at once
                claim_ref=client.V1ObjectReference(
                    namespace=namespace, name="gone", uid="00000000-0000-0000-0000-000000000001"
                ),
            ),
        )
    )
    try:

        def refused() -> tuple[bool, str]:
            events = core.list_event_for_all_namespaces(field_selector=f"involvedObject.name={name}").items
            seen = [f"{e.reason}: {e.message}" for e in events]
            ok = any(e.reason == "VolumeFailedDelete" and "refusing" in e.message for e in events)
            return ok, str(seen)

        wait_until(f"a VolumeFailedDelete event refusing {outside}", refused, timeout=60)
        assert (outside / "keep").read_text() == "host data"
        assert core.read_persistent_volume(name).status.phase in ("Released", "Failed")
    finally:
        core.delete_persistent_volume(name)


def test_restricted_namespace_rejects_a_privileged_pod(
    core: CoreApi, namespace: str, busybox_image: str
) -> None:
    core.patch_namespace(
        namespace, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    )
    privileged = client.V1Pod(
        metadata=client.V1ObjectMeta(name="privileged"),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="main",
                    image=busybox_image,
                    command=["sleep", "3600"],
                    security_context=client.V1SecurityContext(privileged=True),
                )
            ]
        ),
    )
    with pytest.raises(ApiException) as rejected:
        core.create_namespaced_pod(namespace, privileged)
    assert rejected.value.status == 403
    assert "violates PodSecurity" in str(rejected.value.body)
    assert core.list_namespaced_pod(namespace).items == []
