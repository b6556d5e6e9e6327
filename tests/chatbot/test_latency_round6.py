"""Latency round 6 (issue 11, item 6): what keeps a chat turn's tail short (services/chatbot/README.md,
"Latency, round 6")."""

from __future__ import annotations

from pathlib import Path

import pytest
from todo_chatbot.main import create_app

from tests.chatbot.conftest import chatbot_settings
from tests.gc_freeze import assert_start_up_frozen

pytestmark = pytest.mark.anyio


async def test_start_up_objects_are_out_of_the_collectors_reach(tmp_path: Path) -> None:
    """Once the lifespan has started, what start-up made (the app's router and routes) is frozen (gc.freeze),
    so a full collection under load does not walk ~124,000 long-lived objects while every turn in flight
    waits. The objects turns make are still collected."""
    app = create_app(chatbot_settings(tmp_path / "chatbot.db"))
    await assert_start_up_frozen(app)
