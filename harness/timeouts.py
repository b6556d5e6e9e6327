"""How long each kind of wait may take: one place for every timeout, as Kubernetes' e2e framework has
`framework/timeouts.go`. The acceptance run builds one `Timeouts` from its options (`--deploy-timeout`,
`--timeout-scale`); the CLI and library calls use `DEFAULT_TIMEOUTS`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Each field is a deadline for one kind of wait, not a sleep: waits end as soon as they can."""

    # the chart installed or upgraded and every rollout of the release finished (--deploy-timeout)
    install: float = 900.0
    # one Deployment/StatefulSet rollout after a change (scale, restart) or a rollback of the release
    rollout: float = 300.0
    # pods of a component Ready (a replacement after a deletion, a scaled set, a restarted StatefulSet)
    pods_ready: float = 180.0
    # a Service's ready endpoints reach the expected count
    endpoints: float = 120.0
    # a Service loses its ready endpoints (readiness probes fail: period x failureThreshold, and some slack)
    endpoints_gone: float = 90.0
    # pods become unready after their dependency went away
    unready: float = 60.0
    # a configuration change is visible in every running service (rollout done, old pods draining)
    config_applied: float = 60.0
    # the app answers through a NodePort once its pods are Ready (kube-proxy programs the rules)
    app_answers: float = 30.0
    # NodePort URLs answer from this machine, else port-forwards are used
    nodeport_probe: float = 20.0
    # `helm test` pods finished
    helm_test: float = 300.0
    # the release uninstalled
    uninstall: float = 300.0
    # a deleted namespace gone (its objects finalized)
    namespace_gone: float = 180.0
    # one HTTP request of a step (not a wait: a bound on a single call)
    request: float = 10.0

    # --- disruptions and recovery ---
    # pods of a workload scaled to 0 gone (their termination grace period, and some slack)
    pods_gone: float = 90.0
    # the app answers again once a disruption has ended (a dependency back, a restore done); the scenario's
    # own figure asserts how fast, this only bounds the wait
    recovery: float = 60.0
    # a TCP connect that gets no answer within this is judged denied by a NetworkPolicy (a dropped SYN is
    # never answered); longer is stricter
    connect_denied: float = 4.0

    # --- commands a step or the harness runs (bounds on one process) ---
    # one short command: psql in the Postgres pod, `kubectl describe`, a tool's --help
    command: float = 60.0
    # a pg_dump or pg_restore of a release, its services stopped and started around it
    backup: float = 600.0
    # one `tcb` command a step runs as a user would (scale, verify, deploy)
    tcb_command: float = 600.0
    # `tcb build`: every image, from a cold build cache
    image_build: float = 1800.0
    # a nested acceptance run of a feature that needs no cluster (`pytest features/setup.feature`)
    nested_run: float = 300.0
    # npm installing a pinned tool for the reports (axe-core)
    tool_install: float = 300.0

    # --- daemons the harness starts: healthy after their start ---
    # one component of the local cluster (etcd, containerd, kubelet, …)
    cluster_component: float = 60.0
    # the local cluster's apiserver answering /readyz (it opens etcd and fills its caches first)
    apiserver: float = 120.0
    # the local cluster's add-ons applied (a fresh apiserver's bootstrap can lag /readyz)
    cluster_addons: float = 60.0
    # the local cluster's node registered by its kubelet
    node_registered: float = 60.0
    # the node Ready, and then CoreDNS Ready (each)
    node_ready: float = 120.0
    # pod containers stopped after SIGKILL when the local cluster is torn down
    containers_stopped: float = 20.0
    # dockerd answering after its start
    docker_engine: float = 90.0
    # the dev servers (`tcb dev`) answering /api/health
    dev_servers: float = 90.0
    # the LLM server answering with its model loaded
    llm_server: float = 120.0
    # every container of the compose project healthy (`tcb compose`)
    compose_healthy: float = 240.0
    # a daemon's process group gone after SIGTERM; then it is killed
    daemon_stop: float = 15.0
    # the same for a cluster component whose state is deleted next (local cluster teardown): the API server
    # otherwise waits up to 60 s for open watches to end, for nothing; containerd and etcd exit within it
    discarded_daemon_stop: float = 0.5
    # the acceptance run's cluster teardown, run beside the end-of-run reports: waited for before pytest exits
    # (its own steps are bounded by the fields above; this bounds the whole of it)
    cluster_teardown: float = 180.0
    # Chromium: one action of a step (a click, a form submitted, a text to appear)
    browser_action: float = 20.0
    # initdb and pg_ctl (start waits until it accepts connections) of a test Postgres (harness/pgserver.py)
    local_postgres: float = 120.0

    def scaled(self, factor: float) -> Timeouts:
        """Every timeout times `factor` (a slower machine); `install` is set by its own option, and
        `connect_denied` is a verdict's threshold, not a deadline (shorter, it would call a slow connection
        denied)."""
        if factor <= 0:
            raise ValueError(f"a timeout scale must be positive, got {factor}")
        fields = {
            f.name: getattr(self, f.name) * factor for f in dataclasses.fields(self) if f.name not in UNSCALED
        }
        return dataclasses.replace(self, **fields)

    @classmethod
    def from_options(cls, *, deploy_timeout: float | None = None, scale: float = 1.0) -> Timeouts:
        base = cls().scaled(scale)
        return dataclasses.replace(base, install=deploy_timeout) if deploy_timeout is not None else base


UNSCALED = frozenset({"install", "connect_denied"})
DEFAULT_TIMEOUTS = Timeouts()
