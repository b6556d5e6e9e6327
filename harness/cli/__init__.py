"""`tcb`: one CLI over the harness engine. Each area registers its commands from its own module."""

from __future__ import annotations

import typer

from harness import pycache

pycache.enable()  # before the areas are imported: see harness/pycache.py

from harness.cli import app_local, cluster, database, deploy, images, llm, prove, tools  # noqa: E402

app = typer.Typer(no_args_is_help=True, help="todo-chatbot: build, deploy, verify and scale, on any cluster.")
for area in (tools, images, cluster, deploy, database, app_local, llm, prove):
    area.register(app)


def main() -> None:
    app()
