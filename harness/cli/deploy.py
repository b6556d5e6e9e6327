"""CLI area — deploy, verify, scale, up, down: the release on a cluster (replaces the seeds' scripts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.timeouts import DEFAULT_TIMEOUTS

NAMESPACE = "todo-chatbot"
# `tcb verify`'s exit status when the release is not there: apart from pytest's own (0-5) and a usage error's
NO_RELEASE_EXIT = 6

TargetOpt = typer.Option("auto", "--target", help="auto | kubeconfig | kind | minikube | local")
KubeconfigOpt = typer.Option(
    None, "--kubeconfig", help="kubeconfig of an existing cluster (target kubeconfig)"
)
NamespaceOpt = typer.Option(NAMESPACE, "--namespace", "-n", help="namespace of the release")
ReleaseOpt = typer.Option("tcb", "--release", help="helm release name")
ValuesOpt = Annotated[
    list[Path] | None, typer.Option("--values", "-f", help="chart values file (repeatable)")
]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="chart value key=value (repeatable)")]


def _print_release(rel: object) -> None:
    from harness import components
    from harness.release import Release

    assert isinstance(rel, Release)
    for what, secs in rel.waits:
        typer.echo(f"  waited for {what}: {secs:.1f}s")
    urls = rel.urls()
    if urls.via == "nodeport":
        typer.echo(f"frontend: {urls.frontend}")
        typer.echo(f"backend:  {urls.backend}  (API docs: {urls.backend}/docs)")
    else:
        typer.echo("NodePorts are not reachable from this machine; forward the ports yourself, e.g.:")
        typer.echo(
            f"  kubectl --kubeconfig {rel.info.kubeconfig} -n {rel.namespace} port-forward"
            f" svc/{rel.service_name('frontend')} 3000:{components.container_port('frontend')}"
        )
    rel.close()


def _self_signed_tls(target: str, kubeconfig: Path | None, namespace: str, release: str) -> list[str]:
    """A self-signed certificate in a Secret of the namespace, its CA written beside the working directory;
    the --set values that turn the chart's TLS option on with it."""
    from harness.clusters.select import choose_target
    from harness.k8s import K8s
    from harness.tls import prepare_release_tls

    info = choose_target(target, kubeconfig=kubeconfig, reuse=True).cluster.ensure_up()
    secret = f"{release}-tls"
    bundle = prepare_release_tls(info, K8s(info.kubeconfig, info.context), namespace, secret)
    ca = Path(f"{release}-{namespace}-ca.pem").resolve()
    ca.write_bytes(bundle.ca_pem)
    typer.echo(f"TLS: self-signed certificate for {', '.join(bundle.hosts)} in Secret {secret}; its CA: {ca}")
    typer.echo(f"  e.g. curl --cacert {ca} https://{info.node_address}:<frontend NodePort>/api/health")
    return ["tls.enabled=true", f"tls.secretName={secret}"]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""

    @app.command()
    def deploy(
        target: str = TargetOpt,
        kubeconfig: Path = KubeconfigOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
        values: ValuesOpt = None,
        set_values: SetOpt = None,
        image_registry: str = typer.Option(
            None, "--image-registry", help="push images here (target kubeconfig)"
        ),
        timeout: float = typer.Option(
            DEFAULT_TIMEOUTS.install, "--timeout", help="seconds to wait for every rollout"
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="render and let the API server validate; install nothing"
        ),
        tls: bool = typer.Option(
            False, "--tls", help="serve the frontend over HTTPS with a self-signed certificate (local runs)"
        ),
    ) -> None:
        """Build the images, load them into the cluster, install (or upgrade) the chart; wait for rollouts."""
        from harness.deploy import deploy_app

        set_values = list(set_values or [])
        if tls and not dry_run:
            set_values += _self_signed_tls(target, kubeconfig, namespace, release)

        result = deploy_app(
            target=target,
            kubeconfig=kubeconfig,
            image_registry=image_registry,
            namespace=namespace,
            release=release,
            values_files=values or [],
            set_values=set_values,
            timeout=timeout,
            dry_run=dry_run,
        )
        typer.echo(f"target: {result.info.notes.get('selection', result.info.target)}")
        for name, image in result.images.items():
            typer.echo(f"image {name}: {image.repository}:{image.tag}")
        typer.echo("phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
        if result.dry_run is not None:
            report = result.dry_run
            typer.echo(
                f"dry run in namespace {report.namespace}: {len(report.accepted)} objects accepted by the"
                f" API server, {len(report.rejected)} rejected"
            )
            for line in report.rejected:
                typer.echo(f"  REJECTED {line}", err=True)
            raise typer.Exit(0 if report.ok else 1)
        assert result.release is not None
        typer.echo(f"release {release} installed in namespace {namespace}")
        if tls:  # the frontend speaks only HTTPS: print its URL rather than probe it over HTTP
            rel = result.release
            typer.echo(f"frontend: https://{rel.info.node_address}:{rel.node_port('frontend')}")
            typer.echo(f"backend:  http://{rel.info.node_address}:{rel.node_port('backend')}")
            return
        _print_release(result.release)

    @app.command()
    def up(
        target: str = TargetOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
    ) -> None:
        """Everything in one go: cluster up, images built and loaded, chart installed; prints the URLs."""
        from harness.deploy import deploy_app

        result = deploy_app(target=target, namespace=namespace, release=release)
        typer.echo(f"target: {result.info.notes.get('selection', result.info.target)}")
        typer.echo("phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
        assert result.release is not None
        _print_release(result.release)

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def verify(
        ctx: typer.Context,
        target: str = TargetOpt,
        kubeconfig: Path = KubeconfigOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
    ) -> None:
        """Run `pytest features/` against an installed release; extra arguments are passed to pytest. Exits
        6 at once (pytest's own exit codes are 0-5), naming the release and the namespace, when that release
        is not installed there."""
        import argparse

        import pytest
        from pyhelm3.errors import ReleaseNotFoundError

        from harness.clusters.select import choose_target
        from harness.helm import Helm
        from harness.paths import REPO

        # the cluster, namespace and release pytest will use: the same options given again among the extra
        # arguments win there (pytest takes an option's last value), so they win here too
        given = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
        for option in ("--target", "--kubeconfig", "--namespace", "--release"):
            given.add_argument(option)
        extra = given.parse_known_args(ctx.args)[0]
        cluster_config = Path(extra.kubeconfig) if extra.kubeconfig else kubeconfig
        checked_namespace, checked_release = extra.namespace or namespace, extra.release or release
        info = choose_target(
            extra.target or target, kubeconfig=cluster_config, reuse=True
        ).cluster.ensure_up()
        try:  # before pytest starts: a run against nothing would only fail later, in its first scenario
            Helm(info.kubeconfig, info.context).current_revision(checked_release, checked_namespace)
        except ReleaseNotFoundError:
            typer.echo(
                f"tcb verify: no release {checked_release!r} in namespace {checked_namespace!r}: nothing to"
                " verify",
                err=True,
            )
            raise typer.Exit(NO_RELEASE_EXIT) from None

        args = [
            str(REPO / "features"),
            "--release",
            release,
            "--namespace",
            namespace,
            "--reuse-cluster",
            "--target",
            target,
        ]
        if kubeconfig:
            args += ["--kubeconfig", str(kubeconfig)]
        raise typer.Exit(int(pytest.main([*args, *ctx.args])))

    @app.command()
    def scale(
        service: str = typer.Argument(..., help="backend | chatbot | frontend"),
        replicas: int = typer.Argument(..., min=0, help="number of replicas"),
        target: str = TargetOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
        kubeconfig: Path = KubeconfigOpt,
        timeout: float = typer.Option(DEFAULT_TIMEOUTS.rollout, "--timeout"),
    ) -> None:
        """Scale a service's Deployment and wait until every replica is Ready; prints how long it took."""
        from harness.deploy import find_release

        rel = find_release(target=target, kubeconfig=kubeconfig, namespace=namespace, release=release)
        took = rel.scale(service, replicas, timeout)
        typer.echo(f"{service}: {replicas} replicas Ready in {took:.1f}s")
        typer.echo(rel.k8s.describe_pods(namespace, rel.component_selector(service)))

    @app.command()
    def down(
        target: str = TargetOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
        cluster: bool = typer.Option(False, "--cluster", help="also stop the cluster (local/kind/minikube)"),
    ) -> None:
        """Uninstall the release and delete its namespace; with --cluster also stop the cluster."""
        from harness.clusters.select import choose_target
        from harness.k8s import K8s
        from harness.release import Release

        choice = choose_target(target, reuse=True)
        info = choice.cluster.ensure_up()
        rel = Release(info, K8s(info.kubeconfig, info.context), release, namespace)
        rel.uninstall()
        typer.echo(f"release {release} uninstalled, namespace {namespace} deleted")
        if cluster:
            choice.cluster.teardown()
            typer.echo(f"cluster {info.target} stopped")
