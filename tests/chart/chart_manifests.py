"""Values and helpers for inspecting the chart's rendered objects (shared by the chart tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from harness import helm

CHART = helm.CHART
DEV_EXAMPLE = CHART / "values-dev.yaml.example"
PROD = CHART / "values-prod.yaml"

# Values every install must supply: image tags (content hashes) and secrets. Placeholders, not real secrets.
IMAGE_TAGS = {
    f"{component}.image.tag": "0123abcd"
    for component in ("backend", "chatbot", "frontend", "postgres", "llmRuntime")
}
SECRETS = {
    "secrets.betterAuthSecret": "test-only-jwt-secret-0123456789abcdef",  # pragma: allowlist secret
    "secrets.postgresPassword": "test-only-pg-password",  # pragma: allowlist secret
}
PROD_SECRETS = {
    "secrets.betterAuthSecret": SECRETS["secrets.betterAuthSecret"],
    # pragma: allowlist nextline secret
    "secrets.databaseUrl": "postgresql+asyncpg://todo:test-only@db.example.invalid:5432/todo",
}

# render(values_files=(), set_values=None) -> the rendered objects (the `render` fixture)
Render = Callable[..., list[dict[str, Any]]]


def parse(manifests: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(manifests) if doc]


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, suffix: str) -> dict[str, Any]:
    matches = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"].endswith(suffix)]
    assert len(matches) == 1, (
        f"expected one {kind} named *{suffix}, got {[m['metadata']['name'] for m in matches]}"
    )
    return matches[0]


def pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every Pod and every workload's pod template."""
    specs = []
    for obj in objects:
        if obj["kind"] == "Pod":
            specs.append((f"Pod/{obj['metadata']['name']}", obj["spec"]))
        elif obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            specs.append((f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]))
    return specs
