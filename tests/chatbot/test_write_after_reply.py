"""Latency round 5: a turn's conversation write made after the reply (when no replica could be misled by
reading the conversation before it lands), in order per conversation on the replica; the counters read beside
the backend's task list only well below the limits. Each behaviour beside a seeded defect that breaks it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from todo_chatbot import chat as chat_module
from todo_chatbot import crud
from todo_chatbot.chat import ChatService, stale_read_is_harmless
from todo_chatbot.core.db import make_engine, migrate
from todo_chatbot.core.limits import TurnLimits
from todo_chatbot.core.metrics import LATE_WRITE_FAILURES
from todo_chatbot.crud import ConversationState, ConversationStore
from todo_chatbot.main import create_app as create_chatbot

from .conftest import Stack, chatbot_settings, running_stack

pytestmark = pytest.mark.anyio

# long enough that a follow-up sent right after a reply reaches the chatbot before the write lands, even on a
# loaded machine; short enough for the tests' time
WRITE_DELAY = 0.5


def slow_writes(
    monkeypatch: pytest.MonkeyPatch, store: ConversationStore, seconds: float = WRITE_DELAY
) -> None:
    """Each conversation write waits `seconds` first: a database that takes its time."""
    real = store.close_turn

    async def slow(*args: Any, **kwargs: Any) -> int | None:
        await asyncio.sleep(seconds)
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "close_turn", slow)


def service_of(app: FastAPI | None) -> ChatService:
    assert app is not None
    service: ChatService = app.state.service
    return service


def titles(tasks: list[dict[str, Any]]) -> set[str]:
    return {t["title"] for t in tasks}


@asynccontextmanager
async def second_replica(stack: Stack, directory: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Another chatbot process on the same database and backend (the chart's replicaCount 2, or a rollout)."""
    app = create_chatbot(chatbot_settings(directory / "chatbot.db"), stack.backend_transport)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://replica-b") as client,
    ):
        yield client


async def chat_on(client: httpx.AsyncClient, token: str, message: str, conversation: str) -> dict[str, Any]:
    r = await client.post(
        "/api/chat",
        json={"message": message, "conversation_id": conversation},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    reply: dict[str, Any] = r.json()
    return reply


def test_only_filling_an_empty_context_or_leaving_it_as_it_was_is_written_after_the_reply() -> None:
    empty: chat_module.Context = (None, None, None, [])
    question = {"awaiting": "confirm", "intent": {"intent": "delete"}}
    change = {"kind": "created", "tasks": [{"number": 1}]}
    assert stale_read_is_harmless(empty, empty)
    assert stale_read_is_harmless(
        empty, (question, change, 1, [1, 2])
    )  # a stale reader sees nothing to act on
    full: chat_module.Context = (question, change, 1, [1, 2])
    assert stale_read_is_harmless(full, full)  # "how many are left?" after a list
    assert not stale_read_is_harmless(full, (None, change, 1, [1, 2]))  # "no": the question is gone
    assert not stale_read_is_harmless(full, (question, None, 1, [1, 2]))  # an undo
    assert not stale_read_is_harmless(full, (question, change, 2, [1, 2]))  # "it" names another task
    assert not stale_read_is_harmless(full, (question, change, 1, [2]))  # another list


async def _dentist_with_slow_writes(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, in_order: bool
) -> tuple[ChatService, str]:
    """A user with the task "Call dentist" whose conversation writes land late; unless `in_order`, the seeded
    defect: the next turn no longer waits for the last one's write."""
    service = service_of(stack.chatbot_app)
    token = await stack.signup()
    await stack.add_task(token, title="Call dentist")
    slow_writes(monkeypatch, service.store)
    if not in_order:
        monkeypatch.setattr(service, "_after_earlier_write", lambda _conversation: asyncio.sleep(0))
    return service, token


@pytest.mark.parametrize("in_order", [True, False], ids=["in-order", "seeded-defect-no-wait"])
async def test_a_quick_yes_sees_the_question_it_answers(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, in_order: bool
) -> None:
    service, token = await _dentist_with_slow_writes(stack, monkeypatch, in_order)
    asked = await stack.chat(token, "delete the dentsit one")  # a typo: asks first
    assert "(yes/no)" in asked["reply"], asked
    assert asked["conversation_id"] in service._writes  # answered while its write was still to land
    yes = await stack.chat(token, "yes", asked["conversation_id"])
    if in_order:
        assert [a["type"] for a in yes["actions"]] == ["deleted"], yes
        assert await stack.tasks(token) == []
    else:  # the yes read the conversation before the question was in it
        assert "nothing waiting for a yes" in yes["reply"], yes
        assert titles(await stack.tasks(token)) == {"Call dentist"}


@pytest.mark.parametrize("in_order", [True, False], ids=["in-order", "seeded-defect-no-wait"])
async def test_undo_right_after_a_change_undoes_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, in_order: bool
) -> None:
    service, token = await _dentist_with_slow_writes(stack, monkeypatch, in_order)
    added = await stack.chat(token, "add buy stamps")
    assert added["conversation_id"] in service._writes
    undone = await stack.chat(token, "undo", added["conversation_id"])
    if in_order:
        assert [a["type"] for a in undone["actions"]] == ["deleted"], undone
        assert titles(await stack.tasks(token)) == {"Call dentist"}
    else:
        assert "nothing to undo" in undone["reply"], undone
        assert titles(await stack.tasks(token)) == {"Call dentist", "buy stamps"}


async def test_a_yes_on_another_replica_before_the_question_is_written_does_nothing(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await stack.signup()
    await stack.add_task(token, title="Call dentist")
    slow_writes(monkeypatch, service_of(stack.chatbot_app).store)
    async with second_replica(stack, tmp_path) as replica_b:
        asked = await stack.chat(token, "delete the dentsit one")
        assert "(yes/no)" in asked["reply"], asked
        yes = await chat_on(replica_b, token, "yes", asked["conversation_id"])
        assert "nothing waiting for a yes" in yes["reply"], yes
        assert yes["actions"] == []
        assert titles(await stack.tasks(token)) == {"Call dentist"}


@pytest.mark.parametrize("scenario", ["no-then-yes", "delete-then-undo"])
@pytest.mark.parametrize(
    "defer_everything", [False, True], ids=["as-built", "seeded-defect-every-write-after-the-reply"]
)
async def test_a_follow_up_on_another_replica_never_acts_on_context_a_turn_replaced(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str, defer_everything: bool
) -> None:
    """A turn that replaces context (a question answered "no", a change superseded by another) is written
    before its reply: another replica reading the conversation right after cannot act on the old one."""
    service = service_of(stack.chatbot_app)
    token = await stack.signup()
    dentist = await stack.add_task(token, title="Call dentist")
    if defer_everything:  # seeded defect: every write after the reply, whatever a stale read would do
        monkeypatch.setattr(chat_module, "stale_read_is_harmless", lambda _before, _after: True)
    async with second_replica(stack, tmp_path) as replica_b:
        if scenario == "no-then-yes":  # a question, "no" on replica A, a quick "yes" on replica B
            conversation = (await stack.chat(token, "delete the dentsit one"))["conversation_id"]
            await service.drain()
            slow_writes(monkeypatch, service.store)
            no = await stack.chat(token, "no", conversation)
            assert "won't" in no["reply"], no
            yes = await chat_on(replica_b, token, "yes", conversation)
            if defer_everything:  # replica B read the question the user had just declined, and acted on it
                assert [a["type"] for a in yes["actions"]] == ["deleted"], yes
                assert await stack.tasks(token) == []
            else:
                assert "nothing waiting for a yes" in yes["reply"], yes
                assert titles(await stack.tasks(token)) == {"Call dentist"}
        else:  # an add, then a delete on replica A; a quick "undo" on replica B
            conversation = (await stack.chat(token, "add buy stamps"))["conversation_id"]
            await service.drain()
            slow_writes(monkeypatch, service.store)
            deleted = await stack.chat(token, f"delete task {dentist['number']}", conversation)
            assert [a["type"] for a in deleted["actions"]] == ["deleted"], deleted
            undone = await chat_on(replica_b, token, "undo", conversation)
            if defer_everything:  # replica B undid the add the user did not ask to undo
                assert [a["type"] for a in undone["actions"]] == ["deleted"], undone
                assert await stack.tasks(token) == []
            else:
                assert [a["type"] for a in undone["actions"]] == ["restored"], undone
                assert titles(await stack.tasks(token)) == {"Call dentist", "buy stamps"}


@pytest.mark.parametrize("counted", [True, False], ids=["unwritten-counted", "seeded-defect-not-counted"])
async def test_the_account_limit_counts_messages_whose_write_has_not_landed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: bool, one_rate_window: float
) -> None:
    async with running_stack(tmp_path, chat_limit_per_account="3/60") as stack:
        service = service_of(stack.chatbot_app)
        token = await stack.signup()
        slow_writes(monkeypatch, service.store, seconds=3 * WRITE_DELAY)
        if not counted:
            admit = TurnLimits.admit
            monkeypatch.setattr(TurnLimits, "admit", lambda self, opened, unwritten=0: admit(self, opened))
        # each message without a conversation id starts one (a page load): written after the reply
        for _ in range(3):
            assert (await stack.chat_raw(token, {"message": "help"})).status_code == 200
        assert service._unwritten_hits, "the writes landed already: the check below would prove nothing"
        fourth = await stack.chat_raw(token, {"message": "help"})
        assert fourth.status_code == (429 if counted else 200), fourth.text
        await service.drain()
        assert not service._unwritten_hits
        assert (await stack.chat_raw(token, {"message": "help"})).status_code == 429  # the database's count


@pytest.mark.parametrize(
    "ordered", [True, False], ids=["near-the-limit-in-order", "seeded-defect-side-by-side"]
)
async def test_near_its_limit_a_refused_message_never_reaches_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ordered: bool, one_rate_window: float
) -> None:
    async with running_stack(tmp_path, chat_limit_per_account="4/60") as stack:
        service = service_of(stack.chatbot_app)
        token = await stack.signup()
        asked: list[str] = []
        list_tasks = service.backend.list_tasks

        async def counted(token: str) -> Any:
            asked.append(token)
            return await list_tasks(token)

        monkeypatch.setattr(service.backend, "list_tasks", counted)
        if not ordered:  # seeded defect: the counters always read beside the backend call
            monkeypatch.setattr(service, "_well_below", lambda _limits: True)
        conversation = None
        for _ in range(4):
            reply = await stack.chat(token, "help", conversation)
            conversation = reply["conversation_id"]
        assert len(asked) == 4
        refused = await stack.chat_raw(token, {"message": "help", "conversation_id": conversation})
        assert refused.status_code == 429, refused.text
        assert len(asked) == (4 if ordered else 5)  # the refused message asked the backend nothing


async def test_a_write_that_fails_after_the_reply_loses_context_not_the_task(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = service_of(stack.chatbot_app)
    token = await stack.signup()
    failures = LATE_WRITE_FAILURES._value.get()

    async def broken(*args: Any, **kwargs: Any) -> int | None:
        await asyncio.sleep(0.05)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service.store, "close_turn", broken)
    with caplog.at_level(logging.ERROR, logger="todo_chatbot"):
        added = await stack.chat(token, "add buy stamps")
        assert added["reply"].startswith("Added"), added
        await service.drain()
    assert LATE_WRITE_FAILURES._value.get() == failures + 1
    assert "the write after the reply failed" in caplog.text
    assert titles(await stack.tasks(token)) == {"buy stamps"}  # the task was made before the reply
    assert not service._unwritten_hits and not service._writes
    monkeypatch.undo()
    again = await stack.chat(token, "undo", added["conversation_id"])  # the context is what was lost
    assert "nothing to undo" in again["reply"], again
    assert titles(await stack.tasks(token)) == {"buy stamps"}


@pytest.mark.parametrize("drained", [True, False], ids=["drained", "seeded-defect-no-drain"])
async def test_shutdown_waits_for_the_writes_made_after_replies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drained: bool
) -> None:
    async with running_stack(tmp_path) as stack:
        service = service_of(stack.chatbot_app)
        token = await stack.signup()
        slow_writes(monkeypatch, service.store)
        if not drained:
            left = service._writes

            async def no_drain(timeout: float = 0) -> int:
                return len(left)

            monkeypatch.setattr(service, "drain", no_drain)
        conversation = (await stack.chat(token, "add buy stamps"))["conversation_id"]
        assert conversation in service._writes
    # the app has shut down (a rollout's old pod): its engine is closed; read the database afresh
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'chatbot.db'}")
    try:
        stored = await ConversationStore(engine).counts(conversation)
    finally:
        await engine.dispose()
        for task in list(service._writes.values()):
            task.cancel()
    assert stored == (2 if drained else 0)


# the part of the upsert's WHERE that keeps a later-begun turn's context (the seeded defect removes it)
LATER_TURN_WINS = " c.updated_at <= excluded.updated_at AND"


async def late_write_lands_last(store: ConversationStore) -> tuple[int | None, int]:
    """A turn's write made after its reply lands after the write of a turn that began after it (on another
    replica): the conversation's "it" afterwards, and its stored messages."""
    began = datetime.now(UTC)
    first = store.owned_by("1", None)
    await store.close_turn("1", first, "show my tasks", "…", "list", begun=began)
    earlier = ConversationState(first.id, False, 5, [], None, {"kind": "created", "tasks": [{"number": 5}]})
    later = ConversationState(first.id, False, 1, [], None, {"kind": "deleted", "tasks": [{"number": 1}]})
    await store.close_turn(
        "1", later, "delete task 1", "Deleted #1.", "delete", begun=began + timedelta(seconds=2)
    )
    await store.close_turn("1", earlier, "add stamps", "Added #5.", "add", begun=began + timedelta(seconds=1))
    found = await store.find(first.id)
    assert found is not None
    return found[1].last_task_number, await store.counts(first.id)


@pytest.mark.parametrize("guarded", [True, False], ids=["later-turn-kept", "seeded-defect-last-write-wins"])
async def test_a_write_landing_late_never_replaces_a_later_turns_context(
    tmp_path: Path, guarded: bool
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'chatbot.db'}")
    await migrate(engine)
    store = ConversationStore(engine)
    assert LATER_TURN_WINS in crud._UPSERT
    if not guarded:
        store._upsert = crud._sql(crud._UPSERT.replace(LATER_TURN_WINS, ""))
    try:
        # an "undo" now reverts the delete, the last change; without the guard it would delete #5
        assert await late_write_lands_last(store) == ((1, 4) if guarded else (5, 6))
    finally:
        await engine.dispose()
