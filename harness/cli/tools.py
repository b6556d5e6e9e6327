"""CLI area — tools: pinned helm (go install) and other tools into the cache."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
