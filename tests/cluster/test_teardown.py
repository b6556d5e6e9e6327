"""`teardown` leaves nothing behind, shown on a second cluster in its own network namespace (so the shared
cluster keeps running): no process, mount, pod netns, iptables chain, link, node address, cgroup or state."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from harness.proc import run, which

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.mark.skipif(os.geteuid() != 0 or not which("unshare"), reason="needs root and unshare(1)")
def test_up_then_teardown_leaves_nothing_behind() -> None:
    script = Path(__file__).with_name("isolated_cycle.py")
    report = json.loads(run(["unshare", "--net", "--", sys.executable, str(script)], timeout=900).stdout)
    assert report["pod_netns_seen"] >= 2, "the cycle ran no pods, so teardown proved nothing"
    assert report["second_started_by_us"] is False  # the second ensure_up found it running
    assert report["leftovers"] == {
        "processes": [],
        "mounts": [],
        "netns_files": [],
        "iptables_chains": [],
        "links": [],
        "node_address": [],
        "cgroups": [],
        "state_dir": [],
    }
