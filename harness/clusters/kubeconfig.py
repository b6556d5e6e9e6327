"""Target `kubeconfig`: a cluster that already exists (KUBECONFIG, ~/.kube/config or --kubeconfig)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes

from harness import proc
from harness.clusters.base import ClusterInfo
from harness.log import get_logger

log = get_logger("kubeconfig")
Runner = Callable[..., Any]


def default_kubeconfig() -> Path:
    """The file kubectl would use: the first entry of $KUBECONFIG, else ~/.kube/config."""
    env = os.environ.get("KUBECONFIG", "")
    first = next((p for p in env.split(os.pathsep) if p), "")
    return Path(first) if first else Path.home() / ".kube" / "config"


def probe_kubeconfig(
    kubeconfig: Path,
    context: str | None = None,
    timeout: float = 3.0,  # a probe's bound, not a wait
) -> tuple[bool, str]:
    """Does the (current) context of this kubeconfig answer /version within `timeout` seconds?"""
    if not kubeconfig.is_file():
        return False, f"no kubeconfig at {kubeconfig}"
    try:
        _contexts, current = kubernetes.config.list_kube_config_contexts(config_file=str(kubeconfig))
        name = context or (current or {}).get("name")
        if not name:
            return False, f"{kubeconfig} has no current context"
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(
            config_file=str(kubeconfig), context=name, client_configuration=configuration
        )
        configuration.retries = 0  # one attempt: an unreachable server must not hold auto-selection up
        with kubernetes.client.ApiClient(configuration) as api:
            version = kubernetes.client.VersionApi(api).get_code(_request_timeout=timeout)
        return True, f"context {name} at {configuration.host} answers /version ({version.git_version})"
    except Exception as exc:
        return False, f"current context of {kubeconfig} not reachable: {type(exc).__name__}: {str(exc)[:200]}"


class KubeconfigCluster:
    """An existing cluster; never started or stopped by the harness.

    Images: with `image_registry`, built images are tagged `<registry>/<repository>:<tag>` and pushed, and
    the deploy uses those names (ClusterInfo.notes["image_registry"]); without one they must already be on the
    nodes, which is checked against the images the nodes report.
    """

    name = "kubeconfig"

    def __init__(
        self,
        kubeconfig: Path | None = None,
        context: str | None = None,
        image_registry: str | None = None,
        runner: Runner = proc.run,
    ) -> None:
        self.kubeconfig = Path(kubeconfig) if kubeconfig else default_kubeconfig()
        self.context = context
        self.image_registry = image_registry.rstrip("/") if image_registry else None
        self.run = runner

    def available(self) -> tuple[bool, str]:
        return probe_kubeconfig(self.kubeconfig, self.context)

    def ensure_up(self) -> ClusterInfo:
        from harness.k8s import K8s

        ok, reason = self.available()
        if not ok:
            raise RuntimeError(
                f"target kubeconfig: {reason}; pass --kubeconfig FILE or choose another --target"
            )
        k8s = K8s(self.kubeconfig, self.context)
        notes = {"server_version": k8s.server_version(), "reachable": reason}
        if self.image_registry:
            notes["image_registry"] = self.image_registry
        return ClusterInfo(
            target=self.name,
            kubeconfig=self.kubeconfig,
            context=self.context,
            node_address=k8s.node_address(),
            started_by_us=False,
            notes=notes,
        )

    def load_images(self, images: list[str]) -> None:
        if self.image_registry:
            for ref in images:
                remote = f"{self.image_registry}/{ref}"
                self.run(["docker", "tag", ref, remote])
                self.run(["docker", "push", remote], stream=True)
            return
        from harness.k8s import K8s

        present = K8s(self.kubeconfig, self.context).node_images()
        missing = [
            ref for ref in images if not any(name == ref or name.endswith("/" + ref) for name in present)
        ]
        if missing:
            log.warning(
                "no --image-registry given and the nodes do not report these images: %s. They must be"
                " pullable by the nodes, or pass --image-registry HOST[:PORT] to push them.",
                ", ".join(missing),
            )

    def teardown(self) -> None:
        log.info("target kubeconfig: the cluster is not ours, nothing to stop")
