"""Steps shared by many features: the session's cluster, images, release and users, and load on the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from pytest_bdd import given, parsers, then

from harness.clusters.base import ClusterInfo
from harness.components import node_ports
from harness.images import ImageRef
from harness.load import LoadGenerator, LoadReport
from harness.release import AppUrls, Release
from steps.evidence import Evidence
from steps.fixtures import User
from steps.plugin import not_verified


def nodeport_url(app_urls: AppUrls, component: str, port: int) -> str:
    """The component's URL, provided the app is reached through that NodePort from this machine."""
    contract = node_ports().get(component)
    if contract != port:
        raise AssertionError(f"the chart puts {component} on NodePort {contract}, not {port}")
    url = str(getattr(app_urls, component))
    if app_urls.via != "nodeport":
        not_verified(
            f"NodePort {port} is not reachable from this machine; the app was reached by {app_urls.via}"
        )
    assert url.endswith(f":{port}"), f"{component} is reached at {url}, not on NodePort {port}"
    return url


# ---- session resources ----


@given("the release is installed")
def _release_installed(release: Release) -> None:
    """The session fixture installs the chart once (or attaches to --release)."""


@given("the cluster chosen for this run")
def _cluster_chosen(cluster_info: ClusterInfo, evidence: Evidence) -> None:
    evidence.text(
        "cluster",
        "\n".join(
            [f"target: {cluster_info.target}", f"node address: {cluster_info.node_address}"]
            + [f"{k}: {v}" for k, v in cluster_info.notes.items()]
        ),
    )


@given("the images are built")
def _images_built(built_images: dict[str, ImageRef]) -> None:
    """The session fixture builds the images (or finds them by content hash)."""


@given("a signed-up user", target_fixture="load_user")
def _signed_up_user(user: User) -> User:
    return user


# ---- load ----


class RunningLoad:
    """A load run for the length of a scenario; the first look at its report stops it."""

    def __init__(self, generator: LoadGenerator, users: list[User]) -> None:
        self.generator = generator
        self.users = users  # users[i] sent as the generator's user i
        self._report: LoadReport | None = None

    def report(self, evidence: Evidence) -> LoadReport:
        if self._report is None:
            self._report = self.generator.report()
            evidence.text("load", self._report.summary() + "\n" + "\n".join(self._report.failure_reasons))
            evidence.json("load trace", self.generator.trace())
            evidence.figure("requests", self._report.requests)
            evidence.figure("achieved rate", round(self._report.rps, 1), "req/s")
            evidence.figure("users", self._report.users)
            evidence.json("requests per operation", self._report.operations)
            evidence.figure("failed requests", self._report.failures)
            evidence.figure("requests sent again (keep-alive race)", self._report.resent)
            evidence.figure("latency p95", round(self._report.p95_ms), "ms")
            if self._report.recovery_time_s is not None:
                evidence.figure("recovery time", round(self._report.recovery_time_s, 1), "s")
        return self._report


# The scenarios' load (issue 13 item 6): LOAD_USERS users, LOAD_WORKERS workers, LOAD_RATE requests/s in
# all, a mix of task reads, creates (every 4th request) and chat messages (every 20th) through the frontend's
# /api/chat (frontend -> chatbot -> backend). Bounded in time and count, loopback/NodePort only, stopped with
# the scenario: it runs exactly as long as the disruption it watches. Three workers per user (a browser keeps
# several connections too): the pace is kept while answers take up to 0.3 s, where one worker per user (10
# requests in flight at 100/s leave 100 ms an answer) sent less as soon as a rollout slowed the answers — the
# load then eased off exactly when it was meant to press. The rate achieved is a figure in the evidence and in
# benchmarks/acceptance_bench.py, not an assertion: a throughput depends on the machine (docs/acceptance.md).
# 105/s offered: the issue asks for at least 100/s, and a pace of exactly 100 reads 99.x over a few seconds.
LOAD_USERS = 10
LOAD_WORKERS = 3 * LOAD_USERS  # at most 30 requests in flight
LOAD_RATE = 105.0
LOAD_CREATE_EVERY = 4
LOAD_CHAT_EVERY = 20


def _load_users(load_user: User, new_user: Callable[..., User]) -> list[User]:
    """The scenario's signed-up user and LOAD_USERS - 1 more, signed up side by side."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        others = list(pool.map(lambda n: new_user(f"Load User {n}"), range(1, LOAD_USERS)))
    return [load_user, *others]


def _bounded_load(url: str, chat_url: str, users: list[User], title_prefix: str) -> Iterator[RunningLoad]:
    generator = LoadGenerator(
        url,
        [u.token for u in users],
        concurrency=LOAD_WORKERS,
        rate=LOAD_RATE,
        max_duration=600,
        max_requests=60_000,
        create_every=LOAD_CREATE_EVERY,
        chat_every=LOAD_CHAT_EVERY,
        chat_url=chat_url,
        title_prefix=title_prefix,
    )
    with generator:
        yield RunningLoad(generator, users)


@given(parsers.parse("load on the app through NodePort {port:d}"), target_fixture="load")
def _load_on_app(
    app_urls: AppUrls, load_user: User, new_user: Callable[..., User], port: int
) -> Iterator[RunningLoad]:
    """Task reads and creates at the backend's NodePort; the chats through the frontend's."""
    users = _load_users(load_user, new_user)
    yield from _bounded_load(
        nodeport_url(app_urls, "backend", port), app_urls.frontend, users, "acceptance-load"
    )


@then("no request of the load failed")
def _no_request_failed(load: RunningLoad, evidence: Evidence) -> None:
    report = load.report(evidence)
    assert report.requests > 0, "the load sent no request"
    assert not report.ended_before_stop, (
        f"the load had ended by itself after {report.duration_s:.1f} s ({report.requests} requests), before"
        " the scenario stopped it: what came after was not watched"
    )
    missing = {"read", "create", "chat"} - set(report.operations)
    assert not missing, f"the load sent no {sorted(missing)} request, so none of those was shown not to fail"
    assert report.failures == 0, f"{report.failures} of {report.requests} requests failed: " + "; ".join(
        report.failure_reasons[:5]
    )


@then("no task the load created is lost")
def _no_task_lost(load: RunningLoad, evidence: Evidence) -> None:
    """Every task a create answered 201 for is still in its user's list, user by user."""
    report = load.report(evidence)
    assert report.created_task_numbers, "the load created no task, so there is nothing to check"
    lost: dict[str, list[int]] = {}
    for index, user in enumerate(load.users):
        created = set(report.created_by_user.get(index, []))
        if created:
            present = {task["number"] for task in user.api.list_tasks(status="all")}
            if gone := sorted(created - present):
                lost[user.email] = gone
    evidence.figure("tasks created under load", len(report.created_task_numbers))
    assert not lost, f"{sum(len(g) for g in lost.values())} tasks answered 201 but are gone: " + "; ".join(
        f"{email}: {gone[:10]}" for email, gone in lost.items()
    )


@then(parsers.parse("the app recovers within {seconds:d} seconds"))
def _app_recovers(load: RunningLoad, evidence: Evidence, seconds: int) -> None:
    recovered = load.generator.wait_for_recovery(successes=10, timeout=seconds)
    report = load.report(evidence)
    assert recovered, f"no 10 successful requests in a row within {seconds}s: {report.summary()}"


@given(
    parsers.parse("load on the frontend, backend and chatbot through NodePort {port:d}"),
    target_fixture="load",
)
def _load_through_frontend(
    app_urls: AppUrls, load_user: User, new_user: Callable[..., User], port: int
) -> Iterator[RunningLoad]:
    """Reads and creates go frontend -> backend, the chats frontend -> chatbot -> backend: a rollout of any of
    the three services happens under load."""
    url = nodeport_url(app_urls, "frontend", port)
    yield from _bounded_load(url, url, _load_users(load_user, new_user), "acceptance-load-all")
