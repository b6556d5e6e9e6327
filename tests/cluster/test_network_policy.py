"""NetworkPolicy is enforced on the local cluster (kube-router's network-policy controller): a denied path is
refused and an allowed one works, to the pod and through its Service. That the probe fails when no controller
enforces policies is shown on the isolated cluster (isolated_cycle.py stops kube-router and probes again)."""

from __future__ import annotations

import uuid

import pytest

from harness.clusters.base import ClusterInfo
from harness.clusters.local import LocalCluster
from tests.cluster import netpol_probe

pytestmark = pytest.mark.cluster


def test_frontend_is_refused_and_backend_reaches_the_database(local_cluster: ClusterInfo) -> None:
    cluster = LocalCluster()
    assert cluster.status()["kube-router"].endswith("(healthy)")
    namespace = f"tcb-netpol-{uuid.uuid4().hex[:8]}"
    try:
        targets = netpol_probe.install(cluster, namespace)
        refused = netpol_probe.check_enforced(cluster, namespace, targets)
        assert set(refused) == {"pod", "service"}
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", quiet=True)
