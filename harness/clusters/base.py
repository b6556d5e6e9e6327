"""The contract every cluster target implements; the harness and the CLI only talk to this."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass
class ClusterInfo:
    target: str  # "local", "kind", "minikube", "kubeconfig"
    kubeconfig: Path  # a private kubeconfig file for this cluster
    context: str | None  # context inside kubeconfig (None = current)
    node_address: str  # host/IP where NodePorts answer from this machine (e.g. "127.0.0.1")
    started_by_us: bool  # True if this run created/started it (so teardown may stop it)
    notes: dict[str, str] = field(default_factory=dict)  # version, node name, … (shown in reports)


class Cluster(Protocol):
    name: str  # target name

    def available(self) -> tuple[bool, str]:
        """Can this target be used on this machine? (ok, reason) — reason is shown when auto skips it."""
        ...

    def ensure_up(self) -> ClusterInfo:
        """Find or start the cluster (idempotent), wait until the node and DNS are Ready, report progress."""
        ...

    def load_images(self, images: list[str]) -> None:
        """Make locally built Docker images (full refs with content-hash tags) available to the node."""
        ...

    def teardown(self) -> None:
        """Stop/delete what ensure_up started; leave nothing behind."""
        ...
