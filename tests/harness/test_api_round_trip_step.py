"""SC-020's API step ("a new user signs up, logs in and creates, reads, updates, completes and deletes a task
through the backend API") against the real backend app served by uvicorn on loopback: it passes on the
backend as it is, and fails on one whose task write routes were dropped (`tcb prove`'s
backend-task-routes-dropped, which the OpenAPI step alone let through: the read routes keep the paths
listed), and on each backend defect of the catalogue the step was strengthened for: a login that takes a wrong
password, a logout that is not committed, a task lookup without the owner, a PATCH that cannot clear a field,
an inverted status filter."""

from __future__ import annotations

import importlib
import inspect
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import todo_backend.main
from fastapi import FastAPI
from todo_backend.core.config import Settings

from harness.app_client import AppError
from harness.mutants.catalogue import CATALOGUE, Defect, apply_defect
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


# Each backend defect the round trip must catch, with what its failure says.
MODULE_DEFECTS = {
    "backend-login-accepts-wrong-password": r"a wrong password .* answered 200",
    "backend-logout-not-committed": r"the token still answers 200 after logout",
    "backend-task-lookup-ignores-owner": r"another user's requests for #\d+ answered .*'DELETE': 204",
    "backend-update-cannot-clear-fields": r"PATCH due_date=null left it at 2031-01-02",
    "backend-status-filter-swapped": r"the status filters list",
}


def _seed_module(defect: Defect, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect's module as `tcb prove` would leave it, in place of the real one for this test: its edited
    source is run among a copy of the module's globals, and every function and router it defines replaces
    the module's own (routes call `crud.<function>`; create_app includes `auth.router` or `pages.router`
    when it is called)."""
    module_name = defect.file.split("/", 2)[2].removesuffix(".py").replace("/", ".")  # services/<service>/
    module = importlib.import_module(module_name)
    scratch = tmp_path / "seeded"
    source = scratch / defect.file
    source.parent.mkdir(parents=True)
    source.write_text(inspect.getsource(module))
    apply_defect(defect, scratch)
    namespace = dict(vars(module))
    exec(compile(source.read_text(), str(module.__file__), "exec"), namespace)  # noqa: S102 (our source)
    for name, value in namespace.items():
        if value is not vars(module).get(name) and (callable(value) or name == "router"):
            monkeypatch.setattr(module, name, value)


@pytest.mark.parametrize("defect_id", sorted(MODULE_DEFECTS))
def test_the_api_round_trip_fails_on_each_seeded_backend_defect(
    defect_id: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    serve_app: Callable[[FastAPI], Any],
) -> None:
    (defect,) = [d for d in CATALOGUE if d.id == defect_id]
    _seed_module(defect, tmp_path, monkeypatch)
    url = serve_app(_backend(tmp_path, seeded=False)).url
    monkeypatch.setattr(app_steps, "nodeport_url", lambda _urls, _component, _port: url)
    urls = AppUrls(frontend="http://unused", backend=url, via="nodeport")
    with pytest.raises((AppError, AssertionError), match=MODULE_DEFECTS[defect_id]):
        app_steps._api_round_trip(urls, 30081, Evidence(request.node, tmp_path / "evidence"))


# ---- SC-019's session steps, on the real frontend in front of the real backend ----

FRONTEND_DEFECTS = {
    "frontend-csrf-check-dropped": ("_csrf_refused", r"after the forged posts the user's tasks are"),
    "frontend-logout-keeps-token-valid": ("_logout_ends_session", r"still opens the task list"),
    "frontend-task-title-unescaped": ("_title_escaped", r"the title's markup is part of the page"),
}


def _frontend_urls(tmp_path: Path, serve_app: Callable[[Any], Any]) -> AppUrls:
    from todo_frontend.config import Settings as FrontendSettings
    from todo_frontend.main import create_app as create_frontend

    backend = serve_app(_backend(tmp_path, seeded=False)).url
    settings = FrontendSettings(
        backend_url=backend, chatbot_url="http://127.0.0.1:9", environment="development"
    )
    return AppUrls(frontend=serve_app(create_frontend(settings)).url, backend=backend, via="nodeport")


def _seed_templates(defect: Defect, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The frontend's templates with the defect applied, in place of its own for this test."""
    from fastapi.templating import Jinja2Templates
    from todo_frontend import pages
    from todo_frontend.session import template_context

    scratch = tmp_path / "seeded"
    templates = scratch / Path(defect.file).parent
    shutil.copytree(Path(pages.__file__).parent / "templates", templates)
    apply_defect(defect, scratch)
    seeded = Jinja2Templates(directory=templates, context_processors=[template_context])
    monkeypatch.setattr(pages, "templates", seeded)


def _run_step(name: str, urls: AppUrls, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    visitors: list[app_steps.FrontendVisitor] = []

    def visitor(_port: int) -> app_steps.FrontendVisitor:
        visitors.append(app_steps.FrontendVisitor(urls.frontend, 15.0))
        return visitors[-1]

    evidence = Evidence(request.node, tmp_path / "evidence")
    try:
        step = getattr(app_steps, name)
        if name in ("_csrf_refused", "_title_escaped"):
            step(visitor, urls, 30080, evidence)
        else:
            step(visitor, 30080, evidence)
    finally:
        for one in visitors:
            one.close()


@pytest.mark.parametrize("step", ["_csrf_refused", "_logout_ends_session", "_title_escaped"])
def test_the_session_steps_pass_on_the_frontend_as_it_is(
    step: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    serve_app: Callable[[Any], Any],
) -> None:
    urls = _frontend_urls(tmp_path, serve_app)
    monkeypatch.setattr(app_steps, "nodeport_url", lambda _urls, component, _port: getattr(urls, component))
    _run_step(step, urls, request, tmp_path)


@pytest.mark.parametrize("defect_id", sorted(FRONTEND_DEFECTS))
def test_the_session_steps_fail_on_each_seeded_frontend_defect(
    defect_id: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    serve_app: Callable[[Any], Any],
) -> None:
    (defect,) = [d for d in CATALOGUE if d.id == defect_id]
    if defect.file.endswith(".html"):
        _seed_templates(defect, tmp_path, monkeypatch)
    else:
        _seed_module(defect, tmp_path, monkeypatch)
    urls = _frontend_urls(tmp_path, serve_app)
    step, message = FRONTEND_DEFECTS[defect_id]
    with pytest.raises(AssertionError, match=message):
        _run_step(step, urls, request, tmp_path)
