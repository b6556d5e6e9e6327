"""Checks of Kubernetes objects, rendered by `helm template` or read from the cluster (as dicts): schema
validity, probes, resources, where environment variables come from, secrets in ConfigMaps."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from harness.checks import SECRET_NAME, usable_secrets


def parse_manifests(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict) and doc.get("kind")]


def invalid_manifests(manifests: list[dict[str, Any]], kubernetes_version: str | None = None) -> list[str]:
    """Objects that do not validate against the Kubernetes OpenAPI schema (kubernetes-validate)."""
    import kubernetes_validate

    version = kubernetes_version or kubernetes_validate.latest_version()
    problems = []
    for doc in manifests:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            continue  # custom resources have no schema to check against
    return problems


def open_schema_objects(schema: Any, path: str = "#") -> list[str]:
    """JSON-pointer paths of object schemas that accept keys they do not declare (a typo would be ignored).

    An object is closed by `additionalProperties: false`, or is a typed map whose `additionalProperties` is a
    schema (e.g. annotations: every value a string)."""
    found: list[str] = []
    if isinstance(schema, dict):
        is_object = schema.get("type") == "object" or "properties" in schema
        extra = schema.get("additionalProperties", True)
        if is_object and (extra is True or extra == {}):
            found.append(path)
        for key, value in schema.items():
            found += open_schema_objects(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += open_schema_objects(value, f"{path}/{index}")
    return found


MISSPELT_KEY = "zzMisspelt"
_SCHEMA_ERROR_AT = re.compile(r"at '([^']*)': (.*)")


def value_object_paths(values: Any, schema: Any) -> list[str]:
    """JSON-pointer paths ("" for the root) of every object a user can set in the chart's values: each mapping
    in the default values, and each object the schema declares under `properties` (in the defaults or not)."""
    paths: set[str] = set()

    def walk_values(node: Any, path: str) -> None:
        if isinstance(node, dict):
            paths.add(path)
            for key, value in node.items():
                walk_values(value, f"{path}/{key}")

    def walk_schema(node: Any, path: str) -> None:
        if isinstance(node, dict) and (node.get("type") == "object" or "properties" in node):
            paths.add(path)
            for key, child in (node.get("properties") or {}).items():
                walk_schema(child, f"{path}/{key}")

    walk_values(values, "")
    walk_schema(schema, "")
    return sorted(paths)


def misspelt_values(paths: list[str]) -> dict[str, Any]:
    """A values override that puts MISSPELT_KEY into every object at `paths`."""
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for part in [p for p in path.split("/") if p]:
            node = node.setdefault(part, {})
        node[MISSPELT_KEY] = True
    return root


def paths_refusing(helm_error: str, key: str = MISSPELT_KEY) -> set[str]:
    """The object paths whose misspelt `key` helm's schema validation refused, read from its error lines
    ("at '/backend': additional properties 'zzMisspelt' not allowed", or a typed map's type error at
    '/backend/podAnnotations/zzMisspelt')."""
    refused = set()
    for line in helm_error.splitlines():
        match = _SCHEMA_ERROR_AT.search(line)
        if not match:
            continue
        path, message = match[1], match[2]
        if path.endswith(f"/{key}"):
            refused.add(path.removesuffix(f"/{key}"))
        elif f"'{key}'" in message:
            refused.add(path)
    return refused


def component_of(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/component", ""))


def find_objects(manifests: list[dict[str, Any]], kind: str, component: str = "") -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind and (not component or component_of(m) == component)]


def containers_of(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workload["spec"]["template"]["spec"].get("containers") or [])


def missing_probes(workloads: Iterable[dict[str, Any]]) -> list[str]:
    problems = []
    for workload in workloads:
        for container in containers_of(workload):
            lacking = [p for p in ("livenessProbe", "readinessProbe", "startupProbe") if not container.get(p)]
            if lacking:
                problems.append(
                    f"{workload['metadata']['name']}/{container['name']}: no {', '.join(lacking)}"
                )
    return problems


def missing_resources(workloads: Iterable[dict[str, Any]]) -> list[str]:
    problems = []
    for workload in workloads:
        for container in containers_of(workload):
            resources = container.get("resources") or {}
            for part in ("requests", "limits"):
                if not (resources.get(part) or {}).get("memory"):
                    problems.append(f"{workload['metadata']['name']}/{container['name']}: no memory {part}")
    return problems


def env_sources(container: dict[str, Any]) -> dict[str, str]:
    """Where each environment variable of a container comes from: 'secret', 'configmap' or 'literal'.

    Variables from envFrom are named '<secret:NAME>' / '<configmap:NAME>' since their keys are not listed.
    """
    sources: dict[str, str] = {}
    for item in container.get("env") or []:
        ref = item.get("valueFrom") or {}
        sources[item["name"]] = (
            "secret" if "secretKeyRef" in ref else "configmap" if "configMapKeyRef" in ref else "literal"
        )
    for item in container.get("envFrom") or []:
        if "secretRef" in item:
            sources[f"<secret:{item['secretRef']['name']}>"] = "secret"
        if "configMapRef" in item:
            sources[f"<configmap:{item['configMapRef']['name']}>"] = "configmap"
    return sources


def secret_keys(secret: dict[str, Any]) -> set[str]:
    return set((secret.get("data") or {}) | (secret.get("stringData") or {}))


def configmap_secret_problems(configmaps: Iterable[dict[str, Any]], secrets: Iterable[str]) -> list[str]:
    """ConfigMap keys named like secrets, and ConfigMap values holding any secret value."""
    values = usable_secrets(secrets)
    problems = []
    for cm in configmaps:
        name = cm["metadata"]["name"]
        for key, value in (cm.get("data") or {}).items():
            if SECRET_NAME.search(key):
                problems.append(f"configmap {name} has a secret-named key {key}")
            if any(v in str(value) for v in values):
                problems.append(f"configmap {name} key {key} holds a secret value")
    return problems
