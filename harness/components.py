"""The registry of the app's components: one place for each fact about them, read by every layer.

Name (also the `app.kubernetes.io/component` label and the image name), Python package, values key in the
chart, container port and NodePort. Ports are not restated here: they are read from the chart's
`values.yaml`, so changing a port in the chart changes what the harness, the CLI and the steps expect.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.paths import REPO

CHART = REPO / "chart"
IMAGE_REPOSITORY_PREFIX = "todo-chatbot"


@dataclass(frozen=True)
class Component:
    """One deployable part of the app."""

    name: str  # component label, image name, Service/Deployment suffix
    values_key: str  # top-level key of its section in chart/values.yaml
    package: str | None = None  # Python package of a FastAPI service (None: not a Python service)
    port_path: tuple[str, ...] = ("service", "port")  # where in its values section the container port is
    fixed_port: int | None = None  # a port the chart's templates hard-code (no value to read)
    default_image: bool = True  # built by `tcb build` and every acceptance run (False: only when asked)

    @property
    def image(self) -> str:
        """The image name `harness.images` builds (its repository is todo-chatbot/<image>)."""
        return self.name

    @property
    def repository(self) -> str:
        return f"{IMAGE_REPOSITORY_PREFIX}/{self.image}"

    @property
    def app_module(self) -> str | None:
        """uvicorn's `module:app` of a Python service."""
        return f"{self.package}.main:app" if self.package else None

    def values(self, chart: Path = CHART) -> dict[str, Any]:
        """Its section of the chart's default values."""
        return dict(chart_defaults(chart).get(self.values_key) or {})

    def container_port(self, chart: Path = CHART) -> int:
        if self.fixed_port is not None:
            return self.fixed_port
        node: Any = self.values(chart)
        for part in self.port_path:
            node = (node or {}).get(part)
        if node is None:
            raise LookupError(
                f"chart/values.yaml has no {self.values_key}.{'.'.join(self.port_path)}: the {self.name} port"
            )
        return int(node)

    def node_port(self, chart: Path = CHART) -> int | None:
        """The NodePort its Service asks for by default (None: not a NodePort Service)."""
        service = self.values(chart).get("service") or {}
        if service.get("type") != "NodePort" or not service.get("nodePort"):
            return None
        return int(service["nodePort"])


COMPONENTS: tuple[Component, ...] = (
    Component("backend", "backend", package="todo_backend"),
    Component("chatbot", "chatbot", package="todo_chatbot"),
    Component("frontend", "frontend", package="todo_frontend"),
    # Postgres listens on 5432 in the chart's templates (its values have no port to change)
    Component("postgres", "postgres", fixed_port=5432),
    Component("llm-runtime", "llmRuntime", port_path=("port",), default_image=False),
)
BY_NAME = {c.name: c for c in COMPONENTS}
# the three FastAPI services, in start order (the backend first: the others call it)
COMPOSE_PROJECT = "todo-chatbot"  # `tcb compose`: the docker compose project
APP_COMPONENTS: tuple[str, ...] = tuple(c.name for c in COMPONENTS if c.package)
DEFAULT_IMAGES: tuple[str, ...] = tuple(c.image for c in COMPONENTS if c.default_image)


def component(name: str) -> Component:
    try:
        return BY_NAME[name]
    except KeyError:
        raise LookupError(f"unknown component {name!r}: choose from {', '.join(BY_NAME)}") from None


def container_port(name: str, chart: Path = CHART) -> int:
    return component(name).container_port(chart)


def node_ports(chart: Path = CHART) -> dict[str, int]:
    """component -> the NodePort the chart gives it by default (only NodePort Services)."""
    return {c.name: port for c in COMPONENTS if (port := c.node_port(chart)) is not None}


def image_value_keys() -> dict[str, str]:
    """image name -> top-level key of its values in the chart."""
    return {c.image: c.values_key for c in COMPONENTS}


@functools.cache
def _load_values(path: Path, mtime_ns: int) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a mapping")
    return data


def chart_defaults(chart: Path = CHART) -> dict[str, Any]:
    """The chart's values.yaml (cached until the file changes)."""
    path = chart / "values.yaml"
    return _load_values(path, path.stat().st_mtime_ns)
