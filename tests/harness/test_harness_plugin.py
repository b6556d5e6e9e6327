"""The acceptance plugin, run in a separate pytest: evidence in the reports, NOT VERIFIED skips, and a
diagnostics bundle for a failed cluster test (with a stand-in cluster API that answers nothing)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from harness.paths import REPO

TESTS = """
import pytest
from steps.plugin import not_verified


def test_records_evidence(evidence, tmp_path):
    evidence.text("reply", "Added task #1: buy milk")
    evidence.json("task", {"number": 1, "title": "buy milk"})
    evidence.figure("p95 latency", 42.5, "ms")


def test_cannot_check_here():
    not_verified("no GPU on this machine")


def test_plain_failure_collects_nothing():
    assert 1 == 2


def test_cluster_failure_collects_a_bundle(k8s):
    assert False, "the frontend did not answer"


def test_fixture_fetched_at_run_time_counts_too(request):
    request.getfixturevalue("k8s")  # as pytest-bdd fetches step arguments
    assert False, "a step failed"
"""

CONFTEST = '''
import pytest


class DeadApi:
    """A cluster API whose every call fails: the bundle is still written, saying what it could not get."""

    kubeconfig = "/nonexistent"
    context = None

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionRefusedError("apiserver down")
        return fail


@pytest.fixture(scope="session")
def k8s(harness_session):
    harness_session.k8s = DeadApi()
    return harness_session.k8s
'''


@pytest.fixture
def outcome(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=TESTS)
    reports = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-p",
        "steps.plugin",
        "--report-dir",
        str(reports),
        f"--html={reports / 'a.html'}",
        "--self-contained-html",
        f"--junitxml={reports / 'junit.xml'}",
        "-p",
        "no:cacheprovider",
        "-rs",
    )
    return result, reports


def test_outcomes_evidence_and_diagnostics(outcome):
    result, reports = outcome
    result.assert_outcomes(passed=1, skipped=1, failed=3)
    result.stdout.fnmatch_lines(["*SKIPPED*NOT VERIFIED: no GPU on this machine*"])

    junit = ET.parse(reports / "junit.xml").getroot()  # noqa: S314 - the run's own junit file
    cases = {case.get("name"): case for case in junit.iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["test_records_evidence"].iter("property")}
    assert props["figure:p95 latency"] == "42.5 ms"
    assert str(props["text:reply"]).endswith("evidence/test_records_evidence/reply.txt")
    assert (reports / "evidence/test_records_evidence/task.json").read_text().count('"buy milk"') == 1

    html = (reports / "a.html").read_text()
    # self-contained: text extras are embedded base64-encoded, under their names
    assert base64.b64encode(b"Added task #1: buy milk").decode() in html
    assert base64.b64encode(b"42.5 ms").decode() in html and "p95 latency" in html

    bundle = reports / "diagnostics" / "test_cluster_failure_collects_a_bundle"
    summary = (bundle / "SUMMARY.txt").read_text()
    assert "could not collect" in summary and "apiserver down" in summary
    assert "diagnostics summary" in html
    assert not (reports / "diagnostics" / "test_plain_failure_collects_nothing").exists()
    assert (reports / "diagnostics" / "test_fixture_fetched_at_run_time_counts_too" / "SUMMARY.txt").is_file()
    props = {
        p.get("name"): p.get("value")
        for p in cases["test_cluster_failure_collects_a_bundle"].iter("property")
    }
    assert props["diagnostics"] == str(bundle)
