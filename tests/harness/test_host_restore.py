"""The teardown's removal of the cluster's chains and ipsets, on a real kernel in a scratch network namespace:
what `up` added (KUBE-/CNI-/TCB- chains with the rules jumping to them, KUBE- ipsets including a list:set
that references another) is gone, in one batch per table and by the one-command-at-a-time fallback alike;
chains and sets that existed before `up` (recorded), and the host's own rules, stay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from harness.proc import which

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(which(t) for t in ("ip", "iptables", "iptables-restore", "ipset")),
    reason="needs root, ip, iptables and ipset (scripts/setup installs them)",
)

SETUP = """
set -e
iptables -t nat -N KUBE-OLD
iptables -t nat -I PREROUTING 1 -j KUBE-OLD
iptables -t nat -N KUBE-SERVICES
iptables -t nat -N KUBE-SVC-X
iptables -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -m comment --comment "dns tcp" -j KUBE-SVC-X
iptables -t nat -A KUBE-SVC-X -j DNAT --to-destination 10.244.0.2
iptables -t nat -I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
iptables -t filter -N TCB-NO-LEAK
iptables -t filter -A TCB-NO-LEAK -d 10.96.0.0/12 -j REJECT
iptables -t filter -I FORWARD 1 -j TCB-NO-LEAK
iptables -t filter -A FORWARD -s 192.0.2.0/24 -j ACCEPT
ipset create KUBE-OLD-SET hash:ip
ipset create KUBE-DST-1 hash:ip
ipset create KUBE-LIST list:set
ipset add KUBE-LIST KUBE-DST-1
"""

RESTORE = """
import json, sys
from harness.clusters import local_host
if sys.argv[2] == "fallback":  # the batch refused: every command on its own
    run = local_host.run
    def refusing(argv, **kw):
        if str(argv[0]).endswith("-restore") or argv[:2] == ["ipset", "restore"]:
            return run(["false"], check=False, quiet=True)
        return run(argv, **kw)
    local_host.run = refusing
local_host.restore(local_host.HostRecord(**json.loads(sys.argv[1])))
"""


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"tcbT-restore-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _in(netns: str, *argv: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["ip", "netns", "exec", netns, *argv], input=stdin, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("path", ["batch", "fallback"])
def test_the_clusters_chains_and_sets_go_and_the_hosts_stay(netns: str, path: str) -> None:
    before = {"chains": {"iptables nat": ["KUBE-OLD"]}, "ipsets": ["KUBE-OLD-SET"], "sysctls": {}}
    _in(netns, "sh", "-c", SETUP)
    _in(netns, sys.executable, "-c", RESTORE, json.dumps(before), path)
    nat = _in(netns, "iptables-save", "-t", "nat")
    filter_ = _in(netns, "iptables-save", "-t", "filter")
    sets = _in(netns, "ipset", "list", "-n").split()
    assert "KUBE-SERVICES" not in nat and "KUBE-SVC-X" not in nat, nat
    assert ":KUBE-OLD" in nat and "-A PREROUTING -j KUBE-OLD" in nat, (
        "a chain that existed before was removed"
    )
    assert "TCB-NO-LEAK" not in filter_, filter_
    assert "-A FORWARD -s 192.0.2.0/24 -j ACCEPT" in filter_, "the host's own rule was removed"
    assert sets == ["KUBE-OLD-SET"], sets
