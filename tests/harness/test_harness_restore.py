"""Disruptive steps (scaling Postgres, scaling the backend, upgrading the release) put the release back when
the scenario ends, even when a later step fails: run the real step definitions in a separate pytest against a
stand-in release, and read what the stand-in cluster holds afterwards."""

from __future__ import annotations

import json

import pytest

from harness.paths import REPO

FEATURE = """
Feature: Disruptive steps put the release back

  Scenario: Postgres is scaled to 0, then a step fails
    When the Postgres StatefulSet is scaled to 0
    Then this step fails

  Scenario: The backend is scaled to 4 replicas, then a step fails
    When the backend is scaled to 4 replicas
    Then this step fails

  Scenario: The release is upgraded, then a step fails
    When the release is upgraded with "config.logLevel" set to "DEBUG"
    And the backend is scaled to 3 replicas
    Then this step fails

  Scenario: A scenario that puts things back itself
    When the backend is scaled to 4 replicas
    And the backend is scaled to 2 replicas
"""

TESTS = """
from pytest_bdd import scenarios

scenarios("disruptive.feature")
"""

CONFTEST = '''
import json
from pathlib import Path

import pytest
from pytest_bdd import then

from harness.timeouts import DEFAULT_TIMEOUTS

STATE = Path(__file__).parent / "cluster.json"


class StandInCluster:
    """Replica counts and the helm release's revisions; every change is written to cluster.json."""

    def __init__(self):
        self.state = {
            "replicas": {"Deployment/tcb-backend": 2, "StatefulSet/tcb-postgres": 1},
            "revision": 1,
            "values": {"config.logLevel": "INFO"},
            "changes": [],
        }
        self.history = {1: dict(self.state["values"])}
        self.save()

    def save(self):
        STATE.write_text(json.dumps(self.state))

    # what the steps and the restorer use of harness.k8s.K8s
    def replicas(self, kind, namespace, name):
        return self.state["replicas"][f"{kind}/{name}"]

    def set_replicas(self, kind, namespace, name, replicas):
        self.state["replicas"][f"{kind}/{name}"] = replicas
        self.state["changes"].append(f"{kind}/{name}={replicas}")
        self.save()

    def scale(self, namespace, name, replicas):
        self.set_replicas("Deployment", namespace, name, replicas)

    def scale_statefulset(self, namespace, name, replicas):
        self.set_replicas("StatefulSet", namespace, name, replicas)

    def statefulset_name(self, namespace, selector):
        return "tcb-postgres"

    def wait_for_rollout(self, *args, **kwargs):
        return 0.1

    def wait_all_rollouts(self, *args, **kwargs):
        return []


class StandInRelease:
    name, namespace, selector = "tcb", "tcb-test", "app.kubernetes.io/instance=tcb"
    timeouts = DEFAULT_TIMEOUTS

    def __init__(self, cluster):
        self.k8s = cluster

    def component_selector(self, component):
        return f"{self.selector},app.kubernetes.io/component={component}"

    def deployment_name(self, component):
        return f"tcb-{component}"

    def scale(self, component, replicas, timeout=None):
        self.k8s.scale(self.namespace, self.deployment_name(component), replicas)
        return 0.1

    def revision(self):
        return self.k8s.state["revision"]

    def _new_revision(self, values, what):
        state = self.k8s.state
        state["revision"] += 1
        state["values"] = dict(values)
        state["changes"].append(f"revision {state['revision']}: {what}")
        self.k8s.history[state["revision"]] = dict(values)
        self.k8s.save()
        return state["revision"]

    def upgrade(self, set_values, timeout=None):
        pairs = dict(pair.split("=", 1) for pair in set_values)
        return self._new_revision({**self.k8s.state["values"], **pairs}, f"upgrade {pairs}")

    def rollback(self, revision, timeout=None):
        self._new_revision(self.k8s.history[revision], f"rollback to {revision}")


@pytest.fixture(scope="session")
def k8s():
    return StandInCluster()


@pytest.fixture(scope="session")
def release(k8s):
    return StandInRelease(k8s)


@then("this step fails")
def _fails():
    raise AssertionError("failing on purpose, mid-scenario")
'''

NO_RESTORE = '''

@pytest.fixture
def release_restorer(release):
    """A seeded defect: disruptive steps record nothing and nothing is put back."""
    from harness.release import ReleaseRestorer

    return ReleaseRestorer(release)
'''


def run_scenarios(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, conftest: str):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest(conftest)
    pytester.makefile(".feature", disruptive=FEATURE)
    pytester.makepyfile(test_disruptive=TESTS)
    result = pytester.runpytest_subprocess(
        *(
            "-p",
            "steps.plugin",
            "-p",
            "steps.common_steps",
            "-p",
            "steps.cluster_steps",
            "-p",
            "steps.app_steps",
        ),
        *("--report-dir", str(pytester.path / "out"), "-p", "no:cacheprovider"),
    )
    return result, json.loads((pytester.path / "cluster.json").read_text())


def test_a_scenario_failing_midway_leaves_the_release_as_it_was(pytester, monkeypatch):
    result, cluster = run_scenarios(pytester, monkeypatch, CONFTEST)
    result.assert_outcomes(failed=3, passed=1)
    assert cluster["replicas"] == {"Deployment/tcb-backend": 2, "StatefulSet/tcb-postgres": 1}
    assert cluster["values"] == {"config.logLevel": "INFO"}
    # each disruption happened, and was undone at the end of its own scenario, the latest change first
    assert cluster["changes"] == [
        "StatefulSet/tcb-postgres=0",
        "StatefulSet/tcb-postgres=1",
        "Deployment/tcb-backend=4",
        "Deployment/tcb-backend=2",
        "revision 2: upgrade {'config.logLevel': 'DEBUG'}",
        "Deployment/tcb-backend=3",
        "Deployment/tcb-backend=2",
        "revision 3: rollback to 1",
        "Deployment/tcb-backend=4",
        "Deployment/tcb-backend=2",
    ]


def test_without_the_restorer_the_failing_scenarios_leave_the_release_changed(pytester, monkeypatch):
    """The seeded defect the test above catches: nothing put back."""
    result, cluster = run_scenarios(pytester, monkeypatch, CONFTEST + NO_RESTORE)
    result.assert_outcomes(failed=3, passed=1)
    assert cluster["replicas"] != {"Deployment/tcb-backend": 2, "StatefulSet/tcb-postgres": 1}
    assert cluster["values"] == {"config.logLevel": "DEBUG"}
