"""The whole path for the CLI: cluster (found or started) -> images built and loaded -> chart installed (or
dry-run validated). The parts: harness.values (the values tree), harness.release (install, upgrade, URLs),
harness.dry_run (server-side validation), harness.helm (the one way to call helm)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.clusters.base import ClusterInfo
from harness.dry_run import DryRunReport, dry_run_install
from harness.k8s import K8s
from harness.release import Release, install_release
from harness.timeouts import DEFAULT_TIMEOUTS
from harness.values import ImageLike


@dataclass
class Deployment:
    info: ClusterInfo
    images: Mapping[str, ImageLike]
    release: Release | None  # None for a dry run
    dry_run: DryRunReport | None
    seconds: dict[str, float]  # phase -> seconds (cluster, build, load, install)


def deploy_app(
    *,
    target: str = "auto",
    kubeconfig: Path | None = None,
    image_registry: str | None = None,
    namespace: str,
    release: str = "tcb",
    values_files: Iterable[Path] = (),
    set_values: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUTS.install,
    dry_run: bool = False,
) -> Deployment:
    """Cluster (found or started) -> images built and loaded -> chart installed (or dry-run validated)."""
    from harness.clusters.select import choose_target
    from harness.images import build_images

    seconds: dict[str, float] = {}
    mark = time.monotonic()
    choice = choose_target(target, kubeconfig=kubeconfig, image_registry=image_registry, reuse=True)
    info = choice.cluster.ensure_up()
    info.notes["selection"] = choice.describe()
    seconds["cluster"], mark = time.monotonic() - mark, time.monotonic()
    images = build_images(progress=True)
    seconds["build"], mark = time.monotonic() - mark, time.monotonic()
    if dry_run:
        report = dry_run_install(
            info,
            images,
            namespace=namespace,
            release=release,
            values_files=values_files,
            set_values=set_values,
        )
        seconds["dry run"] = time.monotonic() - mark
        return Deployment(info, images, None, report, seconds)
    choice.cluster.load_images([image.ref for image in images.values()])
    seconds["load"], mark = time.monotonic() - mark, time.monotonic()
    rel = install_release(
        info,
        images,
        namespace=namespace,
        release=release,
        values_files=values_files,
        set_values=set_values,
        timeouts=dataclasses.replace(DEFAULT_TIMEOUTS, install=timeout),
    )
    seconds["install"] = time.monotonic() - mark
    return Deployment(info, images, rel, None, seconds)


def find_release(
    *, target: str = "auto", kubeconfig: Path | None = None, namespace: str, release: str = "tcb"
) -> Release:
    """The installed release on the chosen target (the cluster is found, or started if it is down)."""
    from harness.clusters.select import choose_target

    info = choose_target(target, kubeconfig=kubeconfig, reuse=True).cluster.ensure_up()
    return Release(info, K8s(info.kubeconfig, info.context), release, namespace)
