"""The run's second release of the chart (TLS on, one replica each): where tls.feature logs in over HTTPS and
durability.feature restores a backup. Its install runs in a thread of its own, so it can start beside the
run's own install (steps/fixtures.py) when a selected scenario has one of SECOND_RELEASE_STEPS.

Not a step module: steps/fixtures.py imports it before pytest loads the step modules (and rewrites their
asserts)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from pytest_bdd.feature import get_features
from pytest_bdd.parser import Step

from harness.clusters.base import ClusterInfo
from harness.k8s import K8s
from harness.log import get_logger
from harness.release import Release
from harness.tls import TlsBundle, prepare_release_tls
from steps.session import HarnessSession

log = get_logger("plugin")


@dataclass
class SecondRelease:
    release: Release
    bundle: TlsBundle
    frontend: str  # https://<node>:<NodePort>
    backend: str  # http://<node>:<NodePort>


# the steps that use the second release: a run whose scenarios have one installs it beside its own release
SECOND_RELEASE_STEPS = (
    "a second release serving the frontend over HTTPS",
    "the backup is restored into a fresh release",  # steps/database_steps.py
)

# one replica each: it only has to serve its scenarios, beside the run's release, on 2 cores
SECOND_RELEASE_VALUES = {
    "tls.enabled": True,
    "tls.secretName": "second-tls",  # pragma: allowlist secret
    "backend.replicaCount": 1,
    "frontend.replicaCount": 1,
    "backend.podDisruptionBudget.enabled": False,
    "frontend.podDisruptionBudget.enabled": False,
}


class SecondReleaseInstall:
    """The second release's install, run in a thread of its own: started beside the run's own install when
    the run has a scenario that needs it (steps/fixtures.py: the two installs' waits overlap), else when a
    scenario first asks. `cleanup` waits for it to end and deletes its namespace (volume included)."""

    def __init__(
        self, harness_session: HarnessSession, cluster_info: ClusterInfo, k8s: K8s, images: Mapping[str, Any]
    ) -> None:
        self.hs, self.info, self.k8s, self.images = harness_session, cluster_info, k8s, images
        self.namespace = f"{harness_session.namespace}-2"[:63]
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="second-release")
        self._future: Future[SecondRelease] | None = None

    def start(self) -> None:
        if self._future is None:
            log.info("installing the second release (namespace %s) in the background", self.namespace)
            self._future = self._executor.submit(self._install)

    def result(self) -> SecondRelease:
        """The installed release (waits for the install; raises what it raised)."""
        self.start()
        assert self._future is not None
        second = self._future.result()
        self.hs.secret_values |= set(second.release.secret_values)
        return second

    def _install(self) -> SecondRelease:
        from harness.release import install_release

        bundle = prepare_release_tls(self.info, self.k8s, self.namespace, "second-tls")
        rel = install_release(
            self.info,
            self.images,
            namespace=self.namespace,
            release="second",
            # the raised limits, not the --values files (they are the run's release's)
            values_files=[self.hs.acceptance_overlay()],
            set_values=SECOND_RELEASE_VALUES,
            timeouts=self.hs.timeouts,
            k8s=self.k8s,
        )
        host = self.info.node_address
        return SecondRelease(
            rel,
            bundle,
            f"https://{host}:{rel.node_port('frontend')}",
            f"http://{host}:{rel.node_port('backend')}",
        )

    def cleanup(self, session: pytest.Session) -> None:
        if self._future is None:
            return
        try:  # a failure was reported by the scenario that used it; here it is only logged
            self._future.result(timeout=self.hs.timeouts.install)
        except Exception as exc:
            log.info("the second release's install failed: %s", exc)
        self._executor.shutdown(wait=False)
        if not self.hs.keep_everything(session):
            # the retained data volume goes with its namespace; the k8s fixture waits until it is gone
            self.k8s.delete_namespace(self.namespace, wait=False)
            self.hs.deleting_namespaces.append(self.namespace)


def scenario_steps(item: pytest.Item) -> list[Step]:
    """The steps of the scenario a collected test runs ([] for a test that is not a scenario). Known at
    collection, unlike the fixtures its steps will ask for (pytest-bdd resolves those as each step runs)."""
    # pytest-bdd sets the scenario function's docstring to "<feature file>: <scenario name>"
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    feature_file, _, name = doc.partition(": ")
    if not feature_file.endswith(".feature"):
        return []
    for feature in get_features([feature_file]):
        scenario = feature.scenarios.get(name)
        if scenario is not None:
            return list(scenario.steps)
    return []


def scenario_step_texts(item: pytest.Item) -> list[str]:
    """The step texts of the scenario a collected test runs ([] for a test that is not a scenario)."""
    return [step.name for step in scenario_steps(item)]


def needed_by(items: list[pytest.Item]) -> bool:
    """Whether any of these collected scenarios has a step that uses the second release."""
    return any(text in SECOND_RELEASE_STEPS for item in items for text in scenario_step_texts(item))
