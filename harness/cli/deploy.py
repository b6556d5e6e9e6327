"""CLI area — deploy, verify, scale, up, down: the release on a cluster."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
