"""Progress output for long operations: one logger and one progress display per process.

Long operations run as phases (`with phase("cluster"): ...`): each says when it starts and ends, how long it
took against the last recorded duration of the same phase (kept in CACHE/durations.json), and shows the
harness's log lines while it runs as its current step. Three modes:

- live (the output is a terminal): one line per running phase, rewritten in place every second;
- plain (not a terminal, e.g. CI logs): timestamped lines;
- quiet (`pytest -q`): one line per phase, when it ends (warnings still show).

Output goes to stderr unless `progress.configure(stream=...)` points it elsewhere: the acceptance plugin gives
it a duplicate of the real stderr file descriptor, taken before pytest starts capturing, so progress reaches
the terminal whatever pytest's capture mode.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

LIVE, PLAIN, QUIET = "live", "plain", "quiet"
MODES = (LIVE, PLAIN, QUIET)
_START = time.monotonic()


def _default_history() -> Path:
    from harness.paths import CACHE

    return CACHE / "durations.json"


def format_seconds(seconds: float) -> str:
    """12.3s, 2m05s, 1h02m."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@dataclass
class Phase:
    key: str  # what its duration is recorded under ("cluster", "build", "install")
    title: str
    started: float
    last: float | None  # the duration recorded by the last successful run of this phase
    nested: float = 0.0  # seconds spent in phases started inside this one (not counted as its own)
    step: str = ""
    thread: int = field(default_factory=threading.get_ident)  # phases nest only within their own thread
    children: list[str] = field(default_factory=list)

    def elapsed(self, now: float | None = None) -> float:
        return (now if now is not None else time.monotonic()) - self.started

    def own(self, now: float | None = None) -> float:
        """Seconds of this phase itself, without the phases nested in it."""
        return self.elapsed(now) - self.nested

    def clock(self, now: float | None = None) -> str:
        text = format_seconds(self.own(now))
        return f"{text} (last {format_seconds(self.last)})" if self.last is not None else text


class Progress:
    """The phases running now and where their lines go; `progress` below is the process's one instance."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stream: TextIO | None = None  # None: sys.stderr at the time of writing
        self._mode: str | None = None  # None: live on a terminal, plain otherwise
        self._history_path: Path | None = None
        self._before_write: Callable[[], None] | None = None
        self._stack: list[Phase] = []
        self._live_line = False  # a live line is on screen and must be cleared before the next write
        self._ticker: threading.Thread | None = None
        self._last_line = time.monotonic()
        self.heartbeat = 60.0  # plain mode: a line at least this often (seconds) while a phase runs
        self.finished: list[tuple[str, float]] = []  # (key, own seconds) of every phase that ended well

    # --- configuration ------------------------------------------------------------------------------------
    def configure(
        self,
        stream: TextIO | None = None,
        *,
        mode: str | None = None,
        history: Path | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        """Where lines go (None: stderr), the mode (None: live on a terminal, else plain), where durations
        are recorded (None: CACHE/durations.json) and a callback run before each write (to flush and end the
        line of whoever else writes to the terminal)."""
        if mode is not None and mode not in MODES:
            raise ValueError(f"progress mode {mode!r}: use one of {', '.join(MODES)}")
        with self._lock:
            self._clear_live()
            self._stream, self._mode, self._history_path = stream, mode, history
            self._before_write = before_write

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    @property
    def mode(self) -> str:
        if self._mode is not None:
            return self._mode
        isatty = getattr(self.stream, "isatty", None)
        return LIVE if isatty is not None and isatty() else PLAIN

    @property
    def history_path(self) -> Path:
        return self._history_path or _default_history()

    # --- recorded durations -------------------------------------------------------------------------------
    def last_duration(self, key: str) -> float | None:
        try:
            value = json.loads(self.history_path.read_text()).get(key)
        except (OSError, ValueError, AttributeError):
            return None
        return float(value) if isinstance(value, int | float) else None

    def _record(self, key: str, seconds: float) -> None:
        path = self.history_path
        try:
            data = json.loads(path.read_text()) if path.exists() else {}
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[key] = round(seconds, 2)
        from harness.paths import write_replacing  # imported where used, as _default_history does

        try:
            write_replacing(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        except OSError:
            pass  # a read-only cache only costs the comparison next time

    # --- phases -------------------------------------------------------------------------------------------
    @contextmanager
    def phase(self, key: str, title: str | None = None) -> Iterator[Phase]:
        """A long operation: its start, its steps (log lines) and its end with the time it took."""
        now = time.monotonic()
        current = Phase(key, title or key, now, self.last_duration(key))
        with self._lock:
            parent = self._innermost(current.thread)
            if parent is not None:
                parent.children.append(key)
            self._stack.append(current)
            if self.mode == PLAIN:
                last = f" (last took {format_seconds(current.last)})" if current.last is not None else ""
                self._line(f"{current.title}: started{last}")
            self._start_ticker()
        try:
            yield current
        except BaseException as exc:
            self._end(
                current, f"failed after {format_seconds(current.own())}: {_short(str(exc) or repr(exc))}"
            )
            raise
        self._end(current, None)

    def _end(self, current: Phase, failure: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            if current in self._stack:
                self._stack.remove(current)
            parent = self._innermost(current.thread)
            if parent is not None:
                parent.nested += current.elapsed(now)
            if failure is None:
                own = current.own(now)
                self.finished.append((current.key, own))
                self._record(current.key, own)
                self._line(f"{current.title}: done in {current.clock(now)}", mark="✓")
            else:
                self._line(f"{current.title}: {failure}", mark="✗")
            self._render_live()

    def _innermost(self, thread: int) -> Phase | None:
        """The innermost running phase started by `thread` (a phase run in a background thread, e.g. the
        acceptance run's early start, neither holds nor is held by the main thread's phases)."""
        return next((p for p in reversed(self._stack) if p.thread == thread), None)

    def step(self, text: str, level: int = logging.INFO) -> None:
        """A log line: the running phase's current step (a line of its own unless live or quiet)."""
        with self._lock:
            # the phase of the thread that logs: the images build beside the cluster's start, and a line of
            # one must not read as the other's (a thread with no phase of its own logs its line bare)
            current = self._innermost(threading.get_ident())
            if current is not None:
                current.step = text
            mode = self.mode
            if level >= logging.WARNING:
                self._line(text, mark="!")
            elif mode == PLAIN:
                self._line(f"{current.key} {current.clock()} · {text}" if current is not None else text)
            elif mode == LIVE:
                if self._stack:
                    self._render_live()
                else:
                    self._line(text)

    # --- output -------------------------------------------------------------------------------------------
    def _write(self, text: str) -> None:
        if self._before_write is not None:
            try:
                self._before_write()
            except Exception:  # noqa: S110 - a broken flush callback must not stop the run
                pass
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # the terminal went away: progress is not worth failing the run for

    def _clear_live(self) -> None:
        if self._live_line:
            self._write("\r\x1b[K")
            self._live_line = False

    def _line(self, text: str, mark: str = "") -> None:
        if self.mode == QUIET and not mark:
            return
        self._clear_live()
        stamp = datetime.now().strftime("%H:%M:%S")
        prefix = f"{mark} " if mark else ""
        self._write(f"[tcb {stamp}] {prefix}{text}\n")
        self._last_line = time.monotonic()

    def _render_live(self) -> None:
        if self.mode != LIVE or not self._stack:
            return
        now = time.monotonic()
        path = " > ".join(p.title for p in self._stack)
        current = self._stack[-1]
        line = f"[tcb] ⏳ {path} {current.clock(now)}" + (f": {current.step}" if current.step else "")
        width = _width(self.stream)
        if len(line) > width - 1:
            line = line[: width - 2] + "…"
        self._write("\r\x1b[K" + line)
        self._live_line = True

    def _start_ticker(self) -> None:
        if self.mode == QUIET or (self._ticker is not None and self._ticker.is_alive()):
            return
        self._ticker = threading.Thread(target=self._tick, name="tcb-progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        """Live: redraw the line every second. Plain: a heartbeat line when a phase has been quiet for a
        while, so a CI log shows the run is alive and what it is still doing."""
        while True:
            time.sleep(min(1.0, self.heartbeat / 4))
            with self._lock:
                if not self._stack or self.mode == QUIET:
                    self._ticker = None
                    return
                if self.mode == LIVE:
                    self._render_live()
                elif time.monotonic() - self._last_line >= self.heartbeat:
                    current = self._stack[-1]
                    self._line(f"{current.key} {current.clock()} · still " + (current.step or "working"))


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 120


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


progress = Progress()


def phase(key: str, title: str | None = None) -> AbstractContextManager[Phase]:
    """`with phase("build", "images"):` — see Progress.phase."""
    return progress.phase(key, title)


class _ProgressHandler(logging.Handler):
    """Every harness log line goes to the progress display (as the running phase's step)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            progress.step(record.getMessage(), record.levelno)
        except Exception:
            self.handleError(record)


def get_logger(name: str = "tcb") -> logging.Logger:
    logger = logging.getLogger("tcb" if name == "tcb" else f"tcb.{name}")
    root = logging.getLogger("tcb")
    if not root.handlers:
        root.addHandler(_ProgressHandler())
        root.setLevel(logging.INFO)
        root.propagate = False
    return logger


def elapsed_since_start() -> float:
    """Seconds since the harness was imported (the process's run time, near enough)."""
    return time.monotonic() - _START
