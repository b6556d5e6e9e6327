"""The load generator against a real HTTP server on loopback: bounds, counts, failures and recovery."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from harness.load import LoadGenerator, percentile
from harness.waits import wait_until
from tests import dropping_server


def test_stops_at_max_requests_and_counts_every_request(loopback_server):
    load = LoadGenerator(
        loopback_server.url, "good-token", concurrency=3, rate=None, max_requests=50, max_duration=30
    )
    with load:
        load.join(timeout=30)
        report = load.report()
    assert report.requests == 50
    assert report.failures == 0
    # a quarter of each worker's requests creates a task (rounded either way per worker): 50 / 4, ± 3
    creates = report.operations["create"]
    assert 10 <= creates <= 15 and report.operations == {"create": creates, "read": 50 - creates}
    assert report.status_histogram == {"200": 50 - creates, "201": creates}
    assert report.created_task_numbers == list(range(1, creates + 1))
    assert report.recovered and report.recovery_time_s is None
    assert 0 < report.p50_ms <= report.p95_ms <= report.p99_ms


def test_several_users_each_get_their_own_tasks_reported(loopback_server):
    tokens = [f"good-token-{n}" for n in range(4)]
    with LoadGenerator(loopback_server.url, tokens, concurrency=8, rate=None, max_requests=200) as load:
        load.join(timeout=30)
        report = load.report()
    assert report.requests == 200 and report.failures == 0, report.summary()
    assert report.users == 4 and "from 4 users" in report.summary()
    assert set(report.created_by_user) == {0, 1, 2, 3}
    # each user numbers its own tasks from 1: every user's created numbers are 1..n without a gap
    for user, numbers in report.created_by_user.items():
        assert numbers == list(range(1, len(numbers) + 1)), (user, numbers)
    assert sum(len(n) for n in report.created_by_user.values()) == report.operations["create"]
    assert 42 <= report.operations["create"] <= 58  # a quarter of 200, rounded either way per worker (8)
    assert all(report.created_by_user.values()), "a user created no task"


def test_a_user_whose_token_is_refused_fails_alone(loopback_server):
    with LoadGenerator(
        loopback_server.url, ["good-token", "revoked"], concurrency=2, rate=80, max_requests=40
    ) as load:
        load.join(timeout=30)
        report = load.report()
    assert report.failures > 0 and set(report.status_histogram) <= {"200", "201", "401"}, report.summary()
    assert report.status_histogram["401"] == report.failures
    assert report.created_by_user[1] == [] and report.created_by_user[0], report.created_by_user


def test_needs_a_worker_per_user():
    with pytest.raises(ValueError, match="a worker per user"):
        LoadGenerator("http://127.0.0.1:1", ["a", "b", "c"], concurrency=2)


def test_stops_at_max_duration_at_the_given_rate(loopback_server):
    started = time.monotonic()
    with LoadGenerator(
        loopback_server.url, "good-token", concurrency=2, rate=20, max_duration=1.0, max_requests=10_000
    ) as load:
        load.join(timeout=10)
        report = load.report()
    assert time.monotonic() - started < 3
    assert 15 <= report.requests <= 22, report.summary()
    assert 14 <= report.rps <= 25


def test_unexpected_status_is_a_failure_with_its_reason(loopback_server):
    with LoadGenerator(loopback_server.url, "wrong-token", concurrency=1, rate=None, max_requests=5) as load:
        load.join(timeout=10)
        report = load.report()
    assert report.failures == 5
    assert report.status_histogram == {"401": 5}
    assert "401" in report.failure_reasons[0] and "bad token" in report.failure_reasons[0]
    assert not report.recovered and report.recovery_time_s is None


def _unavailable_app(retry_after: bool) -> FastAPI:
    """Every request answered as the database outage answers it: 503, with or without Retry-After."""
    app = FastAPI()

    @app.api_route("/api/tasks", methods=["GET", "POST"])
    def unavailable() -> JSONResponse:
        headers = {"Retry-After": "2"} if retry_after else None
        return JSONResponse({"detail": "database unavailable"}, status_code=503, headers=headers)

    return app


def test_503s_without_retry_after_are_counted(serve_app):
    """The resilience scenario requires a clean 503 (with Retry-After) for every request of an outage: the
    generator counts the 503s that came without one, and a server that always sends it counts none."""
    counts = {}
    for retry_after in (True, False):
        server = serve_app(_unavailable_app(retry_after))
        with LoadGenerator(server.url, "good-token", concurrency=1, rate=None, max_requests=8) as load:
            load.join(timeout=10)
            report = load.report()
        assert report.status_histogram == {"503": 8}, report.summary()
        counts[retry_after] = report.unavailable_without_retry_after
    assert counts == {True: 0, False: 8}
    assert "no Retry-After" in report.failure_reasons[0]
    assert "8 answered 503 without Retry-After" in report.summary()


def test_server_stopped_mid_run_then_restarted_gives_failures_and_recovery_time(loopback_server):
    with LoadGenerator(
        loopback_server.url,
        "good-token",
        concurrency=2,
        rate=40,
        max_duration=20,
        max_requests=10_000,
        request_timeout=1.0,
    ) as load:
        wait_until("some answered requests", lambda: (load.completed >= 5, load.completed), timeout=10)
        loopback_server.stop()
        time.sleep(1.0)
        loopback_server.start()
        assert load.wait_for_recovery(successes=10, timeout=10)
        report = load.report()
    assert report.failures > 0
    assert report.status_histogram.get("error", 0) == report.failures
    assert "ClientConnectorError" in report.failure_reasons[0]
    assert report.recovered
    assert report.recovery_time_s is not None and 0.8 <= report.recovery_time_s <= 8, report.summary()
    assert report.requests < 10_000 and report.duration_s < 20


def test_server_that_never_comes_back_is_not_recovered(loopback_server):
    with LoadGenerator(
        loopback_server.url, "good-token", concurrency=2, rate=30, max_duration=4.0, request_timeout=0.5
    ) as load:
        wait_until("some answered requests", lambda: (load.completed >= 5, load.completed), timeout=10)
        loopback_server.stop()
        load.join(timeout=10)
        report = load.report()
    assert report.successes > 0 and report.failures > 0
    assert not report.recovered and report.recovery_time_s is None
    assert "NOT recovered" in report.summary()


def test_report_stops_a_running_generator_promptly(loopback_server):
    load = LoadGenerator(loopback_server.url, "good-token", rate=10, max_duration=60).start()
    wait_until("the first request", lambda: (load.completed >= 1, load.completed), timeout=10)
    started = time.monotonic()
    report = load.report()
    assert time.monotonic() - started < 2
    assert not load.running
    assert not any(t.name.startswith("load-") for t in threading.enumerate())
    assert report.requests >= 1


def test_a_run_needs_bounds():
    with pytest.raises(ValueError, match="positive"):
        LoadGenerator("http://127.0.0.1:1", "t", max_duration=0)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


def test_trace_records_every_request_and_marked_events_on_one_clock(loopback_server):
    with LoadGenerator(
        loopback_server.url, "good-token", concurrency=2, rate=200.0, max_requests=40, max_duration=30
    ) as load:
        time.sleep(0.05)
        load.mark("server restarted")
        load.join(timeout=30)
        report = load.report()
        trace = load.trace()
    assert trace["columns"] == ["t", "latency", "operation", "status", "ok"]
    assert len(trace["samples"]) == report.requests == 40
    assert [row[0] for row in trace["samples"]] == sorted(row[0] for row in trace["samples"])
    assert {row[2] for row in trace["samples"]} == {"read", "create"}
    assert all(row[4] is True and row[3] in (200, 201) for row in trace["samples"])
    assert [label for _, label in trace["events"]] == ["server restarted"]
    assert 0 < trace["events"][0][0] < trace["duration_s"]
    assert trace["started"].endswith("+00:00")


def _run_one(generator: LoadGenerator, server_and_seen, count: int) -> list:
    """`count` requests of `generator`'s _one, one after another in one session, against the loopback server
    `server_and_seen` (a coroutine from tests/dropping_server.py); returns their samples."""

    async def go() -> list:
        server, _ = await server_and_seen
        port = server.sockets[0].getsockname()[1]
        generator.base_url = generator.chat_url = f"http://127.0.0.1:{port}"
        async with server, generator._session({"Authorization": "Bearer t"}) as http:
            return [await generator._one(http, index, nth=index) for index in range(1, count + 1)]

    generator._t0 = time.monotonic()
    return asyncio.run(go())


@pytest.mark.parametrize("how", ["close", "reset"])
def test_a_request_cut_by_a_closing_keep_alive_connection_is_sent_once_more_and_counted(how: str) -> None:
    """The keep-alive race (the connection closes or is reset before any byte of the answer) is sent again
    once, as browsers do, and counted; a second cut fails. Seeded: a server that drops the first 1 and then
    3 connections."""
    generator = LoadGenerator("http://app", "t", concurrency=1, rate=None, max_requests=1, create_every=0)
    (first,) = _run_one(generator, dropping_server.serve(1, how), 1)
    assert first.ok and first.resent, first
    (second,) = _run_one(generator, dropping_server.serve(3, how), 1)
    assert not second.ok and second.resent and second.status is None, second
    assert second.reason.startswith("GET http://127.0.0.1:"), second.reason


def test_an_answer_cut_after_its_status_fails_and_is_not_sent_again() -> None:
    """Seeded: the head of a 200 and half its body, then a reset. Some of the answer came, so a browser
    would show it broken, not resend it: a failure with the status, never a success."""
    generator = LoadGenerator("http://app", "t", concurrency=1, rate=None, max_requests=1, create_every=0)
    (cut,) = _run_one(generator, dropping_server.serve(1, "cut"), 1)
    assert not cut.ok and not cut.resent and cut.status == 200, cut
    assert "ended mid-answer" in cut.reason, cut.reason


def test_an_undecodable_body_is_a_failure_of_that_request_and_the_run_goes_on() -> None:
    """Seeded: a 502 whose body is not UTF-8. It is one failed request (its bytes replaced in the reason);
    the run keeps sending until it is stopped."""
    bad = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 4\r\n\r\n\xff\xfe\x00x"

    async def go() -> list:
        server, heads = await dropping_server.serve_answer(bad)
        port = server.sockets[0].getsockname()[1]
        generator = LoadGenerator(
            f"http://127.0.0.1:{port}", "t", concurrency=2, rate=50.0, max_requests=1000, create_every=0
        )
        async with server:
            await asyncio.to_thread(generator.start)
            await asyncio.sleep(1.0)
            report = await asyncio.to_thread(generator.report)
        return [report, heads]

    report, _ = asyncio.run(go())
    assert report.requests >= 40 and report.failures == report.requests, report.summary()
    assert not report.ended_before_stop
    assert "-> 502" in report.failure_reasons[0], report.failure_reasons[0]


def test_a_run_that_ended_before_it_was_stopped_says_so(loopback_server) -> None:
    """A run that met its own bounds (or broke) before the scenario stopped it did not watch the scenario
    to its end: the report says so, and the steps fail on it."""
    generator = LoadGenerator(loopback_server.url, "t", concurrency=1, rate=None, max_requests=3)
    with generator:
        generator.join(10)
        report = generator.report()
    assert report.requests == 3 and report.ended_before_stop


def test_a_generator_that_breaks_raises_instead_of_reporting_a_quiet_run(monkeypatch) -> None:
    """Seeded: the workers' loop itself raises; report() raises instead of summarising the samples so far."""
    generator = LoadGenerator("http://127.0.0.1:9", "t", concurrency=1, rate=None, max_requests=5)

    async def broken() -> None:
        raise RuntimeError("seeded: the loop broke")

    monkeypatch.setattr(generator, "_workers", broken)
    with generator:
        generator.join(5)
    with pytest.raises(RuntimeError, match="the load generator stopped: RuntimeError: seeded"):
        generator.report()


def test_a_refused_connection_is_a_failure_and_not_sent_again() -> None:
    """Nothing was sent, so nothing is resent: the failure names the refusal."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        generator = LoadGenerator(
            f"http://127.0.0.1:{port}", "t", concurrency=1, rate=None, max_requests=1, create_every=0
        )
        with generator:
            generator.join(10)
    (sample,) = generator._samples
    assert not sample.ok and not sample.resent and "ClientConnectorError" in sample.reason, sample


def test_the_mix_is_each_users_whatever_indexes_its_worker_takes() -> None:
    """Two workers that take the run's indexes alternately: one could get only indexes that are never a
    create (a user who creates nothing, whose lost tasks could never show). The operation follows each
    worker's own count, the pace and the title the run's index."""
    generator = LoadGenerator("http://app", "t", concurrency=1, rate=None, max_requests=10, create_every=4)
    answer = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{"number": 1}'

    async def go() -> list[str]:
        server, heads = await dropping_server.serve_answer(answer)
        port = server.sockets[0].getsockname()[1]
        generator.base_url = f"http://127.0.0.1:{port}"
        async with server, generator._session({}) as http:
            samples = [
                await generator._one(http, index, nth=nth) for nth, index in enumerate((1, 3, 5, 7, 9))
            ]
        assert [h.split(b" ")[0] for h in heads] == [b"POST", b"GET", b"GET", b"GET", b"POST"]
        return [s.operation for s in samples]

    assert asyncio.run(go()) == ["create", "read", "read", "read", "create"]


def test_each_workers_count_starts_at_its_number_so_the_chats_are_spread(loopback_server) -> None:
    """Every worker's 20th request a chat, all at once, is a burst no population of users makes: each worker's
    count starts at its own number, so worker 3 sends its chat as its 17th request, worker 0 as its 20th."""
    first_chat = {}
    for worker in (0, 3):
        generator = LoadGenerator(
            loopback_server.url, "t", concurrency=4, rate=None, max_requests=25, chat_every=20
        )
        generator._t0 = time.monotonic()
        asyncio.run(generator._work(worker))
        operations = [s.operation for s in generator._samples]
        first_chat[worker] = operations.index("chat") + 1
        assert operations[0] == ("create" if worker % 4 == 0 else "read")
    assert first_chat == {0: 20, 3: 17}


def _slow_app(seconds: float) -> FastAPI:
    """A task API whose every answer takes `seconds` (awaited, so many requests wait at once)."""
    app = FastAPI()
    numbers = iter(range(1, 1_000_000))

    @app.get("/api/tasks")
    async def list_tasks() -> list[dict[str, object]]:
        await asyncio.sleep(seconds)
        return []

    @app.post("/api/tasks", status_code=201)
    async def create() -> dict[str, object]:
        await asyncio.sleep(seconds)
        return {"number": next(numbers), "title": "t"}

    return app


def _watched(url: str, workers: int, rate: float, seconds: float) -> tuple[LoadGenerator, float]:
    """A paced run watched for `seconds`, then stopped with requests in flight: (generator, watched)."""
    load = LoadGenerator(url, "good-token", concurrency=workers, rate=rate, max_duration=30)
    load.start()
    time.sleep(seconds)
    watched = load.elapsed()
    load.report()
    return load, watched


def test_the_rate_is_what_the_users_sent_while_watched_not_the_last_answers_wait(serve_app):
    """Answers take 0.4 s; the run is stopped with requests in flight. The rate and the duration end at the
    stop: counting until the last answer came back would take 0.4 s more and understate the rate."""
    server = serve_app(_slow_app(0.4))
    load, watched = _watched(server.url, workers=20, rate=40, seconds=1.5)
    report = load.report()
    assert abs(report.duration_s - watched) < 0.1, (report.duration_s, watched)
    assert 36 <= report.rps <= 44, report.summary()
    assert "of 40/s offered by 20 workers" in report.summary()


def test_slow_answers_show_as_a_rate_under_the_pace_and_more_workers_keep_it(serve_app):
    """Two workers cannot send 40/s when each answer takes 0.3 s (at most ~6.7/s): the report says so (the
    achieved rate against the offered one). Twenty workers keep the pace: the load does not ease off
    because the app slowed down, which is when it is meant to press."""
    server = serve_app(_slow_app(0.3))
    starved, _ = _watched(server.url, workers=2, rate=40, seconds=1.5)
    report = starved.report()
    assert report.rps < 8 and "of 40/s offered by 2 workers" in report.summary(), report.summary()
    kept, _ = _watched(server.url, workers=20, rate=40, seconds=1.5)
    assert kept.report().rps >= 36, kept.report().summary()


def test_recovery_waits_for_a_request_sent_before_the_successes_that_is_still_out(serve_app):
    """The third request hangs 1.5 s and then fails, every other one answers at once: ten successes in a row
    come long before it does. "Recovered" must not be said while it is out (a connect that hangs through an
    outage is answered seconds later); by the time it is, its failure is in the samples."""
    app = FastAPI()
    count = itertools.count(1)

    @app.api_route("/api/tasks", methods=["GET", "POST"])
    async def tasks(request: Request) -> JSONResponse:
        if next(count) == 3:
            await asyncio.sleep(1.5)
            return JSONResponse({"detail": "database unavailable"}, status_code=503)
        if request.method == "POST":
            return JSONResponse({"number": 1}, status_code=201)
        return JSONResponse([])

    server = serve_app(app)
    with LoadGenerator(server.url, "good-token", concurrency=10, rate=40, max_duration=20) as load:
        started = time.monotonic()
        assert load.wait_for_recovery(successes=10, timeout=10)
        took = time.monotonic() - started
        with load._lock:
            failed = [s for s in load._samples if not s.ok]
        load.report()
    assert failed and failed[0].status == 503, "said recovered while the failing request was still out"
    assert took >= 1.2, took


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the seeded failing run
def test_a_running_load_is_counted_until_it_ends(loopback_server):
    """What a report chart drawn ahead waits for (steps/reporting.py): no load run under way here."""
    from harness.load import LOAD_RUNS

    assert LOAD_RUNS.wait_until_none(0)
    load = LoadGenerator(loopback_server.url, "good-token", rate=10, max_duration=60).start()
    assert not LOAD_RUNS.wait_until_none(0.2)  # under way
    load.report()
    assert LOAD_RUNS.wait_until_none(5)
    broken = LoadGenerator(loopback_server.url, "good-token", rate=10, max_duration=60)
    broken._run = lambda: 1 / 0  # type: ignore[method-assign,assignment]  # fails at once
    broken.start()
    assert LOAD_RUNS.wait_until_none(5)
