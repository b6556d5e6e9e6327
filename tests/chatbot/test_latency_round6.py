"""Latency round 6 (issue 11, item 6): what keeps a chat turn's tail short (services/chatbot/README.md,
"Latency, round 6")."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from todo_chatbot.main import create_app

from tests.chatbot.conftest import chatbot_settings

pytestmark = pytest.mark.anyio


async def test_start_up_objects_are_out_of_the_collectors_reach(tmp_path: Path) -> None:
    """Once the lifespan has started, what start-up made (the app's router and routes) is frozen (gc.freeze),
    so a full collection under load does not walk ~124,000 long-lived objects while every turn in flight
    waits. The objects turns make are still collected."""
    gc.unfreeze()  # whatever an earlier test froze is tracked again: this test sees only this app's freeze
    app = create_app(chatbot_settings(tmp_path / "chatbot.db"))
    try:
        async with app.router.lifespan_context(app):
            tracked = {id(each) for each in gc.get_objects()}
            assert id(app.router) not in tracked, "the app's router is still walked by every full collection"
            assert not any(id(route) in tracked for route in app.router.routes)
            made_now: list[list[str]] = [["a turn's list"]]  # a container: tracked by the collector
            assert id(made_now) in {id(each) for each in gc.get_objects()}
    finally:
        gc.unfreeze()
