"""A bounded load generator for resilience checks: workers (tasks on one asyncio loop) send a mix of task
reads and creates (and optionally chat messages) as one or more users at a fixed rate or as fast as a fixed
concurrency allows, stop by themselves after a maximum duration or request count, and report counts,
failures, latency percentiles, recovery time and the tasks each user created."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harness import http_client
from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS

if TYPE_CHECKING:
    import aiohttp  # imported where a run starts: 0.2 s of every process that only imports this module

log = get_logger("load")

KEEPALIVE_S = 4.0  # an idle keep-alive connection is closed after this (uvicorn closes at 5 s): not a wait


@dataclass(frozen=True)
class Sample:
    started: float  # seconds since the generator started
    latency: float  # seconds
    operation: str  # "read", "create", "chat"
    status: int | None  # HTTP status, None when no response (connection refused, timeout)
    ok: bool
    reason: str  # why it failed ("" when ok)
    task_number: int | None = None
    resent: bool = False  # sent a second time after the connection closed before any answer (see _one)
    user: int = 0  # which of the generator's users (tokens) sent it
    retry_after: bool = False  # the answer carried a Retry-After header


@dataclass
class LoadReport:
    requests: int
    successes: int
    failures: int
    failure_reasons: list[str]  # the first N, each "<+seconds> <ISO time> <operation>: <reason>"
    status_histogram: dict[str, int]  # "200": n, "502": n, "error": n
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float  # requests sent per second over the watched window (start to stop, or to the run's own end)
    duration_s: float  # that window
    created_task_numbers: list[int]  # every user's, together (task numbers count per user)
    first_failure_s: float | None  # since start
    last_failure_s: float | None
    recovered: bool  # no failures, or a success came after the last failure
    recovery_time_s: float | None  # first failure -> first success after the last failure; None if none/never
    operations: dict[str, int] = field(default_factory=dict)
    resent: int = 0  # requests sent again after a keep-alive connection closed before any answer
    users: int = 1
    created_by_user: dict[int, list[int]] = field(default_factory=dict)  # user index -> task numbers
    # 503 answers without Retry-After: a client is told "unavailable" but not when to come back
    unavailable_without_retry_after: int = 0
    # the run had ended by itself (its bounds) when it was stopped: it did not watch to the end
    ended_before_stop: bool = False
    offered_rps: float | None = None  # the pace the workers were given (None: unpaced)
    workers: int = 1

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def summary(self) -> str:
        mix = ", ".join(f"{n} {op}" for op, n in sorted(self.operations.items()))
        text = (
            f"{self.requests} requests ({mix}) from {self.users} user{'s' if self.users != 1 else ''}"
            f" in {self.duration_s:.1f}s ({self.rps:.1f}/s{self._offered()}), {self.failures} failed"
            f" ({self.failure_rate:.1%}); latency p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms,"
            f" p99 {self.p99_ms:.0f} ms; statuses {self.status_histogram}"
        )
        if self.resent:
            text += f"; {self.resent} sent again after a connection closed before any answer"
        if self.unavailable_without_retry_after:
            text += f"; {self.unavailable_without_retry_after} answered 503 without Retry-After"
        if self.failures:
            text += (
                f"; recovered after {self.recovery_time_s:.1f}s"
                if self.recovery_time_s is not None
                else "; NOT recovered by the end of the run"
            )
        return text

    def _offered(self) -> str:
        paced = f" of {self.offered_rps:g}/s offered" if self.offered_rps else " unpaced"
        return f"{paced} by {self.workers} worker{'s' if self.workers != 1 else ''}"


class LoadRuns:
    """How many load runs of this process are under way: work that would share the process's interpreter
    with their users (drawing a report chart) waits until none is, so it never slows the load it would
    then report."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def started(self) -> None:
        with self._changed:
            self._count += 1

    def ended(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_until_none(self, timeout: float | None = None) -> bool:
        """True once no load run is under way; False if one still was after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


LOAD_RUNS = LoadRuns()


class LoadGenerator:
    """Send requests to the app until `max_duration` seconds or `max_requests` requests, whichever first.

    `token` is one user's bearer token or a sequence of them: worker i sends as user i % len(tokens), and
    each user's created tasks are reported apart (`created_by_user`).
    `rate` (requests/s over all workers) paces the requests; None means each of `concurrency` workers sends
    its next request as soon as the last one returned. Every `create_every`-th request of each worker is a
    create (a task with a unique title), every `chat_every`-th a chat message (0 disables), the rest are
    `GET /api/tasks`: the mix holds per user, however the workers interleave.
    Use as a context manager around a disruption:
    `with LoadGenerator(...) as load: ...; report = load.report()`.
    """

    def __init__(
        self,
        base_url: str,
        token: str | Sequence[str],
        *,
        concurrency: int = 4,
        rate: float | None = 20.0,
        max_duration: float = 60.0,
        max_requests: int = 5000,
        create_every: int = 4,
        chat_every: int = 0,
        chat_url: str | None = None,
        request_timeout: float = 5.0,  # each request's bound, not a wait
        keep_reasons: int = 20,
        title_prefix: str = "load",
    ) -> None:
        if max_duration <= 0 or max_requests <= 0:
            raise ValueError("a load run needs a positive max_duration and max_requests")
        self.tokens = [token] if isinstance(token, str) else list(token)
        if not self.tokens or concurrency < len(self.tokens):
            raise ValueError(
                f"a load run needs at least one user and a worker per user ({len(self.tokens)} users,"
                f" {concurrency} workers)"
            )
        self.base_url = base_url.rstrip("/")
        self.chat_url = (chat_url or base_url).rstrip("/")
        self.concurrency = concurrency
        self.rate = rate
        self.max_duration = max_duration
        self.max_requests = max_requests
        self.create_every = create_every
        self.chat_every = chat_every
        self.request_timeout = request_timeout
        self.keep_reasons = keep_reasons
        self.title_prefix = f"{title_prefix}-{int(time.time())}"
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._t0 = 0.0
        self._wall0 = datetime.now(UTC)
        self._ended: float | None = None  # when the workers had all returned
        self._stopped: float | None = None  # when stop() was asked: the end of the watched window
        self._events: list[tuple[float, str]] = []
        self._in_flight: dict[int, float] = {}  # request index -> when it was sent (s since the start)
        self.error: BaseException | None = None  # what broke the generator itself, if anything

    # --- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> LoadGenerator:
        self._t0 = time.monotonic()
        self._wall0 = datetime.now(UTC)
        log.info(
            "load: %d users, %d workers, %s, at most %.0fs / %d requests against %s",
            len(self.tokens),
            self.concurrency,
            f"{self.rate:g} req/s" if self.rate else "unpaced",
            self.max_duration,
            self.max_requests,
            self.base_url,
        )
        LOAD_RUNS.started()
        thread = threading.Thread(target=self._run_counted, name="load", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _run_counted(self) -> None:
        try:
            self._run()
        finally:
            LOAD_RUNS.ended()

    def __enter__(self) -> LoadGenerator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._stopped is None:
            self._stopped = time.monotonic()
        self._stop.set()
        for thread in self._threads:
            thread.join(2 * self.request_timeout + 2)  # a request and its one resend: not a wait
        if self._ended is None:
            self._ended = time.monotonic()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the run ends by itself (duration or request bound)."""
        for thread in self._threads:
            thread.join(timeout)
        if self._ended is None and not any(t.is_alive() for t in self._threads):
            self._ended = time.monotonic()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    @property
    def completed(self) -> int:
        """Requests answered (or failed) so far."""
        with self._lock:
            return len(self._samples)

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def wait_for_recovery(self, successes: int = 10, timeout: float = DEFAULT_TIMEOUTS.recovery) -> bool:
        """After a disruption: wait until the last `successes` requests sent (in the order they were sent)
        succeeded, with none sent before them still waiting for its answer (True), or time out. An earlier
        request still out may yet fail: a connect that hangs through an outage is answered seconds later."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running:
            with self._lock:
                tail = sorted(self._samples, key=lambda s: s.started)[-successes:]
                pending = min(self._in_flight.values(), default=None)
            if (
                len(tail) == successes
                and all(s.ok for s in tail)
                and (pending is None or pending > tail[0].started)
            ):
                return True
            time.sleep(0.2)
        return False

    def mark(self, what: str) -> None:
        """Record a disruptive event ("pod deleted") at this moment of the run, for the trace's time axis."""
        with self._lock:
            self._events.append((round(self.elapsed(), 3), what))

    def trace(self) -> dict[str, Any]:
        """Every request so far as [t, latency, operation, status, ok] (t: seconds since the start), the
        marked events and the wall-clock start: what the report's load chart is drawn from."""
        with self._lock:
            samples = sorted(self._samples, key=lambda s: s.started)
            events = list(self._events)
        return {
            "started": self._wall0.isoformat(timespec="milliseconds"),
            "duration_s": round(self._window_end() - self._t0, 3),
            "columns": ["t", "latency", "operation", "status", "ok"],
            "samples": [
                [round(s.started, 3), round(s.latency, 4), s.operation, s.status, s.ok] for s in samples
            ],
            "events": [[t, what] for t, what in events],
        }

    def report(self, *, stop: bool = True) -> LoadReport:
        """Stop the run (unless stop=False, which waits for it to end by itself) and summarise it. Raises
        RuntimeError if the generator itself broke (not a request: those are failed samples)."""
        ended_before_stop = stop and self._threads != [] and not self.running
        if stop:
            self.stop()
        else:
            self.join()
        if self.error is not None:
            raise RuntimeError(f"the load generator stopped: {type(self.error).__name__}: {self.error}")
        with self._lock:
            samples = sorted(self._samples, key=lambda s: s.started)
        report = summarise(
            samples,
            duration=self._window_end() - self._t0,
            wall0=self._wall0,
            keep_reasons=self.keep_reasons,
            users=len(self.tokens),
        )
        report.ended_before_stop = ended_before_stop
        report.offered_rps = self.rate
        report.workers = self.concurrency
        return report

    def _window_end(self) -> float:
        """The end of the run as the scenario watched it: when it was stopped, or when it ended by itself if
        that came first. Not when the requests still in flight at the stop came back: the rate is what the
        users sent while the disruption was watched, and the last answers' wait is not sending time."""
        ends = [t for t in (self._stopped, self._ended) if t is not None]
        return min(ends) if ends else time.monotonic()

    # --- workers ------------------------------------------------------------------------------------------
    # One thread runs an asyncio loop with a task per worker, each with its own aiohttp session (its own
    # keep-alive connections and cookies, as a user's browser has). Threads with httpx cost 1.7 ms of the
    # harness's CPU per request (the GIL handed among ten threads, httpx's own overhead), about 0.4 ms here:
    # at 100 requests/s that is a sixth of a core the pods being disrupted no longer compete with.
    def _next_index(self) -> int | None:
        index = next(self._counter)
        if index >= self.max_requests:
            return None
        return index

    def _run(self) -> None:
        try:
            asyncio.run(self._workers())
        except BaseException as exc:  # kept for report(): a generator that broke is not a quiet run
            self.error = exc
            log.warning("the load generator stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._ended = time.monotonic()

    async def _workers(self) -> None:
        await asyncio.gather(*(self._work(worker) for worker in range(self.concurrency)))

    def _session(self, headers: dict[str, str]) -> aiohttp.ClientSession:
        import aiohttp

        session = aiohttp.ClientSession(
            headers=headers,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # a user's cookies, NodePort IP addresses included
            timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            # below uvicorn's 5 s idle close, as httpx's pool kept them: fewer keep-alive races to resend
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S, ssl=http_client.default_verify()),
        )
        # the resend rule is _one's, counted: aiohttp would otherwise resend an idempotent request itself
        session._retry_connection = False
        return session

    async def _work(self, worker: int) -> None:
        user = worker % len(self.tokens)
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        # this worker's own count picks the operation, so the mix holds per user in whatever order the workers
        # take the run's indexes; it starts at the worker's number, so the workers' chats and creates are
        # spread over time instead of every worker sending its 20th request as a chat at the same moment
        sent = worker
        async with self._session(headers) as http:
            while not self._stop.is_set():
                index = self._next_index()
                if index is None:
                    break
                if self.rate:
                    delay = self._t0 + index / self.rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)  # at most concurrency/rate seconds: stop is seen soon
                        if self._stop.is_set():
                            break
                if time.monotonic() - self._t0 >= self.max_duration:
                    break
                started = time.monotonic()
                with self._lock:
                    self._in_flight[index] = started - self._t0
                try:
                    sample = await self._one(http, index, user, nth=sent)
                except Exception as exc:  # whatever one request raised fails that request, not the run
                    sample = Sample(
                        started - self._t0,
                        time.monotonic() - started,
                        "unknown",
                        None,
                        False,
                        f"request {index}: {type(exc).__name__}: {exc}",
                        user=user,
                    )
                self._record(sample, index)
                sent += 1

    async def _one(
        self, http: aiohttp.ClientSession, index: int, user: int = 0, nth: int | None = None
    ) -> Sample:
        """One request: `index` in the whole run (its pace, a unique title), `nth` in its worker's count
        (which operation: the mix holds for each worker, so every user creates tasks)."""
        import aiohttp

        nth = index if nth is None else nth
        if self.chat_every and nth % self.chat_every == self.chat_every - 1:
            operation, method, url, body, expected = (
                "chat",
                "POST",
                f"{self.chat_url}/api/chat",
                {"message": "how many tasks do I have?"},
                200,
            )
        elif self.create_every and nth % self.create_every == 0:
            operation, method, url, body, expected = (
                "create",
                "POST",
                f"{self.base_url}/api/tasks",
                {"title": f"{self.title_prefix}-{index}"},
                201,
            )
        else:
            operation, method, url, body, expected = "read", "GET", f"{self.base_url}/api/tasks", None, 200
        started = time.monotonic()
        resent = False
        try:
            try:
                status, retry_after, text = await _send(http, method, url, body, self.request_timeout)
            except NoAnswer:
                # The keep-alive race: a server that is going away closes an idle connection as the next
                # request goes out on it, and no answer comes. Browsers send such a request again on a new
                # connection (Chromium does for every method); so does this client, once, and counts it.
                # A second failure is a failure; a task created twice would be an extra task, not a lost one.
                resent = True
                status, retry_after, text = await _send(http, method, url, body, self.request_timeout)
        except CutAnswer as cut:  # the answer began: a browser would not send it again either
            return Sample(
                started - self._t0,
                time.monotonic() - started,
                operation,
                cut.status,
                False,
                f"{method} {url} -> {cut.status}, then the connection ended mid-answer: {cut}",
                resent=resent,
                user=user,
            )
        except (NoAnswer, aiohttp.ClientError, TimeoutError) as exc:
            cause = exc.__cause__ if isinstance(exc, NoAnswer) and exc.__cause__ else exc
            cause = exc if isinstance(exc, TimeoutError) else cause
            return Sample(
                started - self._t0,
                time.monotonic() - started,
                operation,
                None,
                False,
                f"{method} {url}: {type(cause).__name__}: {cause}",
                resent=resent,
                user=user,
            )
        latency = time.monotonic() - started
        if status != expected:
            return Sample(
                started - self._t0,
                latency,
                operation,
                status,
                False,
                f"{method} {url} -> {status}{'' if retry_after else ' (no Retry-After)'}: {text[:200]}",
                resent=resent,
                user=user,
                retry_after=retry_after,
            )
        number = None
        if operation == "create":
            number = _task_number(text)
        return Sample(
            started - self._t0,
            latency,
            operation,
            status,
            True,
            "",
            number,
            resent=resent,
            user=user,
            retry_after=retry_after,
        )

    def _record(self, sample: Sample, index: int | None = None) -> None:
        with self._lock:
            self._samples.append(sample)
            if index is not None:
                self._in_flight.pop(index, None)


class NoAnswer(Exception):
    """The connection closed or was reset before any byte of an answer: the request may be sent again."""


class CutAnswer(Exception):
    """The answer's status came, then the connection ended before its body did."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def _send(
    http: aiohttp.ClientSession, method: str, url: str, body: dict[str, Any] | None, timeout: float
) -> tuple[int, bool, str]:
    """(status, whether it carried Retry-After, body text, undecodable bytes replaced). A refused connection
    is a failure as it is; a connection that closed before any answer raises NoAnswer, one that closed
    within the answer CutAnswer; no answer within `timeout` seconds, TimeoutError saying so."""
    import aiohttp

    closed = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientConnectionResetError)
    try:
        response = await http.request(method, url, json=body)
    except aiohttp.ClientConnectorError:  # refused, unreachable: nothing was sent
        raise
    except TimeoutError as exc:
        raise TimeoutError(f"no answer within {timeout:g} s") from exc
    except closed as exc:
        raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
    try:
        data = await response.read()
    except TimeoutError as exc:
        raise CutAnswer(response.status, f"the rest of the answer not within {timeout:g} s") from exc
    except (*closed, aiohttp.ClientPayloadError) as exc:
        raise CutAnswer(response.status, f"{type(exc).__name__}: {exc}") from exc
    finally:
        response.release()
    return response.status, "Retry-After" in response.headers, data.decode("utf-8", "replace")


def _task_number(text: str) -> int | None:
    try:
        data: Any = json.loads(text)
        return int(data["number"])
    except (ValueError, KeyError, TypeError):
        return None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summarise(
    samples: list[Sample], *, duration: float, wall0: datetime, keep_reasons: int = 20, users: int = 1
) -> LoadReport:
    failures = [s for s in samples if not s.ok]
    histogram = Counter("error" if s.status is None else str(s.status) for s in samples)
    latencies = [s.latency for s in samples]
    first_failure = failures[0].started if failures else None
    last_failure = failures[-1].started if failures else None
    recovered_at = next(
        (
            s.started + s.latency
            for s in samples
            if s.ok and last_failure is not None and s.started > last_failure
        ),
        None,
    )
    reasons = [
        f"+{s.started:.2f}s ({_at(wall0, s.started)}) {s.operation}: {s.reason}"
        for s in failures[:keep_reasons]
    ]
    return LoadReport(
        requests=len(samples),
        successes=len(samples) - len(failures),
        failures=len(failures),
        failure_reasons=reasons,
        status_histogram=dict(sorted(histogram.items())),
        p50_ms=percentile(latencies, 50) * 1000,
        p95_ms=percentile(latencies, 95) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        rps=len(samples) / duration if duration > 0 else 0.0,
        duration_s=duration,
        created_task_numbers=sorted(s.task_number for s in samples if s.task_number is not None),
        first_failure_s=first_failure,
        last_failure_s=last_failure,
        recovered=not failures or recovered_at is not None,
        recovery_time_s=(recovered_at - first_failure)
        if recovered_at is not None and first_failure is not None
        else None,
        operations=dict(Counter(s.operation for s in samples)),
        resent=sum(1 for s in samples if s.resent),
        users=users,
        created_by_user={
            user: sorted(s.task_number for s in samples if s.user == user and s.task_number is not None)
            for user in range(users)
        },
        unavailable_without_retry_after=sum(1 for s in samples if s.status == 503 and not s.retry_after),
    )


def _at(wall0: datetime, offset: float) -> str:
    return datetime.fromtimestamp(wall0.timestamp() + offset, UTC).isoformat(timespec="milliseconds")
