"""The one wait primitive: poll a probe until it says done, with a deadline and a message that says
what was awaited and what was last seen.

A probe that sees that what it waits for cannot happen any more (the process it waits on exited, a pod is in
CrashLoopBackOff) raises `StopWaiting(reason)`: the wait ends at once with `WaitStopped`, a `WaitTimeout` that
says why, instead of running into its deadline. How long each kind of wait may take is in harness.timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from harness.log import get_logger

log = get_logger("wait")
T = TypeVar("T")


class WaitTimeout(TimeoutError):
    def __init__(self, what: str, timeout: float, last_seen: str) -> None:
        self.what = what
        self.last_seen = last_seen
        super().__init__(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last_seen}")


class StopWaiting(Exception):
    """Raised by a probe: what the wait is for cannot happen any more. `reason` says why, for the message."""

    def __init__(self, reason: str, details: str = "") -> None:
        self.reason = reason
        self.details = details
        super().__init__(reason)


class WaitStopped(WaitTimeout):
    """A wait its probe ended early (StopWaiting): what it waited for cannot happen."""

    def __init__(self, what: str, reason: str, details: str = "", elapsed: float = 0.0) -> None:
        self.what = what
        self.reason = reason
        self.last_seen = details or reason
        message = f"gave up waiting for {what} after {elapsed:.0f}s: {reason}"
        TimeoutError.__init__(self, message + (f"\n{details}" if details else ""))


class RolloutCannotSucceed(WaitStopped):
    """A rollout wait ended early: one of the release's pods shows it cannot succeed (CrashLoopBackOff, …)."""

    def __init__(self, what: str, reason: str, details: str) -> None:
        super().__init__(what, f"it cannot succeed: {reason}", details)


def wait_until(
    what: str,
    probe: Callable[[], tuple[bool, T]],
    *,
    timeout: float,
    interval: float = 0.5,
    progress_every: float = 10.0,
) -> T:
    """Call probe() until it returns (True, value); return value.

    probe returns (done, observation); the observation (its str) is reported in progress lines and in the
    WaitTimeout message. Exceptions from probe count as observations (e.g. connection refused while starting),
    except StopWaiting, which ends the wait at once with WaitStopped.
    """
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    last_report = started
    last: object = "nothing yet"
    while True:
        try:
            done, observed = probe()
            last = observed
            if done:
                return observed
        except StopWaiting as stop:
            log.info("stopped waiting for %s: %s", what, stop.reason)
            raise WaitStopped(what, stop.reason, stop.details, time.monotonic() - started) from None
        except Exception as exc:  # a failing probe is an observation, not an error
            last = f"{type(exc).__name__}: {exc}"
        now = time.monotonic()
        if now >= deadline:
            raise WaitTimeout(what, timeout, _short(last))
        if now - last_report >= progress_every:
            log.info("still waiting for %s (%.0fs): %s", what, now - started, _short(last))
            last_report = now
        time.sleep(min(interval, max(0.0, deadline - now)))


def _short(value: object, limit: int = 600) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
