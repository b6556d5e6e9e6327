"""Choosing a cluster target: an explicit `--target`, or `auto` — the first usable of a reachable current
kubeconfig context, kind, minikube and the project's own `local` cluster. Why each was skipped is recorded."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.clusters.base import Cluster, ClusterInfo
from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts

log = get_logger("target")

TARGETS = ("kubeconfig", "kind", "minikube", "local")
AUTO_ORDER = TARGETS


def keep_local_cluster() -> bool:
    """TCB_KEEP_CLUSTER=1 keeps a `local` cluster the run (or test session) started; any other value, "0"
    included, or none lets it stop at the end."""
    return os.environ.get("TCB_KEEP_CLUSTER") == "1"


@dataclass
class TargetChoice:
    cluster: Cluster
    reason: str  # why this target was chosen
    skipped: dict[str, str] = field(default_factory=dict)  # target -> why auto passed it over
    reuse: bool = False  # leave the cluster running at the end even if this run started it

    def stops_at_end(self, info: ClusterInfo) -> bool:
        """Whether the run stops this cluster when it ends: only one it started itself, unless --reuse-cluster
        (or, for the `local` cluster, TCB_KEEP_CLUSTER=1) keeps it."""
        keep_local = info.target == "local" and keep_local_cluster()
        return info.started_by_us and not self.reuse and not keep_local

    def describe(self) -> str:
        text = f"{self.cluster.name}: {self.reason}"
        if self.skipped:
            text += "; skipped " + "; ".join(f"{name} ({why})" for name, why in self.skipped.items())
        return text


def make_target(
    name: str,
    *,
    kubeconfig: Path | None = None,
    image_registry: str | None = None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> Cluster:
    """Construct (without starting anything) the target called `name`; `timeouts` bound its start waits."""
    if name == "kubeconfig":
        from harness.clusters.kubeconfig import KubeconfigCluster

        return KubeconfigCluster(kubeconfig, image_registry=image_registry)
    if name == "kind":
        from harness.clusters.kind import KindCluster

        return KindCluster()
    if name == "minikube":
        from harness.clusters.minikube import MinikubeCluster

        return MinikubeCluster()
    if name == "local":
        from harness.clusters.local import LocalCluster

        return LocalCluster(timeouts=timeouts)
    raise ValueError(f"unknown target {name!r}: choose one of auto, {', '.join(TARGETS)}")


def choose_target(
    name: str = "auto",
    *,
    kubeconfig: Path | None = None,
    reuse: bool = False,
    image_registry: str | None = None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    factory: Callable[[str], Cluster] | None = None,
    order: Sequence[str] = AUTO_ORDER,
) -> TargetChoice:
    """Pick the target; `factory(name)` builds one (tests pass fakes). Raises with every reason if none fits.

    Every target finds and reuses a running cluster of its kind; `reuse` does not change the choice, it
    travels with it so the caller knows at the end not to stop a cluster this run started.
    """
    build = factory or (
        lambda n: make_target(n, kubeconfig=kubeconfig, image_registry=image_registry, timeouts=timeouts)
    )
    if name != "auto":
        cluster = build(name)
        ok, why = cluster.available()
        if not ok:
            raise RuntimeError(f"target {name} is not usable here: {why}")
        log.info("target %s (asked for): %s", name, why)
        return TargetChoice(cluster, f"asked for with --target {name}; {why}", reuse=reuse)
    skipped: dict[str, str] = {}
    for candidate in order:
        try:
            cluster = build(candidate)
            ok, why = cluster.available()
        except Exception as exc:
            ok, why = False, f"{type(exc).__name__}: {exc}"
        if ok:
            log.info("target auto -> %s: %s", candidate, why)
            for other, reason in skipped.items():
                log.info("  skipped %s: %s", other, reason)
            return TargetChoice(cluster, why, skipped, reuse=reuse)
        skipped[candidate] = why
    raise RuntimeError("no usable cluster target: " + "; ".join(f"{n}: {w}" for n, w in skipped.items()))
