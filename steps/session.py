"""What one pytest session of the harness holds: its options, the namespace and release it works on, and
what the fixtures created, so hooks (diagnostics, report summary) can reach it without starting anything."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice
from harness.log import get_logger
from harness.timeouts import Timeouts

if TYPE_CHECKING:
    from harness.k8s import K8s
    from harness.pod_watch import PodIncidentWatch
    from harness.release import Release, ReleaseRestorer
    from steps.early_start import ClusterUse, EarlyStart
    from steps.second_release import SecondReleaseInstall

log = get_logger("plugin")


# Every request of the run comes from this one machine (one client address, through kube-proxy) and it signs
# up dozens of users and chats under load: the chart's abuse limits would throttle the proof itself. They are
# raised for the run's releases (the second one too: it receives the run's backup, whose rate counters hold
# every sign-up the run made from this address); tests/security proves the limits against the real services.
ACCEPTANCE_VALUES = {
    "config": {
        "limits": {
            "signupPerAddress": "100000/3600",
            "loginPerAddress": "100000/60",
            "chatPerAccount": "100000/60",
            "chatPerAddress": "100000/60",
        }
    }
}


def default_namespace() -> str:
    return f"tcb-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class HarnessSession:
    """What the fixtures created, so hooks can reach it without starting anything."""

    def __init__(self, config: pytest.Config, report_dir: Path) -> None:
        self.config = config
        self.report_dir = report_dir
        self.namespace: str = config.getoption("namespace") or default_namespace()
        self.release_name: str = config.getoption("release") or "tcb"
        self.attach = config.getoption("release") is not None
        self.timeouts = Timeouts.from_options(
            deploy_timeout=config.getoption("deploy_timeout"), scale=config.getoption("timeout_scale")
        )
        self.choice: TargetChoice | None = None
        self.info: ClusterInfo | None = None
        self.k8s: K8s | None = None
        self.release: Release | None = None
        self.secret_values: set[str] = set()
        self.setup_bundles: dict[str, Path] = {}
        self.pod_watch: PodIncidentWatch | None = None  # the release's namespace, from before the install
        self.deleting_namespaces: list[str] = []  # deleted without waiting; waited for at the very end
        # the second release (steps/tls_steps.py), when its install started beside the run's release
        self.second_release_install: SecondReleaseInstall | None = None
        self.cluster_stop: Future[None] | None = None  # the cluster's teardown, running beside the reports
        # cluster, images and release prepared in the background from the first scenario on
        # (steps/early_start.py); prepare_early: whether a selected scenario needs them (None: undecided)
        self.early: EarlyStart | None = None
        self.prepare_early: bool | None = None
        from steps.early_start import ClusterUse  # it imports steps.second_release, which imports this module

        self.cluster_use: ClusterUse = ClusterUse()  # which scenarios used the cluster, before and now
        self.unsettled: ReleaseRestorer | None = None  # its rollout: the next cluster scenario waits

    def settle_restore(self) -> None:
        """Wait for the rollouts of a restore left unsettled, if there is one (raises naming it if they did
        not come back), and keep its seconds for the next run's order."""
        restorer, self.unsettled = self.unsettled, None
        if restorer is None:
            return
        restorer.settle()
        self.record_restore(restorer)

    def record_restore(self, restorer: ReleaseRestorer) -> None:
        """The restore's seconds, when they were measured, for the next run's order (steps/early_start.py)."""
        if restorer.restore_seconds is not None and restorer.scenario:
            self.cluster_use.timing_now.restore[restorer.scenario] = restorer.restore_seconds

    def stop_cluster_in_background(self, teardown: Callable[[], None]) -> None:
        """Start the cluster's teardown in a thread: the end-of-run reports are written and checked in
        Chromium meanwhile (neither needs the cluster); `wait_cluster_stopped` ends it before pytest exits."""
        log.info("stopping the %s cluster beside the reports", self.info.target if self.info else "")
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cluster-stop")
        self.cluster_stop = executor.submit(teardown)
        executor.shutdown(wait=False)

    def wait_cluster_stopped(self) -> str | None:
        """Wait for the background teardown; None when it ended well, else what went wrong."""
        if self.cluster_stop is None:
            return None
        future, self.cluster_stop = self.cluster_stop, None
        try:
            future.result(timeout=self.timeouts.cluster_teardown)
        except FutureTimeout:
            return (
                f"the cluster's teardown had not ended after {self.timeouts.cluster_teardown:.0f} s"
                " (still running; `tcb cluster status` shows what is left)"
            )
        except Exception as exc:
            return f"the cluster's teardown failed: {exc}"
        return None

    def acceptance_overlay(self) -> Path:
        """ACCEPTANCE_VALUES as a values file in the report directory."""
        overlay = self.report_dir / "acceptance-values.yaml"
        overlay.parent.mkdir(parents=True, exist_ok=True)
        overlay.write_text(yaml.safe_dump(ACCEPTANCE_VALUES))
        return overlay

    def values_files(self) -> list[Path]:
        """The chart values of this run: the acceptance overlay, then the --values files (later wins)."""
        return [self.acceptance_overlay(), *self.option("values")]

    def option(self, name: str) -> Any:  # each option has its own type (pytest.Config.getoption)
        return self.config.getoption(name)

    def failed(self, session: pytest.Session) -> bool:
        return session.testsfailed > 0

    def keep_everything(self, session: pytest.Session) -> bool:
        keep = bool(self.option("keep_on_failure")) and self.failed(session)
        if keep:
            log.info(
                "a scenario failed and --keep-on-failure is set: leaving namespace %s and the cluster;"
                " clean up with `tcb down --namespace %s`",
                self.namespace,
                self.namespace,
            )
        return keep


STATE = pytest.StashKey[HarnessSession]()
