"""Disruptive steps (scaling or stopping Postgres, scaling the backend directly or with `tcb scale`, upgrading
the release, refusing a service's database logins) put the release back when the scenario ends, even when a
later step fails: run the real step definitions in a separate pytest against a
stand-in release, and read what the stand-in cluster holds afterwards."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

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

  Scenario: Postgres is stopped, then a step fails
    When the Postgres StatefulSet is stopped
    Then this step fails

  Scenario: The database refuses the backend's logins, then a step fails
    When the database refuses the backend's logins
    Then this step fails

  Scenario: The backend is scaled with tcb scale, then a step fails
    When the backend is scaled to 4 replicas with `tcb scale`
    Then this step fails
"""

TESTS = """
from pytest_bdd import scenarios

scenarios("disruptive.feature")
"""

CONFTEST = '''
import json
import re
from pathlib import Path

import pytest
from pytest_bdd import then

import harness.backup
import steps.cli_steps
from harness.timeouts import DEFAULT_TIMEOUTS

STATE = Path(__file__).parent / "cluster.json"


class StandInCluster:
    """Replica counts and the helm release's revisions; every change is written to cluster.json."""

    def __init__(self):
        self.state = {
            "replicas": {"Deployment/tcb-backend": 2, "StatefulSet/tcb-postgres": 1},
            "revision": 1,
            "values": {"config.logLevel": "INFO"},
            "role_limits": {"todo_backend": 20, "todo_chatbot": 10},
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

    def rollouts_completed_at(self, *args, **kwargs):
        return None


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

    def rollback(self, revision, timeout=None, wait=True):
        self._new_revision(self.k8s.history[revision], f"rollback to {revision}")


CLUSTER = StandInCluster()


@pytest.fixture(scope="session")
def k8s():
    return CLUSTER


def run_sql(release, sql, timeout=None):
    """psql in the Postgres pod: the services' roles and their connection limits."""
    limits = CLUSTER.state["role_limits"]
    for role, limit in re.findall(r"ALTER ROLE (\\w+) CONNECTION LIMIT (\\d+)", sql):
        limits[role] = int(limit)
        CLUSTER.state["changes"].append(f"role {role} limit {limit}")
        CLUSTER.save()
    asked = re.search(r"rolname = '(\\w+)'", sql)
    return str(limits[asked.group(1)]) if asked else ""


def tcb(release, *args, timeout=None):
    """`tcb scale backend N` as the CLI does it, without a process."""
    component, replicas = args[1], int(args[2])
    release.scale(component, replicas)
    return steps.cli_steps.TcbRun(["tcb", *args], 0, f"{component}: {replicas} replicas Ready in 0.1s")


harness.backup.run_sql = run_sql
steps.cli_steps.tcb = tcb


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


@pytest.fixture
def role_limits(release):
    """A seeded defect: the roles' connection limits are read, never put back."""
    from steps.database_steps import SERVICE_ROLES, role_limit_sql

    return {role: int(run_sql(release, role_limit_sql(role))) for role in SERVICE_ROLES.values()}
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
            "-p",
            "steps.database_steps",
            "-p",
            "steps.cli_steps",
        ),
        *("--report-dir", str(pytester.path / "out"), "-p", "no:cacheprovider"),
    )
    return result, json.loads((pytester.path / "cluster.json").read_text())


def test_a_scenario_failing_midway_leaves_the_release_as_it_was(pytester, monkeypatch):
    result, cluster = run_scenarios(pytester, monkeypatch, CONFTEST)
    result.assert_outcomes(failed=6, passed=1)
    assert cluster["replicas"] == {"Deployment/tcb-backend": 2, "StatefulSet/tcb-postgres": 1}
    assert cluster["values"] == {"config.logLevel": "INFO"}
    assert cluster["role_limits"] == {"todo_backend": 20, "todo_chatbot": 10}
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
        "StatefulSet/tcb-postgres=0",
        "StatefulSet/tcb-postgres=1",
        "role todo_backend limit 0",
        "role todo_backend limit 20",
        "role todo_chatbot limit 10",
        "Deployment/tcb-backend=4",
        "Deployment/tcb-backend=2",
    ]


def test_without_the_restorer_the_failing_scenarios_leave_the_release_changed(pytester, monkeypatch):
    """The seeded defect the test above catches: nothing put back."""
    result, cluster = run_scenarios(pytester, monkeypatch, CONFTEST + NO_RESTORE)
    result.assert_outcomes(failed=6, passed=1)
    assert cluster["replicas"] == {"Deployment/tcb-backend": 4, "StatefulSet/tcb-postgres": 0}
    assert cluster["values"] == {"config.logLevel": "DEBUG"}
    assert cluster["role_limits"] == {"todo_backend": 0, "todo_chatbot": 10}


class _Replicas:
    """What ReleaseRestorer uses of K8s for one Deployment, with a rollout wait that may fail."""

    def __init__(self, fail: bool = False, took: float = 1.0) -> None:
        self.count, self.fail, self.waits, self.took = 2, fail, 0, took
        self.completed_at: datetime | None = None

    def replicas(self, kind: str, namespace: str, name: str) -> int:
        return self.count

    def set_replicas(self, kind: str, namespace: str, name: str, replicas: int) -> None:
        self.count = replicas

    def wait_all_rollouts(self, namespace: str, selector: str, timeout: float) -> list[tuple[str, float]]:
        self.waits += 1
        if self.fail:
            raise TimeoutError("deployment tcb-backend: 1/2 ready after 180s")
        return [("deployment/tcb-backend", self.took)]

    def rollouts_completed_at(self, namespace: str, selector: str) -> datetime | None:
        return self.completed_at


def _restorer(fail: bool = False, took: float = 1.0):
    from types import SimpleNamespace

    from harness.release import ReleaseRestorer
    from harness.timeouts import DEFAULT_TIMEOUTS

    k8s = _Replicas(fail, took)
    release = SimpleNamespace(k8s=k8s, name="tcb", namespace="ns", selector="s", timeouts=DEFAULT_TIMEOUTS)
    restorer = ReleaseRestorer(release, scenario="features/c.feature::test_upgrade")  # type: ignore[arg-type]
    restorer.remember_replicas("Deployment", "tcb-backend")
    k8s.count = 4
    return restorer, k8s


def test_a_restore_not_waited_for_is_put_back_at_once_and_awaited_by_settle() -> None:
    restorer, k8s = _restorer()
    assert restorer.restore(wait=False) == ["deployment/tcb-backend back to 2 replicas"]
    assert (k8s.count, k8s.waits) == (2, 0)
    restorer.settle()
    restorer.settle()  # once is enough
    assert k8s.waits == 1
    assert restorer.restore_seconds is not None and restorer.restore_seconds >= 0
    waited, k8s = _restorer()
    waited.restore()
    assert (k8s.waits, waited.unsettled) == (1, [])


def test_a_restore_that_does_not_come_back_fails_settle_naming_it() -> None:
    """Seeded: the rollout the restore started never completes."""
    restorer, _ = _restorer(fail=True)
    restorer.restore(wait=False)
    with pytest.raises(
        RuntimeError,
        match=r"did not come back from the restore after features/c.feature::test_upgrade \(deployment/",
    ):
        restorer.settle()


def test_a_restore_found_complete_when_settled_takes_its_time_from_the_deployments() -> None:
    """Settled late (the scenarios in between took longer than the rollout), the wait finds it done at once:
    the time since the restore began is not the rollout's; the Deployments' record of when they completed
    is (none recorded: no time, the last run's stays)."""
    restorer, k8s = _restorer(took=0.01)
    restorer.restore(wait=False)
    k8s.completed_at = restorer._restore_started_at + timedelta(seconds=7)
    restorer.settle()
    assert restorer.restore_seconds == 7.0
    unknown, _ = _restorer(took=0.01)
    unknown.restore(wait=False)
    unknown.settle()
    assert unknown.restore_seconds is None
