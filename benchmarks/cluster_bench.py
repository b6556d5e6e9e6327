"""Local cluster figures: cold build, warm `up` to node + CoreDNS Ready, pod replacement and scale-out times.

    .venv/bin/python benchmarks/cluster_bench.py            # pod replacement, scale-out, idempotent up
    .venv/bin/python benchmarks/cluster_bench.py --warm-up  # also a warm start of a second, isolated cluster

Targets: warm up <= 30 s, deleted pod -> replacement Ready <= 5 s, Deployment 2 -> 4 all Ready <= 6 s.
The cold build is not re-run (it takes ~11 min on 2 cores): the times of the last real build are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

from kubernetes import client, config

from harness.clusters import local_build
from harness.clusters.local import LocalCluster
from harness.proc import run
from harness.waits import wait_until


def _ready_pods(core: client.CoreV1Api, namespace: str) -> list[str]:
    pods = core.list_namespaced_pod(namespace, label_selector="app=bench").items
    return [
        p.metadata.name
        for p in pods
        if p.metadata.deletion_timestamp is None
        and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
    ]


def _deployment(image: str, replicas: int) -> client.V1Deployment:
    container = client.V1Container(
        name="httpd",
        image=image,
        image_pull_policy="Never",
        command=["httpd", "-f", "-p", "8080", "-h", "/etc"],  # serves any directory; only the port matters
        readiness_probe=client.V1Probe(tcp_socket=client.V1TCPSocketAction(port=8080), period_seconds=1),
    )
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name="bench"),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels={"app": "bench"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "bench"}),
                spec=client.V1PodSpec(containers=[container], termination_grace_period_seconds=1),
            ),
        ),
    )


def _volume_round(core: client.CoreV1Api, namespace: str, image: str, n: int) -> dict[str, float]:
    """A claim on the default StorageClass (WaitForFirstConsumer) and a pod using it: seconds from creating
    both until the claim is Bound and until the pod is Ready (what a fresh Postgres install waits for)."""
    claim = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name=f"data-{n}"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "1Mi"}),
        ),
    )
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=f"volume-{n}"),
        spec=client.V1PodSpec(
            termination_grace_period_seconds=0,
            containers=[
                client.V1Container(
                    name="main",
                    image=image,
                    image_pull_policy="Never",
                    command=["sh", "-c", "touch /data/ok && exec sleep 3600"],
                    volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")],
                    readiness_probe=client.V1Probe(
                        _exec=client.V1ExecAction(command=["test", "-f", "/data/ok"]), period_seconds=1
                    ),
                )
            ],
            volumes=[
                client.V1Volume(
                    name="data",
                    persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(
                        claim_name=f"data-{n}"
                    ),
                )
            ],
        ),
    )
    start = time.monotonic()
    core.create_namespaced_persistent_volume_claim(namespace, claim)
    core.create_namespaced_pod(namespace, pod)
    marks: dict[str, float] = {}

    def progress() -> tuple[bool, str]:
        if (
            "bound" not in marks
            and core.read_namespaced_persistent_volume_claim(f"data-{n}", namespace).status.phase == "Bound"
        ):
            marks["bound"] = time.monotonic() - start
        status = core.read_namespaced_pod(f"volume-{n}", namespace).status
        ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
        if ready:
            marks["ready"] = time.monotonic() - start
        return ready, f"{marks} phase {status.phase}"

    wait_until("the pod with a fresh volume to be Ready", progress, timeout=120, interval=0.05)
    core.delete_namespaced_pod(f"volume-{n}", namespace, grace_period_seconds=0)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warm-up",
        action="store_true",
        help="time a warm start (and teardown) of an isolated second cluster",
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cluster = LocalCluster()

    print("cold build (last real build, from", local_build.BUILD_TIMES, "):")
    if local_build.BUILD_TIMES.exists():
        for what, entry in json.loads(local_build.BUILD_TIMES.read_text()).items():
            print(f"  {entry['seconds']:8.1f} s  {what}  (finished {entry['finished']})")
    else:
        print("  no build recorded yet")

    if args.warm_up:
        # a second cluster in its own network namespace: the shared one keeps serving its users
        script = Path(__file__).resolve().parent.parent / "tests" / "cluster" / "isolated_cycle.py"
        report = json.loads(run(["unshare", "--net", "--", sys.executable, str(script)], timeout=900).stdout)
        print(
            f"warm up (binaries cached, empty state) to node + CoreDNS Ready: {report['warm_up_seconds']} s"
            f" (target <= 30 s); teardown {report['teardown_seconds']} s, leftovers: "
            + (", ".join(k for k, v in report["leftovers"].items() if v) or "none")
        )
    start = time.monotonic()
    info = cluster.ensure_up()
    print(f"ensure_up on a running cluster: {time.monotonic() - start:.2f} s")

    api = config.new_client_from_config(config_file=str(info.kubeconfig), context=info.context)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    namespace = f"tcb-bench-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    try:
        apps.create_namespaced_deployment(namespace, _deployment(cluster.busybox_image.ref, 2))
        wait_until("2 bench pods Ready", lambda: (len(_ready_pods(core, namespace)) == 2, "…"), timeout=120)

        replace_times = []
        for _ in range(args.rounds):
            victim = _ready_pods(core, namespace)[0]
            start = time.monotonic()
            core.delete_namespaced_pod(victim, namespace, grace_period_seconds=0)
            wait_until(
                "a replacement pod Ready",
                lambda v=victim: (  # type: ignore[misc]
                    len([p for p in _ready_pods(core, namespace) if p != v]) == 2,
                    _ready_pods(core, namespace),
                ),
                timeout=60,
                interval=0.05,
            )
            replace_times.append(time.monotonic() - start)
        print(
            f"deleted pod -> replacement Ready: median {statistics.median(replace_times):.2f} s "
            f"(rounds {', '.join(f'{t:.2f}' for t in replace_times)}; target <= 5 s)"
        )

        scale_times = []
        for _ in range(args.rounds):
            start = time.monotonic()
            apps.patch_namespaced_deployment_scale(
                namespace=namespace, name="bench", body={"spec": {"replicas": 4}}
            )
            wait_until(
                "4 bench pods Ready",
                lambda: (len(_ready_pods(core, namespace)) == 4, "…"),
                timeout=60,
                interval=0.05,
            )
            scale_times.append(time.monotonic() - start)
            apps.patch_namespaced_deployment_scale(
                namespace=namespace, name="bench", body={"spec": {"replicas": 2}}
            )
            wait_until("back to 2 pods", lambda: (len(_ready_pods(core, namespace)) == 2, "…"), timeout=60)
        print(
            f"Deployment scaled 2 -> 4 all Ready: median {statistics.median(scale_times):.2f} s "
            f"(rounds {', '.join(f'{t:.2f}' for t in scale_times)}; target <= 6 s)"
        )

        volume_rounds = [
            _volume_round(core, namespace, cluster.busybox_image.ref, n) for n in range(args.rounds)
        ]
        print(
            "fresh volume (claim + pod created) -> claim Bound / pod Ready: median "
            f"{statistics.median(r['bound'] for r in volume_rounds):.2f} s / "
            f"{statistics.median(r['ready'] for r in volume_rounds):.2f} s (rounds "
            + ", ".join(f"{r['bound']:.2f}/{r['ready']:.2f}" for r in volume_rounds)
            + ")"
        )
    finally:
        core.delete_namespace(namespace)


if __name__ == "__main__":
    main()
