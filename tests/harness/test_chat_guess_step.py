"""SC-019's chat-safety scenario ("A delete reached by a guess is asked first, "no" keeps the task, and undo
brings a delete back"), its steps run in the scenario's order against the real backend and the real chatbot
(rules provider) served by uvicorn on loopback: it passes on the chatbot as it is, and fails at its first
check on the catalogue's `chatbot-deletes-on-a-guess` (the chatbot no longer asks before a delete it reached
by typo correction and fuzzy matching), applied by `apply_defect` as `tcb prove` applies it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import todo_chatbot.chat
import todo_chatbot.main
from todo_backend.core.config import Rate
from todo_backend.core.config import Settings as BackendSettings
from todo_backend.main import create_app as create_backend
from todo_chatbot.core.config import Settings as ChatbotSettings

from harness.app_client import AppClient
from harness.mutants.catalogue import CATALOGUE, apply_defect
from steps import app_steps
from steps.evidence import Evidence
from steps.fixtures import User

SECRET = "chat-guess-tests-0123456789abcdefghijklmnopqrstuvwxyz"  # pragma: allowlist secret


def _seed_guessing_chatbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chatbot's ChatService with the catalogue's defect applied to chat.py (compiled among a copy of the
    module's globals), in place of the one create_app builds."""
    (defect,) = [d for d in CATALOGUE if d.id == "chatbot-deletes-on-a-guess"]
    scratch = tmp_path / "seeded"
    source = scratch / defect.file
    source.parent.mkdir(parents=True)
    source.write_text(inspect.getsource(todo_chatbot.chat))
    apply_defect(defect, scratch)  # raises StaleDefect unless the edit matches chat.py exactly once
    namespace = dict(vars(todo_chatbot.chat))
    exec(compile(source.read_text(), str(todo_chatbot.chat.__file__), "exec"), namespace)  # noqa: S102
    monkeypatch.setattr(todo_chatbot.main, "ChatService", namespace["ChatService"])


def _user(tmp_path: Path, serve_app: Callable[[Any], Any]) -> User:
    backend = serve_app(
        create_backend(
            BackendSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'todo.db'}",
                better_auth_secret=SECRET,
                environment="production",
                signup_limit_per_address=Rate(1000, 3600),
            )
        )
    ).url
    chatbot = serve_app(
        todo_chatbot.main.create_app(
            ChatbotSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'chatbot.db'}",
                backend_url=backend,
                environment="development",
            )
        )
    ).url
    api = AppClient(backend)
    email, password = api.signup_new_user("Chat Guess")
    assert api.token is not None
    # the chat goes straight to the chatbot (in the cluster the frontend proxies /api/chat to it)
    return User(email, password, api.token, api, AppClient(chatbot, api.token))


def _scenario(user: User, evidence: Evidence, after_given: Callable[[], None] = lambda: None) -> None:
    """The scenario's steps, in its order (features/chat.feature)."""
    conversation = app_steps.Conversation()
    app_steps._has_tasks(user, "pay rent", "call the plumber")
    dues = app_steps._task_due_with_priority(user, 2, 3, "high")
    after_given()
    reply = app_steps._user_says(user, "delte the plumbr", conversation, evidence)
    app_steps._asked_before_deleting(user, reply, 1, 2)
    reply = app_steps._user_says(user, "no", conversation, evidence)
    app_steps._declined(user, reply, 1, 2)
    app_steps._user_says_confirming(user, "delte the plumbr", conversation, evidence)
    app_steps._deleted(user, 2, 1)
    app_steps._user_says(user, "undo", conversation, evidence)
    app_steps._restored(user, dues, 2, "call the plumber", 3, "high")


def test_the_chat_safety_scenario_passes_on_the_chatbot_as_it_is(
    tmp_path: Path, serve_app: Callable[[Any], Any], request: pytest.FixtureRequest
) -> None:
    user = _user(tmp_path, serve_app)
    try:
        _scenario(user, Evidence(request.node, tmp_path / "evidence"))
    finally:
        user.api.close()
        user.web.close()


def test_the_chat_safety_scenario_fails_on_a_chatbot_that_deletes_on_a_guess(
    tmp_path: Path,
    serve_app: Callable[[Any], Any],
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed_guessing_chatbot(tmp_path, monkeypatch)
    user = _user(tmp_path, serve_app)
    try:
        with pytest.raises(AssertionError, match=r"the reply .Deleted #2 .* acted"):
            _scenario(user, Evidence(request.node, tmp_path / "evidence"))
    finally:
        user.api.close()
        user.web.close()


def test_a_run_across_midnight_expects_the_due_date_it_set(
    tmp_path: Path,
    serve_app: Callable[[Any], Any],
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The restored task is compared with the date the Given set, not with "in 3 days" computed again: the day
    turning over after the Given (seeded here by moving the steps' clock a day on) must not fail the run."""
    real = app_steps.date

    class NextDay(real):  # type: ignore[valid-type, misc]
        @classmethod
        def today(cls) -> date:
            return real.today() + timedelta(days=1)

    user = _user(tmp_path, serve_app)
    try:
        _scenario(
            user,
            Evidence(request.node, tmp_path / "evidence"),
            after_given=lambda: monkeypatch.setattr(app_steps, "date", NextDay),
        )
    finally:
        user.api.close()
        user.web.close()
