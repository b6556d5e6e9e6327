"""SC-020's API step ("a new user signs up, logs in and creates, reads, updates, completes and deletes a task
through the backend API") against the real backend app served by uvicorn on loopback: it passes on the
backend as it is, and fails on one whose task write routes were dropped (`tcb prove`'s
backend-task-routes-dropped, which the OpenAPI step alone let through: the read routes keep the paths
listed)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import todo_backend.main
from fastapi import FastAPI
from todo_backend.core.config import Settings

from harness.app_client import AppError
from harness.mutants.catalogue import CATALOGUE, apply_defect
from harness.release import AppUrls
from steps import app_steps
from steps.evidence import Evidence

SECRET = "round-trip-tests-0123456789abcdefghijklmnopqrstuvwxyz"  # pragma: allowlist secret


def _seeded_create_app(tmp_path: Path) -> Callable[[Settings], FastAPI]:
    """todo_backend.main.create_app with the catalogue's defect applied by `apply_defect` (as `tcb prove`
    does) to a scratch file holding the function's source, compiled among the module's own globals
    (re-running the whole module would register its Prometheus metrics twice)."""
    (defect,) = [d for d in CATALOGUE if d.id == "backend-task-routes-dropped"]
    scratch = tmp_path / "seeded"
    source = scratch / defect.file
    source.parent.mkdir(parents=True)
    source.write_text(inspect.getsource(todo_backend.main.create_app))
    apply_defect(defect, scratch)  # raises StaleDefect unless each edit matches create_app exactly once
    namespace = dict(vars(todo_backend.main))
    exec(compile(source.read_text(), todo_backend.main.__file__, "exec"), namespace)  # noqa: S102 (our source)
    seeded: Callable[[Settings], FastAPI] = namespace["create_app"]
    return seeded


def _backend(tmp_path: Path, seeded: bool) -> FastAPI:
    create_app = _seeded_create_app(tmp_path) if seeded else todo_backend.main.create_app
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'todo.db'}",
        better_auth_secret=SECRET,
        environment="production",
    )
    return create_app(settings)


@pytest.fixture(params=[False, True], ids=["backend", "task-write-routes-dropped"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, serve_app: Callable[[FastAPI], Any]
) -> tuple[str, bool]:
    return serve_app(_backend(tmp_path, seeded=request.param)).url, request.param


def test_the_api_round_trip_passes_only_on_a_backend_with_every_task_route(
    served: tuple[str, bool],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    url, broken = served
    monkeypatch.setattr(app_steps, "nodeport_url", lambda _urls, _component, _port: url)
    urls = AppUrls(frontend="http://unused", backend=url, via="nodeport")
    evidence = Evidence(request.node, tmp_path / "evidence")
    if not broken:
        app_steps._api_round_trip(urls, 30081, evidence)
        assert "API round trip" in evidence.names()
        return
    with pytest.raises((AppError, AssertionError), match=r"POST .*/api/tasks -> 405"):
        app_steps._api_round_trip(urls, 30081, evidence)
