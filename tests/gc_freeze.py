"""The check the three services' gc.freeze tests share: once an app's lifespan has started, what start-up
made (its router, its routes) is out of the garbage collector's reach, and what a request makes is not."""

from __future__ import annotations

import gc
from typing import Any


async def assert_start_up_frozen(app: Any) -> None:
    gc.unfreeze()  # whatever an earlier test froze is tracked again: this test sees only this app's freeze
    try:
        async with app.router.lifespan_context(app):
            tracked = {id(each) for each in gc.get_objects()}
            assert id(app.router) not in tracked, "the app's router is still walked by every full collection"
            assert not any(id(route) in tracked for route in app.router.routes)
            made_now: list[list[str]] = [["a request's list"]]  # a container: tracked by the collector
            assert id(made_now) in {id(each) for each in gc.get_objects()}
    finally:
        gc.unfreeze()
