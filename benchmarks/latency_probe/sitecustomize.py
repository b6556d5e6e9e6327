"""Where a server's tail latency comes from, measured inside the server process (benchmarks/backend_bench.py).

Loaded by Python's `site` at start-up when this directory is on PYTHONPATH and TCB_PROBE_DIR is set (nothing
happens otherwise), so the backend and the reference are measured the same way without a line of probe code
in either. It records, in every process (each uvicorn worker):

- garbage-collection pauses per generation (gc.callbacks: time from "start" to "stop");
- the time each request spends inside the ASGI app (from the app's call to its last body message): the rest
  of what the client measures is spent in the kernel's socket queues and the event loop's ready queue;
- event-loop lag: a task asks to wake up every 5 ms and records how late it wakes (what one callback waits
  behind the others on a busy loop).

SIGUSR1 clears the records; SIGUSR2 writes them to TCB_PROBE_DIR/<pid>.json. For experiments without code
changes: TCB_PROBE_GC_FREEZE=1 calls gc.freeze() once the lifespan has started (what the backend does
itself with TODO_GC_FREEZE), TCB_PROBE_GC_THRESHOLD="a,b,c" sets gc thresholds, TCB_PROBE_GC_DISABLE=1
turns the collector off (only to bound what GC costs; never in production).
"""

from __future__ import annotations

import os

if os.environ.get("TCB_PROBE_DIR"):
    import asyncio
    import gc
    import json
    import signal
    import time
    from pathlib import Path
    from typing import Any

    _DIR = Path(os.environ["TCB_PROBE_DIR"])
    _clock = time.perf_counter
    _gc: dict[int, list[float]] = {0: [], 1: [], 2: []}
    _app: list[float] = []
    _lag: list[float] = []
    _gc_started = 0.0
    _ticker: asyncio.Task[None] | None = None

    def _on_gc(phase: str, info: dict[str, int]) -> None:
        global _gc_started
        if phase == "start":
            _gc_started = _clock()
        else:
            _gc[info["generation"]].append(_clock() - _gc_started)

    gc.callbacks.append(_on_gc)
    if os.environ.get("TCB_PROBE_GC_THRESHOLD"):
        gc.set_threshold(*(int(each) for each in os.environ["TCB_PROBE_GC_THRESHOLD"].split(",")))
    if os.environ.get("TCB_PROBE_GC_DISABLE") == "1":
        gc.disable()

    async def _tick() -> None:
        while True:
            asked = _clock()
            await asyncio.sleep(0.005)
            _lag.append(_clock() - asked - 0.005)

    def _reset(*_: object) -> None:
        for each in (*_gc.values(), _app, _lag):
            each.clear()

    def _dump(*_: object) -> None:
        record = {
            "gc": {str(gen): pauses for gen, pauses in _gc.items()},
            "app": _app,
            "lag": _lag,
            "gc_threshold": gc.get_threshold(),
            "gc_frozen": gc.get_freeze_count(),
            "gc_tracked": len(gc.get_objects()),
            "loop": type(asyncio.get_event_loop_policy()).__module__,
        }
        (_DIR / f"{os.getpid()}.json").write_text(json.dumps(record))

    signal.signal(signal.SIGUSR1, _reset)
    signal.signal(signal.SIGUSR2, _dump)

    def _wrap(app: Any) -> Any:
        async def probed(scope: dict[str, Any], receive: Any, send: Any) -> None:
            global _ticker
            if scope["type"] == "lifespan":
                if os.environ.get("TCB_PROBE_GC_FREEZE") == "1":
                    asyncio.get_running_loop().call_later(1.0, gc.freeze)  # after the lifespan's start-up
                await app(scope, receive, send)
                return
            if _ticker is None:
                _ticker = asyncio.get_running_loop().create_task(_tick())
            started = _clock()

            async def timed_send(message: dict[str, Any]) -> None:
                await send(message)
                if message["type"] == "http.response.body" and not message.get("more_body", False):
                    _app.append(_clock() - started)

            await app(scope, receive, timed_send)

        return probed

    import uvicorn.config

    _load = uvicorn.config.Config.load

    def _probed_load(self: Any) -> None:
        _load(self)
        self.loaded_app = _wrap(self.loaded_app)

    uvicorn.config.Config.load = _probed_load  # type: ignore[method-assign]
