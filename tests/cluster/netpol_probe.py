"""NetworkPolicy enforcement, probed the way the chart's policies are meant to work: a database pod that
only the backend may reach, a frontend that must be refused, through the database's Service and to its pod
IP. Used by test_network_policy.py (shared cluster) and isolated_cycle.py (with the controller stopped, to
show the probe fails when nothing enforces policies)."""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass

from harness.clusters.local import LocalCluster
from harness.proc import run
from harness.waits import wait_until

PORT = 8080


def manifest(namespace: str, image: str) -> str:
    def pod(name: str, command: str) -> str:
        return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{app: {name}}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {{name: main, image: "{image}", imagePullPolicy: Never, command: [sh, -c, "{command}"]}}
"""

    return "---".join(
        [
            pod("postgres", f"exec httpd -f -p {PORT} -h /etc"),  # stands in for the database
            pod("backend", "exec sleep 3600"),
            pod("frontend", "exec sleep 3600"),
            f"""
apiVersion: v1
kind: Service
metadata: {{name: postgres, namespace: {namespace}}}
spec: {{selector: {{app: postgres}}, ports: [{{port: {PORT}}}]}}
""",
            # like chart/templates/networkpolicy.yaml: deny ingress to the database, then allow the backend
            f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: postgres-deny-all, namespace: {namespace}}}
spec:
  podSelector: {{matchLabels: {{app: postgres}}}}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: postgres-from-backend, namespace: {namespace}}}
spec:
  podSelector: {{matchLabels: {{app: postgres}}}}
  policyTypes: [Ingress]
  ingress:
  - from: [{{podSelector: {{matchLabels: {{app: backend}}}}}}]
    ports: [{{port: {PORT}, protocol: TCP}}]
""",
        ]
    )


@dataclass
class Outcome:
    connected: bool
    detail: str


def connect(cluster: LocalCluster, namespace: str, client: str, target: str) -> Outcome:
    """Does pod `client` get an HTTP response from target (address:port)? (busybox nc: Debian's static
    busybox wget crashes in its resolver, even for an address.)"""
    kubectl = str(cluster.bins.k8s_bin("kubectl"))
    host, port = target.rsplit(":", 1)
    request = f'printf "GET /hostname HTTP/1.0\\r\\n\\r\\n" | nc -w 3 {host} {port}'
    started = time.monotonic()
    result = run(
        [
            kubectl,
            f"--kubeconfig={cluster.kubeconfig}",
            "-n",
            namespace,
            "exec",
            client,
            "--",
            "sh",
            "-c",
            request,
        ],
        check=False,
        quiet=True,
        timeout=30,
    )
    took = time.monotonic() - started
    answered = result.stdout.startswith("HTTP/1.")
    said = result.stdout.splitlines()[0] if answered else " / ".join(result.stderr.strip().splitlines())
    detail = f"{client} -> {target}: exit {result.returncode} in {took:.1f} s: {said}"
    return Outcome(answered, detail)


def install(cluster: LocalCluster, namespace: str) -> dict[str, str]:
    """Create the namespace, pods, Service and policies; return the database's pod IP and Service IP."""
    cluster.kubectl("create", "namespace", namespace, quiet=True)
    cluster.kubectl("apply", "-f", "-", input=manifest(namespace, cluster.busybox_image.ref), quiet=True)
    cluster.kubectl(
        "-n",
        namespace,
        "wait",
        "--timeout=120s",
        "--for=condition=Ready",
        "pod/postgres",
        "pod/backend",
        "pod/frontend",
    )
    pod = json.loads(cluster.kubectl("-n", namespace, "get", "pod", "postgres", "-o", "json", quiet=True))
    service = json.loads(
        cluster.kubectl("-n", namespace, "get", "service", "postgres", "-o", "json", quiet=True)
    )
    return {"pod": f"{pod['status']['podIP']}:{PORT}", "service": f"{service['spec']['clusterIP']}:{PORT}"}


def check_enforced(
    cluster: LocalCluster, namespace: str, targets: dict[str, str], timeout: float = 30
) -> dict:
    """Backend reaches the database (pod IP and Service); frontend is refused on both, within `timeout` of the
    policies being created. Raises AssertionError naming what was not enforced."""
    for name, target in targets.items():
        # a Service created a moment ago answers once kube-proxy has programmed it (its next sync, about a
        # second on an idle node, more on a busy one): the allowed path is retried within the same bound
        def allowed(target: str = target) -> tuple[bool, Outcome]:
            outcome = connect(cluster, namespace, "backend", target)
            return outcome.connected, outcome

        try:
            wait_until(f"backend -> postgres ({name}) to connect", allowed, timeout=timeout, interval=1)
        except TimeoutError as exc:
            raise AssertionError(f"allowed path broken ({name}): {exc}") from exc

    denied: dict[str, Outcome] = {}

    def refused() -> tuple[bool, str]:
        for name, target in targets.items():
            denied[name] = connect(cluster, namespace, "frontend", target)
        return not any(o.connected for o in denied.values()), "; ".join(o.detail for o in denied.values())

    try:
        wait_until(
            "frontend -> postgres to be refused by the NetworkPolicy", refused, timeout=timeout, interval=1
        )
    except TimeoutError as exc:
        raise AssertionError(
            f"NetworkPolicy not enforced: the frontend still reaches the database {timeout:.0f} s after the "
            f"policies were created ({exc}); is kube-router running? see {cluster.dir}/logs/kube-router.log"
        ) from exc
    return {name: o.detail for name, o in denied.items()}


def disable_enforcement(cluster: LocalCluster) -> None:
    """What a cluster without a policy controller looks like: kube-router stopped and its chains unhooked."""
    cluster._stop("kube-router")
    for line in run(["iptables-save", "-t", "filter"], quiet=True).stdout.splitlines():
        words = shlex.split(line)
        if (
            line.startswith("-A ")
            and words[1] in ("INPUT", "FORWARD", "OUTPUT")
            and "-j KUBE-ROUTER-" in line
        ):
            run(["iptables", "-t", "filter", "-D", *words[1:]], quiet=True)
