"""The frontend's start-up objects are out of the garbage collector's reach (as the backend's and the
chatbot's): every chat turn passes the frontend, and a full collection stops all of them."""

from __future__ import annotations

import gc

import pytest
from todo_frontend.config import Settings
from todo_frontend.main import create_app

pytestmark = pytest.mark.anyio


async def test_start_up_objects_are_out_of_the_collectors_reach() -> None:
    gc.unfreeze()  # whatever an earlier test froze is tracked again: this test sees only this app's freeze
    app = create_app(Settings(backend_url="http://backend.test:8000", chatbot_url="http://chatbot.test:8001"))
    try:
        async with app.router.lifespan_context(app):
            tracked = {id(each) for each in gc.get_objects()}
            assert id(app.router) not in tracked, "the app's router is still walked by every full collection"
            assert not any(id(route) in tracked for route in app.router.routes)
            made_now: list[list[str]] = [["a request's list"]]  # a container: tracked by the collector
            assert id(made_now) in {id(each) for each in gc.get_objects()}
    finally:
        gc.unfreeze()
