"""Acceptance plugin (wiring only; logic in harness/): loads the options, fixtures and evidence modules, and
holds the report hooks: evidence and a diagnostics bundle attached to a failed cluster test, the run's facts
in the HTML summary.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Generator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.log import get_logger
from steps.evidence import evidence_of, safe_name
from steps.options import is_acceptance_run
from steps.session import STATE, HarnessSession

# options first: the others read them
pytest_plugins = ["steps.options", "steps.fixtures", "steps.evidence"]

log = get_logger("plugin")

CLUSTER_FIXTURES = {"release", "k8s"}
USED_FIXTURES = pytest.StashKey[pytest.FixtureRequest]()
_is_acceptance_run = is_acceptance_run  # the name steps/reporting.py imports


def not_verified(reason: str) -> None:
    """End the scenario as NOT VERIFIED (never as passed); the traceability matrix shows the reason."""
    pytest.skip(f"NOT VERIFIED: {reason}")


@pytest.fixture(autouse=True)
def _record_fixture_request(request: pytest.FixtureRequest) -> None:
    """Keep the test's request: its fixturenames include the fixtures steps fetch at run time."""
    request.node.stash[USED_FIXTURES] = request


def _html_extras() -> ModuleType | None:
    try:
        from pytest_html import extras
    except ImportError:
        return None
    return extras


def _evidence_extras(item: pytest.Item, extras: ModuleType) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in evidence_of(item):
        if entry.kind == "text":
            out.append(extras.text(str(entry.value), name=entry.name))
        elif entry.kind == "json":
            out.append(extras.json(entry.value, name=entry.name))
        elif entry.kind == "image" and entry.path is not None:
            out.append(extras.png(base64.b64encode(entry.path.read_bytes()).decode(), name=entry.name))
        elif entry.kind == "figure":
            out.append(extras.text(f"{entry.value} {entry.unit or ''}".strip(), name=entry.name))
    return out


def _diagnostics(item: pytest.Item, report: pytest.TestReport, hs: HarnessSession) -> Path | None:
    """Collect a bundle for a failed cluster test (once per distinct setup failure of a session fixture)."""
    if hs.k8s is None:
        return None
    from harness.diagnostics import collect_bundle
    from harness.helm import helm_path

    key = ""
    if report.when == "setup":
        crash = getattr(report.longrepr, "reprcrash", None)
        key = str(getattr(crash, "message", report.longrepr))[:500]
        if key in hs.setup_bundles:
            return hs.setup_bundles[key]
    helm = helm_path()
    bundle = collect_bundle(
        hs.k8s,
        hs.namespace,
        hs.release_name if hs.release is not None or not hs.attach else None,
        hs.report_dir / "diagnostics" / safe_name(item.name),
        helm=helm if helm.exists() else None,
        extra_secrets=hs.secret_values,
    )
    if key:
        hs.setup_bundles[key] = bundle
    return bundle


def _used(item: pytest.Item) -> set[str]:
    """Fixtures the test used, including those its steps fetched at run time (pytest-bdd step arguments are
    requested with getfixturevalue, so item.fixturenames alone misses them)."""
    names = set(getattr(item, "fixturenames", ()))
    request = item.stash.get(USED_FIXTURES, None)
    if request is not None:
        names.update(request.fixturenames)
    return names


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    hs = item.config.stash.get(STATE, None)
    if report.when == "call" and report.passed and hs is not None and item.path.suffix == ".feature":
        hs.cluster_use.record(item.nodeid, _used(item))  # the next run's order (steps/early_start.py)
    if hs is not None and item.path.suffix == ".feature":
        hs.cluster_use.timing_now.add(item.nodeid, report.duration)
    extras = _html_extras()
    added: list[dict[str, Any]] = []
    if report.when == "call" and extras is not None:
        added += _evidence_extras(item, extras)
    if (
        report.failed
        and report.when in ("setup", "call")
        and hs is not None
        and _used(item) & CLUSTER_FIXTURES
    ):
        try:
            bundle = _diagnostics(item, report, hs)
        except Exception as exc:  # a broken cluster must not hide the test's own failure
            log.warning("could not collect diagnostics for %s: %s", item.nodeid, exc)
            bundle = None
        if bundle is not None:
            from harness.diagnostics import bundle_summary

            summary = bundle_summary(bundle)
            report.sections.append(("diagnostics", f"bundle: {bundle}\n{summary}"))
            item.user_properties.append(("diagnostics", str(bundle)))
            if extras is not None:
                added.append(extras.text(summary, name="diagnostics summary"))
                added.append(extras.url(os.path.relpath(bundle, hs.report_dir), name="diagnostics bundle"))
    if added:
        # pytest-html reads the `extras` attribute its docs say to set here (TestReport does not declare it)
        html_report: Any = report
        html_report.extras = [*getattr(report, "extras", []), *added]
    return report


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    """After every other end-of-run hook (reports written and checked): record which scenarios used the
    cluster (the next run's order), clean up what the early start made for no scenario, and wait for the
    cluster's teardown, which ran beside the reports; a teardown that failed or did not end fails the run as
    it did when it ran in the last scenario's teardown."""
    yield
    hs = session.config.stash.get(STATE, None)
    if hs is not None:
        if hs.early is not None and hs.early.span is not None:
            hs.cluster_use.timing_now.background = hs.early.span
        hs.cluster_use.save()
        if hs.early is not None:
            discard_unused_early_start(hs, session)
    problem = hs.wait_cluster_stopped() if hs is not None else None
    if problem is not None:
        log.error("%s", problem)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def discard_unused_early_start(hs: HarnessSession, session: pytest.Session) -> None:
    """What the early start prepared but no scenario asked for (the run stopped before, e.g. -x or a
    deselected scenario the last run needed the cluster for) is cleaned up as its fixtures would have: the
    release uninstalled, the cluster stopped if this run started it."""
    early = hs.early
    assert early is not None
    if session.exitstatus == pytest.ExitCode.INTERRUPTED and not early.wait_all(0):
        log.warning("interrupted while the cluster and release were being prepared: left as they are")
        return
    if not early.wait_all(hs.timeouts.install):
        log.warning("the background install had not ended; leaving what it made")
        return
    if hs.keep_everything(session) or ("cluster_info" in early.waited and "release" in early.waited):
        return  # the fixtures clean up after themselves
    cluster = early.futures["cluster"]
    if cluster.exception() is not None:
        return
    choice, info, k8s = cluster.result()
    stops = choice.stops_at_end(info)
    if "release" not in early.waited:
        if hs.pod_watch is not None:
            hs.pod_watch.stop()
        if hs.second_release_install is not None:
            hs.second_release_install.cleanup(session)
        if not stops and k8s.namespace_exists(hs.namespace):
            log.info("removing namespace %s: no scenario used the release installed in it", hs.namespace)
            k8s.delete_namespace(hs.namespace, wait=False)
    if "cluster_info" not in early.waited and stops:
        hs.stop_cluster_in_background(choice.cluster.teardown)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    hs = session.config.stash.get(STATE, None)
    if hs is None:
        return
    if hs.info is not None:
        prefix.append(f"<p>Cluster target: {hs.info.notes.get('selection', hs.info.target)}</p>")
    if hs.release is not None:
        waits = ", ".join(f"{what} {secs:.1f}s" for what, secs in getattr(hs.release, "waits", []))
        prefix.append(f"<p>Release {hs.release_name} in namespace {hs.namespace}; waited for: {waits}</p>")
        for component, why in getattr(hs.release, "moved_node_ports", {}).items():
            prefix.append(f"<p>NodePort of {component}: {why}</p>")
