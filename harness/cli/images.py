"""CLI area — build, base-images: container images built locally with no registry."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
