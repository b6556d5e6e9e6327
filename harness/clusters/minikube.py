"""Target `minikube`: a minikube profile named `tcb`, started if missing (needs the minikube CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness import proc
from harness.clusters.base import ClusterInfo
from harness.log import get_logger
from harness.paths import CACHE, ensure

log = get_logger("minikube")
Runner = Callable[..., Any]


class MinikubeCluster:
    name = "minikube"

    def __init__(
        self, profile: str = "tcb", runner: Runner = proc.run, which: Callable[[str], str | None] = proc.which
    ) -> None:
        self.profile = profile
        self.run = runner
        self.which = which
        # minikube writes its context into $KUBECONFIG: a private file keeps the user's own config untouched
        self.kubeconfig = CACHE / "minikube" / f"{profile}.kubeconfig"
        self.started = False

    def available(self) -> tuple[bool, str]:
        if self.which("minikube") is None:
            return False, "minikube not found on PATH"
        return True, "minikube found on PATH"

    def _env(self) -> dict[str, str]:
        return {"KUBECONFIG": str(self.kubeconfig)}

    def running(self) -> bool:
        result = self.run(
            ["minikube", "status", "-p", self.profile, "-o", "json"], check=False, quiet=True, env=self._env()
        )
        try:
            return json.loads(result.stdout or "{}").get("Host") == "Running"
        except json.JSONDecodeError:
            return False

    def ensure_up(self) -> ClusterInfo:
        from harness.k8s import K8s

        ensure(self.kubeconfig.parent)
        if not self.running():
            log.info("starting minikube profile %s (a few minutes the first time)", self.profile)
            self.run(["minikube", "start", "-p", self.profile, "--wait=all"], stream=True, env=self._env())
            self.started = True
        else:
            self.run(["minikube", "update-context", "-p", self.profile], quiet=True, env=self._env())
        address = self.run(["minikube", "ip", "-p", self.profile], quiet=True, env=self._env()).stdout.strip()
        k8s = K8s(self.kubeconfig, self.profile)
        return ClusterInfo(
            target=self.name,
            kubeconfig=self.kubeconfig,
            context=self.profile,
            node_address=address,
            started_by_us=self.started,
            notes={"minikube_profile": self.profile, "server_version": k8s.server_version()},
        )

    def load_images(self, images: list[str]) -> None:
        for ref in images:
            self.run(["minikube", "image", "load", "-p", self.profile, ref], stream=True, env=self._env())

    def teardown(self) -> None:
        self.run(["minikube", "delete", "-p", self.profile], env=self._env())
