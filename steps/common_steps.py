"""Steps shared by many features: the session's cluster, images, release and users, and load on the app."""

from __future__ import annotations

from collections.abc import Iterator

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

    def __init__(self, generator: LoadGenerator) -> None:
        self.generator = generator
        self._report: LoadReport | None = None

    def report(self, evidence: Evidence) -> LoadReport:
        if self._report is None:
            self._report = self.generator.report()
            evidence.text("load", self._report.summary() + "\n" + "\n".join(self._report.failure_reasons))
            evidence.json("load trace", self.generator.trace())
            evidence.figure("requests", self._report.requests)
            evidence.figure("failed requests", self._report.failures)
            evidence.figure("requests sent again (keep-alive race)", self._report.resent)
            evidence.figure("latency p95", round(self._report.p95_ms), "ms")
            if self._report.recovery_time_s is not None:
                evidence.figure("recovery time", round(self._report.recovery_time_s, 1), "s")
        return self._report


def _bounded_load(url: str, token: str, title_prefix: str, chat_every: int = 0) -> Iterator[RunningLoad]:
    """The scenarios' load: 4 workers, 20 requests/s, bounded in time and count, stopped with the scenario."""
    generator = LoadGenerator(
        url,
        token,
        concurrency=4,
        rate=20.0,
        max_duration=600,
        max_requests=20_000,
        chat_every=chat_every,
        title_prefix=title_prefix,
    )
    with generator:
        yield RunningLoad(generator)


@given(parsers.parse("load on the app through NodePort {port:d}"), target_fixture="load")
def _load_on_app(app_urls: AppUrls, load_user: User, port: int) -> Iterator[RunningLoad]:
    yield from _bounded_load(nodeport_url(app_urls, "backend", port), load_user.token, "acceptance-load")


@then("no request of the load failed")
def _no_request_failed(load: RunningLoad, evidence: Evidence) -> None:
    report = load.report(evidence)
    assert report.requests > 0, "the load sent no request"
    assert report.failures == 0, f"{report.failures} of {report.requests} requests failed: " + "; ".join(
        report.failure_reasons[:5]
    )


@then("no task the load created is lost")
def _no_task_lost(load: RunningLoad, load_user: User, evidence: Evidence) -> None:
    report = load.report(evidence)
    assert report.created_task_numbers, "the load created no task, so there is nothing to check"
    present = {task["number"] for task in load_user.api.list_tasks()}
    lost = sorted(set(report.created_task_numbers) - present)
    evidence.figure("tasks created under load", len(report.created_task_numbers))
    assert not lost, f"{len(lost)} tasks answered 201 but are gone: {lost[:20]}"


@then(parsers.parse("the app recovers within {seconds:d} seconds"))
def _app_recovers(load: RunningLoad, evidence: Evidence, seconds: int) -> None:
    recovered = load.generator.wait_for_recovery(successes=10, timeout=seconds)
    report = load.report(evidence)
    assert recovered, f"no 10 successful requests in a row within {seconds}s: {report.summary()}"


@given(
    parsers.parse("load on the frontend, backend and chatbot through NodePort {port:d}"),
    target_fixture="load",
)
def _load_through_frontend(app_urls: AppUrls, load_user: User, port: int) -> Iterator[RunningLoad]:
    """Reads and creates go frontend -> backend, every fourth request is a chat (frontend -> chatbot ->
    backend): a rollout of any of the three services happens under load."""
    url = nodeport_url(app_urls, "frontend", port)
    yield from _bounded_load(url, load_user.token, "acceptance-load-all", chat_every=4)
