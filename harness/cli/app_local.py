"""CLI area — dev: run backend, chatbot and frontend as local processes on SQLite."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
