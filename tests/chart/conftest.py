"""Fixtures for the chart tests: the pinned helm and offline renders of chart/ with given values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from chart_manifests import Render, parse

from harness import helm


@pytest.fixture(scope="session")
def helm_binary() -> Path:
    return helm.ensure_helm()


@pytest.fixture(scope="session")
def render(helm_binary: Path) -> Render:
    """render(values_files=(), **set_values) -> the rendered objects; helm's errors raise CommandError."""

    cache: dict[tuple[tuple[Path, ...], tuple[tuple[str, object], ...]], str] = {}

    def _render(
        values_files: Sequence[Path] = (), set_values: Mapping[str, object] | None = None
    ) -> list[dict]:
        key = (tuple(values_files), tuple(sorted((set_values or {}).items())))
        if key not in cache:  # same values, same output: render once per session
            cache[key] = helm.template(values_files=values_files, set_values=set_values)
        return parse(cache[key])

    return _render
