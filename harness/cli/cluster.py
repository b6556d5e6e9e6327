"""CLI area — cluster up|down|status|load-images|build: the project's own single-node Kubernetes (`local`)."""

from __future__ import annotations

import typer

cluster_app = typer.Typer(no_args_is_help=True, help="The local single-node Kubernetes (target `local`).")


@cluster_app.command("build")
def build(
    kubernetes: str = typer.Option(
        "", help="re-pin the wrapper module to this k8s.io/kubernetes version first, e.g. v1.36.3"
    ),
) -> None:
    """Build (or find cached) Kubernetes, CoreDNS, kube-router, the volume provisioner and pause binaries."""
    from harness.clusters import local_build

    if kubernetes and kubernetes != local_build.k8s_version():
        local_build.pin_kubernetes(kubernetes)
    bins = local_build.build_all()
    typer.echo(f"Kubernetes {local_build.k8s_version()}: {bins.k8s}")
    for path in (bins.coredns, bins.kube_router, bins.provisioner, bins.pause):
        typer.echo(f"{path.name}: {path}")


@cluster_app.command("up")
def up() -> None:
    """Start the cluster (idempotent: a healthy running cluster is found in about a second)."""
    from harness.clusters.local import LocalCluster

    info = LocalCluster().ensure_up()
    typer.echo(f"kubeconfig: {info.kubeconfig}")
    typer.echo(f"NodePorts answer at {info.node_address}:<port>")
    typer.echo(f"try: {info.notes['kubectl']} get nodes")


@cluster_app.command("down")
def down() -> None:
    """Stop every component and remove all the cluster left behind (state dir, mounts, iptables, links)."""
    from harness.clusters.local import LocalCluster

    LocalCluster().teardown()


@cluster_app.command("status")
def status() -> None:
    """Each component: running and healthy, running but unhealthy (and why), or stopped."""
    from harness.clusters.local import LocalCluster

    cluster = LocalCluster()
    states = cluster.status()
    for name, state in states.items():
        typer.echo(f"{name:24} {state}")
    if not all(s.endswith("(healthy)") for s in states.values()):
        raise typer.Exit(1)
    typer.echo(f"kubeconfig: {cluster.kubeconfig}")


@cluster_app.command("load-images")
def load_images(images: list[str]) -> None:
    """Move images from the local Docker engine into the node's containerd (like `kind load docker-image`)."""
    from harness.clusters.local import LocalCluster

    LocalCluster().load_images(images)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(cluster_app, name="cluster")
