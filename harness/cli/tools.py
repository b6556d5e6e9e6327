"""CLI area — tools: the pinned helm (go install) and checkov (own venv), both cached by version."""

from __future__ import annotations

from typing import Annotated

import typer


def tools(
    checkov: Annotated[
        bool, typer.Option("--checkov/--no-checkov", help="Also install checkov (~75 s the first time).")
    ] = True,
) -> None:
    """Install (first run) or find (cached) the pinned tools and print where they are."""
    from harness import chart_checks, helm  # here, not at the top: every `tcb` command would load pyhelm3

    helm_binary = helm.ensure_helm()
    typer.echo(f"helm {helm.HELM_VERSION}: {helm_binary}")
    if checkov:
        typer.echo(f"checkov {chart_checks.CHECKOV_VERSION}: {chart_checks.ensure_checkov()}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("tools")(tools)
