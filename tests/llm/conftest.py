"""A real model server (llama-cpp-python + SmolLM2-135M-Instruct, built on first use) and real backend +
chatbot processes (harness.devserver) pointed at it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import llm_server
from harness.devserver import DevStack, free_port, start_dev_stack

CLIENT_TIME = "2026-11-23T10:00:00+00:00"  # a Monday
_users = itertools.count(1)


@pytest.fixture(scope="session")
def local_llm(pytestconfig: pytest.Config) -> Iterator[llm_server.LLMServer]:
    # the first run builds llama-cpp-python (about 5 min): show its progress lines instead of capturing them
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        runtime = llm_server.ensure_llm_runtime()
    with llm_server.LLMServer(runtime) as server:
        yield server


@dataclass
class User:
    """One signed-up user, talking to the chatbot over HTTP in one conversation."""

    stack: DevStack
    http: httpx.Client
    token: str
    conversation: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def add_task(self, title: str, **fields: Any) -> dict[str, Any]:
        r = self.http.post(
            f"{self.stack.backend_url}/api/tasks", json={"title": title, **fields}, headers=self.auth
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def tasks(self) -> list[dict[str, Any]]:
        r = self.http.get(f"{self.stack.backend_url}/api/tasks", headers=self.auth)
        assert r.status_code == 200, r.text
        return list(r.json())

    def say(self, message: str) -> dict[str, Any]:
        body = {"message": message, "client_time": CLIENT_TIME}
        if self.conversation:
            body["conversation_id"] = self.conversation
        r = self.http.post(f"{self.stack.chatbot_url}/api/chat", json=body, headers=self.auth)
        assert r.status_code == 200, r.text
        reply: dict[str, Any] = r.json()
        self.conversation = reply["conversation_id"]
        return reply

    def chatbot_log(self) -> str:
        return self.stack.services["chatbot"].log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def chat_stacks(
    local_llm: llm_server.LLMServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, float], DevStack]]:
    """stack(mode, llm_timeout): backend + chatbot with NLU_PROVIDER=mode on the local model, started once."""
    started: dict[tuple[str, float], DevStack] = {}
    with ExitStack() as stop:

        def stack(mode: str, timeout: float = 20.0) -> DevStack:
            if (mode, timeout) not in started:
                env = {"LLM_BASE_URL": local_llm.base_url, "LLM_MODEL": local_llm.model_id,
                       "LLM_TIMEOUT_SECONDS": str(timeout)}  # fmt: skip
                directory: Path = tmp_path_factory.mktemp(f"{mode}-stack")
                started[(mode, timeout)] = stop.enter_context(
                    start_dev_stack(
                        directory,
                        ports={"backend": free_port(), "chatbot": free_port()},
                        nlu_provider=mode,
                        only=("backend", "chatbot"),
                        extra_env={"chatbot": env},
                    )
                )
            return started[(mode, timeout)]

        yield stack


@pytest.fixture
def signup() -> Iterator[Callable[[DevStack], User]]:
    with httpx.Client(timeout=60) as http:

        def new_user(stack: DevStack) -> User:
            email = f"llm-user{next(_users)}-{free_port()}@example.com"
            r = http.post(
                f"{stack.backend_url}/api/auth/signup", json={"email": email, "password": "correct horse 1"}
            )
            assert r.status_code == 201, r.text
            return User(stack, http, r.json()["access_token"])

        yield new_user
