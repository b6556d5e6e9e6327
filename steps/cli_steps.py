"""Steps that run the `tcb` verbs a user would run (deploy, verify, scale) against the session's release, as
separate processes, and observe what they do — not their --help."""

from __future__ import annotations

import json
import re
import secrets
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pytest_bdd import parsers, then, when

from harness.images import ImageRef
from harness.paths import REPO
from harness.proc import run
from harness.release import Release, ReleaseRestorer
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts
from steps.evidence import Evidence
from steps.second_release import scenario_step_texts
from steps.session import HarnessSession


@dataclass
class TcbRun:
    argv: list[str]
    returncode: int
    output: str
    report_dir: Path | None = None


def tcb(release: Release, *args: str, timeout: float = DEFAULT_TIMEOUTS.tcb_command) -> TcbRun:
    """`tcb ARGS` on the session's cluster (its private kubeconfig), as a user would type it."""
    argv = [sys.executable, "-m", "harness.cli", *args]
    cluster = ["--target", "kubeconfig", "--kubeconfig", str(release.info.kubeconfig)]
    if "--" in argv:
        at = argv.index("--")
        argv = [*argv[:at], *cluster, *argv[at + 1 :]]
    else:
        argv += cluster
    result = run(argv, cwd=REPO, check=False, quiet=True, timeout=timeout)
    return TcbRun(argv, result.returncode, result.stdout + result.stderr)


def shown_command(argv: list[str]) -> str:
    """The command as a user types it (`tcb …`), the session's private kubeconfig path replaced by a name."""
    args = argv[3:] if argv[1:3] == ["-m", "harness.cli"] else argv[1:]
    return " ".join(
        ["tcb", *("<kubeconfig>" if i and args[i - 1] == "--kubeconfig" else a for i, a in enumerate(args))]
    )


def _record(evidence: Evidence, name: str, done: TcbRun) -> None:
    shown = shown_command(done.argv)
    evidence.text(name, f"$ {shown}\nexit {done.returncode}\n{done.output[-4000:]}")


@when(parsers.parse("the backend is scaled to {replicas:d} replicas with `tcb scale`"))
def _tcb_scale(
    release: Release, replicas: int, evidence: Evidence, release_restorer: ReleaseRestorer, timeouts: Timeouts
) -> None:
    release_restorer.remember_replicas("Deployment", release.deployment_name("backend"))
    done = tcb(
        release,
        *("scale", "backend", str(replicas), "-n", release.namespace, "--release", release.name, "--"),
        timeout=timeouts.tcb_command,
    )
    _record(evidence, f"tcb scale backend {replicas}", done)
    assert done.returncode == 0, f"tcb scale exited {done.returncode}: {done.output[-1500:]}"
    match = re.search(rf"backend: {replicas} replicas Ready in ([\d.]+)s", done.output)
    assert match, f"tcb scale did not report {replicas} Ready replicas: {done.output[-800:]}"
    evidence.figure(f"seconds to scale to {replicas} (tcb scale)", float(match.group(1)), "s")
    # what it reported must hold when it returned: read at once, not waited for
    status = release.k8s.apps.read_namespaced_deployment(
        release.deployment_name("backend"), release.namespace
    ).status
    counts = {
        "replicas": status.replicas,
        "ready": status.ready_replicas,
        "available": status.available_replicas,
    }
    evidence.json(f"the backend Deployment when tcb scale {replicas} returned", counts)
    assert counts == {"replicas": replicas, "ready": replicas, "available": replicas}, (
        f"tcb scale returned reporting {replicas} Ready replicas, but the backend Deployment had {counts}"
    )


def _verify(release: Release, namespace: str, report_dir: Path, timeouts: Timeouts) -> TcbRun:
    done = tcb(
        release,
        "verify",
        "-n",
        namespace,
        "--release",
        release.name,
        "--",
        "-k",
        "answers_at_nodeport",
        "--report-dir",
        str(report_dir),
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-report-check",
        timeout=timeouts.tcb_command,
    )
    done.report_dir = report_dir
    return done


MISSING_STEP = "`tcb verify` runs the NodePort scenarios against a namespace with no release"


@pytest.fixture
def missing_namespace_verification(
    release: Release, tmp_path: Path, timeouts: Timeouts
) -> Iterator[Future[TcbRun]]:
    """`tcb verify` against a namespace with no release, started when first asked for and run in its own
    process beside the scenario's other steps: it reads nothing of the release's namespace, so it cannot
    disturb (or be disturbed by) the verification of the installed release."""
    missing = f"tcb-missing-{secrets.token_hex(3)}"
    with ThreadPoolExecutor(1, thread_name_prefix="tcb-verify-missing") as pool:
        yield pool.submit(_verify, release, missing, tmp_path / "verify-missing-reports", timeouts)


@when("`tcb verify` runs the NodePort scenarios against the installed release", target_fixture="verification")
def _tcb_verify(
    request: pytest.FixtureRequest, release: Release, tmp_path: Path, evidence: Evidence, timeouts: Timeouts
) -> TcbRun:
    if MISSING_STEP in scenario_step_texts(request.node):  # a later step's run, started now beside this one
        request.getfixturevalue("missing_namespace_verification")
    done = _verify(release, release.namespace, tmp_path / "verify-reports", timeouts)
    _record(evidence, "tcb verify", done)
    return done


@when(MISSING_STEP, target_fixture="verification")
def _tcb_verify_missing(missing_namespace_verification: Future[TcbRun], evidence: Evidence) -> TcbRun:
    done = missing_namespace_verification.result()
    _record(evidence, "tcb verify (no release)", done)
    return done


@then(parsers.parse("that verification passes and ran {count:d} scenarios against the release's namespace"))
def _verification_passed(verification: TcbRun, release: Release, count: int) -> None:
    assert verification.returncode == 0, (
        f"tcb verify exited {verification.returncode}: {verification.output[-1500:]}"
    )
    assert verification.report_dir is not None
    cases = list(ElementTree.parse(verification.report_dir / "junit.xml").getroot().iter("testcase"))  # noqa: S314
    passed = [c for c in cases if not [e for e in c if e.tag in ("failure", "error", "skipped")]]
    assert len(cases) == count and len(passed) == count, (
        f"tcb verify ran {len(cases)} scenarios, {len(passed)} passed; expected {count}"
    )
    trace = json.loads((verification.report_dir / "traceability.json").read_text())
    assert trace["run"].get("namespace") == release.namespace, f"tcb verify checked {trace['run']}"


@then("that verification fails")
def _verification_failed(verification: TcbRun, release: Release) -> None:
    verification_failed_on_missing_release(verification, release.name)


def verification_failed_on_missing_release(verification: TcbRun, release: str) -> None:
    """It failed because the release is not there (exit 6, saying so, naming the release and the namespace it
    was asked for), not for any other reason: a crash, a wrong kubeconfig or a failing scenario also exits
    non-zero and would have passed a bare `returncode != 0`."""
    from harness.cli.deploy import NO_RELEASE_EXIT

    assert verification.returncode != 0, "tcb verify passed against a namespace with no release"
    namespace = verification.argv[verification.argv.index("-n") + 1]
    said = f"no release {release!r} in namespace {namespace!r}"
    assert verification.returncode == NO_RELEASE_EXIT and said in verification.output, (
        f"tcb verify exited {verification.returncode} without saying {said!r}: {verification.output[-1500:]}"
    )


@when("`tcb deploy` is run for the installed release", target_fixture="deployment_run")
def _tcb_deploy(
    release: Release, harness_session: HarnessSession, evidence: Evidence, timeouts: Timeouts
) -> tuple[TcbRun, int]:
    before = int(release.status()["revision"])
    values = [arg for path in harness_session.values_files() for arg in ("-f", str(path))]
    done = tcb(
        release,
        "deploy",
        "-n",
        release.namespace,
        "--release",
        release.name,
        *values,
        "--timeout",  # an upgrade that changes nothing: each rollout's deadline, not a first install's
        str(round(timeouts.rollout)),
        "--",
        timeout=timeouts.tcb_command,
    )
    _record(evidence, "tcb deploy", done)
    return done, before


@then("it reports the release installed in its namespace with a new revision")
def _tcb_deployed(deployment_run: tuple[TcbRun, int], release: Release, evidence: Evidence) -> None:
    done, before = deployment_run
    assert done.returncode == 0, f"tcb deploy exited {done.returncode}: {done.output[-1500:]}"
    expected = f"release {release.name} installed in namespace {release.namespace}"
    assert expected in done.output, f"tcb deploy did not report {expected!r}: {done.output[-800:]}"
    after = int(release.status()["revision"])
    evidence.figure("revision after tcb deploy", after)
    assert after == before + 1, f"tcb deploy left the release at revision {after} (was {before})"


@when("`tcb build` is run", target_fixture="build_run")
def _tcb_build(evidence: Evidence, timeouts: Timeouts) -> TcbRun:
    result = run(
        [sys.executable, "-m", "harness.cli", "build"],
        cwd=REPO,
        check=False,
        quiet=True,
        timeout=timeouts.image_build,
    )
    done = TcbRun(
        [sys.executable, "-m", "harness.cli", "build"], result.returncode, result.stdout + result.stderr
    )
    _record(evidence, "tcb build", done)
    return done


@then("it lists every application image with the content-hash tag this run deploys")
def _tcb_build_lists(build_run: TcbRun, built_images: dict[str, ImageRef]) -> None:
    assert build_run.returncode == 0, f"tcb build exited {build_run.returncode}: {build_run.output[-1500:]}"
    missing = [image.ref for image in built_images.values() if image.tag not in build_run.output]
    assert not missing, f"tcb build did not list {missing}: {build_run.output[-1500:]}"
