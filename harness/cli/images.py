"""CLI area — build, base-images, compose: container images built locally with no registry."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from harness.components import COMPOSE_PROJECT

# harness.images, harness.baseimages and the Docker SDK are imported by the commands that use them, so `tcb`,
# `tcb --help` and the other areas' commands start without them (a third of a second of CPU each)

compose_app = typer.Typer(no_args_is_help=True, help="Run the app with docker compose (compose.yaml).")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("build")(build)
    app.command("base-images")(base_images)
    app.add_typer(compose_app, name="compose")


def _table(rows: list[tuple[str, str, float, bool, float]]) -> None:
    typer.echo(f"{'image':<28} {'tag':<18} {'size MB':>8} {'':<8} {'seconds':>8}")
    for repository, tag, size_mb, built, seconds in rows:
        typer.echo(
            f"{repository:<28} {tag:<18} {size_mb:>8.1f} {'built' if built else 'cached':<8} {seconds:>8.1f}"
        )


def build(
    names: Annotated[
        list[str] | None, typer.Argument(help="images to build (default: backend chatbot frontend postgres)")
    ] = None,
    base_image: Annotated[
        str | None, typer.Option(help="runtime base, e.g. python:3.11-slim (default: local or registry base)")
    ] = None,
    build_image: Annotated[
        str | None, typer.Option(help="builder-stage base (default: like --base-image)")
    ] = None,
    prune: Annotated[
        bool,
        typer.Option(
            help="then remove older tags of these images from Docker and the local cluster's containerd "
            "(never one a container, pod or workload uses)"
        ),
    ] = False,
) -> None:
    """Build the app images (content-hash tags; unchanged ones are skipped) and print a table."""
    from harness import images
    from harness.docker_engine import docker_client

    unknown = sorted(set(names or []) - {*images.SERVICES, "postgres"})
    if unknown:
        raise typer.BadParameter(f"unknown image(s) {unknown}: choose from {[*images.SERVICES, 'postgres']}")
    built = images.build_images(
        names or images.DEFAULT_IMAGES,
        base_image=base_image,
        build_image=build_image or base_image,
    )
    _table([(i.repository, i.tag, i.size_mb, i.built, i.seconds) for i in built.values()])
    if prune:
        keep = [i.ref for i in built.values()]
        if set(built) & set(images.SERVICES):
            keep += images.resolve_bases(docker_client(), base_image, build_image or base_image)
        removed = images.prune_images(keep)
        for ref in removed:
            typer.echo(f"removed {ref}")
        typer.echo(f"removed {len(removed)} older image tags (Docker and the local cluster's containerd)")


def base_images(
    rebuild: Annotated[bool, typer.Option(help="assemble again from the .debs even if up to date")] = False,
) -> None:
    """Build the base images from Debian packages (python runtime, python builder, postgres)."""
    from harness import baseimages

    built = baseimages.build_base_images(rebuild=rebuild)
    _table([(i.repository, i.tag, i.size_bytes / 1e6, i.built, i.seconds) for i in built.values()])


@compose_app.command("up")
def compose_up(
    project: Annotated[str, typer.Option(help="compose project name")] = COMPOSE_PROJECT,
    llm: Annotated[
        bool, typer.Option(help="also the local LLM runtime (profile llm); the chatbot then uses NLU hybrid")
    ] = False,
) -> None:
    """Build the images, create .env (random secrets) if missing, start compose.yaml, wait for health."""
    from harness import images

    try:
        images.ensure_env_file()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    built = images.build_images([*images.DEFAULT_IMAGES, *(["llm-runtime"] if llm else [])])
    # with the model running, the chatbot should use it (over .env's "rules") unless the shell says otherwise
    env = {"NLU_PROVIDER": os.environ.get("NLU_PROVIDER", "hybrid")} if llm else {}
    states = images.compose_up(built, project=project, env=env, profiles=["llm"] if llm else [])
    for state in states:
        typer.echo(f"{state['service']:<10} {state['state']:<8} {state['health']}")
    frontend = images.compose_variable("FRONTEND_PORT", "3000")
    backend = images.compose_variable("BACKEND_PORT", "8000")
    typer.echo(f"frontend: http://localhost:{frontend}   backend API: http://localhost:{backend}")


@compose_app.command("down")
def compose_down(
    project: Annotated[str, typer.Option(help="compose project name")] = COMPOSE_PROJECT,
    volumes: Annotated[bool, typer.Option(help="also delete the database volume")] = False,
) -> None:
    """Stop and remove the app's containers and network (the data volume stays unless --volumes)."""
    from harness import images

    images.compose_down(project, volumes=volumes)
    left = images.compose_containers(project)
    typer.echo("nothing left running" if not left else f"still present: {left}")
