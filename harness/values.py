"""The values tree of an install: generated secrets, values files, built images, `--set` values, and the
NodePorts chosen so that another release's ports do not fail the install.

Secrets are generated per install (a 48-character JWT secret, a random Postgres password) and reach helm only
through the values on stdin: they are never written to a file, to git or to a command line.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from harness import components
from harness.clusters.base import ClusterInfo
from harness.helm import SetValues, values_tree
from harness.log import get_logger

log = get_logger("deploy")

# where a NodePort is looked for when the chart's default one is held by another namespace
FREE_NODE_PORTS = range(30100, 32768)


class ImageLike(Protocol):
    repository: str
    tag: str


class ServiceLister(Protocol):
    """What free_node_ports needs of harness.k8s.K8s."""

    core: Any


def merge(*trees: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge values trees, later ones winning (as helm merges -f files)."""
    merged: dict[str, Any] = {}
    for tree in trees:
        for key, value in tree.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = dict(value) if isinstance(value, Mapping) else value
    return merged


def generated_secrets() -> dict[str, Any]:
    """Fresh per-install secrets: never defaults, never stored."""
    return {
        "secrets": {
            "betterAuthSecret": secrets.token_urlsafe(36),
            "postgresPassword": secrets.token_urlsafe(24),
        }
    }


def image_values(images: Mapping[str, ImageLike], registry: str | None = None) -> dict[str, Any]:
    """The chart values that make each component run the given image."""
    keys = components.image_value_keys()
    values: dict[str, Any] = {}
    for name, image in images.items():
        key = keys.get(name)
        if key is None:
            continue
        repository = f"{registry}/{image.repository}" if registry else image.repository
        values[key] = {"image": {"repository": repository, "tag": image.tag}}
    return values


def load_values_files(paths: Iterable[Path]) -> list[dict[str, Any]]:
    trees = []
    for path in paths:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"values file {path} is not a mapping")
        trees.append(data)
    return trees


def secret_strings(values: Mapping[str, Any]) -> set[str]:
    """The secret values in a values tree (for scrubbing diagnostics)."""
    return {str(v) for v in (values.get("secrets") or {}).values() if v}


def install_values(
    info: ClusterInfo,
    images: Mapping[str, ImageLike],
    values_files: Iterable[Path] = (),
    set_values: SetValues = (),
    *,
    previous_secrets: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The values tree of an install: generated secrets (or, on an upgrade, the release's current ones, so
    the database password and the users' tokens stay valid) < values files < built images < --set values."""
    return merge(
        generated_secrets(),
        {"secrets": dict(previous_secrets)} if previous_secrets else {},
        *load_values_files(values_files),
        image_values(images, info.notes.get("image_registry")),
        values_tree(set_values),
    )


def free_node_ports(
    k8s: ServiceLister,
    namespace: str,
    values: Mapping[str, Any],
    moved: dict[str, str] | None = None,
    chart: Path = components.CHART,
) -> dict[str, Any]:
    """NodePorts are cluster-wide: when another namespace already holds the one a component asks for (another
    release of the app), give this release a free one instead of failing the install.

    A component's wanted port is its value in `values`, else the chart's default (chart/values.yaml)."""
    taken: dict[int, str] = {}
    for svc in k8s.core.list_service_for_all_namespaces().items:
        if svc.metadata.namespace == namespace:
            continue
        for port in svc.spec.ports or []:
            if port.node_port:
                taken[int(port.node_port)] = f"{svc.metadata.namespace}/{svc.metadata.name}"
    changes: dict[str, Any] = {}
    candidates = (p for p in FREE_NODE_PORTS if p not in taken)
    for component, default in components.node_ports(chart).items():
        key = components.component(component).values_key
        service = (values.get(key) or {}).get("service") or {}
        wanted = service.get("nodePort", default)
        if service.get("type", "NodePort") == "NodePort" and wanted in taken:
            port = next(candidates)
            log.info("NodePort %d is held by %s; %s gets NodePort %d", wanted, taken[wanted], component, port)
            changes[key] = {"service": {"nodePort": port}}
            if moved is not None:
                moved[component] = f"{wanted} is held by {taken[wanted]}; using {port}"
    return changes
