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

    def scaled(self, factor: float) -> Timeouts:
        """Every timeout times `factor` (a slower machine); `install` is set by its own option."""
        if factor <= 0:
            raise ValueError(f"a timeout scale must be positive, got {factor}")
        fields = {
            f.name: getattr(self, f.name) * factor for f in dataclasses.fields(self) if f.name != "install"
        }
        return dataclasses.replace(self, **fields)

    @classmethod
    def from_options(cls, *, deploy_timeout: float | None = None, scale: float = 1.0) -> Timeouts:
        base = cls().scaled(scale)
        return dataclasses.replace(base, install=deploy_timeout) if deploy_timeout is not None else base


DEFAULT_TIMEOUTS = Timeouts()
