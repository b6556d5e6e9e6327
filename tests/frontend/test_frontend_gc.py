"""The frontend's start-up objects are out of the garbage collector's reach (as the backend's and the
chatbot's): every chat turn passes the frontend, and a full collection stops all of them."""

from __future__ import annotations

import pytest
from todo_frontend.config import Settings
from todo_frontend.main import create_app

from tests.gc_freeze import assert_start_up_frozen

pytestmark = pytest.mark.anyio


async def test_start_up_objects_are_out_of_the_collectors_reach() -> None:
    app = create_app(Settings(backend_url="http://backend.test:8000", chatbot_url="http://chatbot.test:8001"))
    await assert_start_up_frozen(app)
