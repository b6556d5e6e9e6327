"""A dry-run install: render the chart with an install's values and have the API server validate every
object (server-side dry run) in a restricted namespace; nothing is installed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from harness.clusters.base import ClusterInfo
from harness.helm import Helm, SetValues
from harness.k8s import POD_SECURITY_RESTRICTED, K8s
from harness.log import get_logger
from harness.values import ImageLike, free_node_ports, install_values, merge

log = get_logger("deploy")


@dataclass
class DryRunReport:
    namespace: str
    accepted: list[str]  # "Kind/name"
    rejected: list[str]  # "Kind/name: reason"

    @property
    def ok(self) -> bool:
        return not self.rejected


def dry_run_install(
    info: ClusterInfo,
    images: Mapping[str, ImageLike],
    *,
    namespace: str,
    release: str = "tcb",
    values_files: Iterable[Path] = (),
    set_values: SetValues = (),
) -> DryRunReport:
    """Render the chart and have the API server validate every object (server-side dry run) in a restricted
    namespace; nothing is installed. A namespace created only for this is deleted again."""
    k8s = K8s(info.kubeconfig, info.context)
    values = install_values(info, images, values_files, set_values)
    values = merge(values, free_node_ports(k8s, namespace, values))  # as the install would
    # Hooks (the `helm test` pods) are left out: they name the release's ServiceAccount, which a dry run
    # never creates. The cluster's version: offline `helm template` assumes v1.20 unless told.
    rendered = Helm(info.kubeconfig, info.context).template(
        set_values=values,
        release=release,
        namespace=namespace,
        kube_version=k8s.server_version(),
        no_hooks=True,
    )
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    created = k8s.ensure_namespace(namespace, POD_SECURITY_RESTRICTED)
    api = dynamic.DynamicClient(k8s.api_client)
    accepted, rejected = [], []
    try:
        for obj in objects:
            ident = f"{obj['kind']}/{obj['metadata']['name']}"
            resource, ns = None, None
            try:
                resource = api.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
                ns = namespace if resource.namespaced else None
                resource.create(body=obj, namespace=ns, dry_run="All")
                accepted.append(ident)
            except ApiException as exc:
                if exc.status == 409 and resource is not None:  # already exists: validate as an update
                    try:
                        resource.server_side_apply(
                            body=obj, namespace=ns, dry_run="All", field_manager="tcb", force_conflicts=True
                        )
                        accepted.append(ident)
                        continue
                    except ApiException as again:
                        exc = again
                rejected.append(f"{ident}: {exc.status} {_api_message(exc)}")
            except Exception as exc:  # e.g. an API kind this cluster does not serve
                rejected.append(f"{ident}: {type(exc).__name__}: {exc}")
    finally:
        if created:
            k8s.delete_namespace(namespace, wait=False)
    log.info("dry run: %d objects accepted, %d rejected", len(accepted), len(rejected))
    return DryRunReport(namespace, accepted, rejected)


def _api_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message", exc.reason))
    except ValueError:
        return str(exc.reason)
