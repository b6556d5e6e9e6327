"""CLI area — llm serve|eval: the optional local model server and the NLU evaluation."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
