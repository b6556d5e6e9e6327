"""CLI area — cluster up|down|status|load-images: the local single-node Kubernetes and other targets."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
