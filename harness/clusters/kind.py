"""Target `kind`: a kind cluster named `tcb`, created if missing (needs the kind CLI and Docker)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import proc
from harness.clusters.base import ClusterInfo
from harness.log import get_logger
from harness.paths import CACHE, ensure

log = get_logger("kind")
Runner = Callable[..., Any]


class KindCluster:
    name = "kind"

    def __init__(
        self,
        cluster_name: str = "tcb",
        runner: Runner = proc.run,
        which: Callable[[str], str | None] = proc.which,
    ) -> None:
        self.cluster_name = cluster_name
        self.run = runner
        self.which = which
        self.kubeconfig = CACHE / "kind" / f"{cluster_name}.kubeconfig"
        self.created = False

    def available(self) -> tuple[bool, str]:
        if self.which("kind") is None:
            return False, "kind not found on PATH"
        if self.which("docker") is None:
            return False, "kind needs docker, which is not on PATH"
        return True, "kind and docker found on PATH"

    def exists(self) -> bool:
        out = self.run(["kind", "get", "clusters"], quiet=True).stdout
        return self.cluster_name in out.split()

    def ensure_up(self) -> ClusterInfo:
        from harness.k8s import K8s

        ensure(self.kubeconfig.parent)
        if not self.exists():
            log.info("creating kind cluster %s (a minute or two)", self.cluster_name)
            self.run(
                [
                    "kind",
                    "create",
                    "cluster",
                    "--name",
                    self.cluster_name,
                    "--kubeconfig",
                    self.kubeconfig,
                    "--wait",
                    "180s",
                ],
                stream=True,
            )
            self.created = True
        self.kubeconfig.write_text(
            self.run(["kind", "get", "kubeconfig", "--name", self.cluster_name], quiet=True).stdout
        )
        k8s = K8s(self.kubeconfig, None)
        # On Linux the node container's IP is routable from the host, so NodePorts answer there.
        return ClusterInfo(
            target=self.name,
            kubeconfig=self.kubeconfig,
            context=None,
            node_address=k8s.node_address(),
            started_by_us=self.created,
            notes={"kind_cluster": self.cluster_name, "server_version": k8s.server_version()},
        )

    def load_images(self, images: list[str]) -> None:
        if images:
            self.run(["kind", "load", "docker-image", "--name", self.cluster_name, *images], stream=True)

    def teardown(self) -> None:
        self.run(["kind", "delete", "cluster", "--name", self.cluster_name, "--kubeconfig", self.kubeconfig])
        Path(self.kubeconfig).unlink(missing_ok=True)
