"""chart.feature's production render, "the backend's HorizontalPodAutoscaler scales the backend Deployment":
run on the chart rendered with chart/values-prod.yaml (helm template, no cluster) — it passes on the chart as
it is and fails on the catalogue's `hpa-scales-missing-deployment` applied as `tcb prove` applies it."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import helm
from harness.checks import manifests
from harness.mutants.catalogue import CATALOGUE, apply_defect
from harness.paths import REPO
from harness.values import generated_secrets, merge
from steps import chart_steps

TAGS = {name: {"image": {"tag": "0123456789ab"}} for name in ("backend", "chatbot", "frontend", "postgres")}


def _render_prod(root: Path, tmp_path: Path) -> list[dict[str, Any]]:
    values = tmp_path / "values.yaml"
    # production points at an external database: any URL renders
    url = {"secrets": {"databaseUrl": f"postgresql+asyncpg://todo:{secrets.token_hex(8)}@db.internal/todo"}}
    values.write_text(yaml.safe_dump(merge(generated_secrets(), TAGS, url)))
    text = helm.template(root / "chart", values_files=[root / "chart" / "values-prod.yaml", values])
    return manifests.parse_manifests(text)


def test_passes_on_the_chart_as_it_is(tmp_path: Path) -> None:
    chart_steps._hpa_target(_render_prod(REPO, tmp_path), "backend", "backend")


def test_fails_when_the_hpa_targets_no_deployment(tmp_path: Path) -> None:
    shutil.copytree(REPO / "chart", tmp_path / "repo" / "chart")
    (defect,) = [d for d in CATALOGUE if d.id == "hpa-scales-missing-deployment"]
    apply_defect(defect, tmp_path / "repo")
    with pytest.raises(AssertionError, match="which the manifests do not hold"):
        chart_steps._hpa_target(_render_prod(tmp_path / "repo", tmp_path), "backend", "backend")
