"""The host record/restore of teardown, without a cluster, in its own network namespace (`unshare --net`):
seed another tenant's chains, ipset and sysctls, record, do what the cluster's components do to the host
(chains and jumps in four tables, an ipset, ip_forward and route_localnet), restore, compare. Then the same
with no record (what teardown did before it kept one): the comparison must find the damage.

Prints one JSON object; run by tests/cluster/test_teardown.py; needs root.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from harness.clusters import local_host
from harness.proc import run
from tests.cluster.isolated_cycle import FOREIGN, FOREIGN_SYSCTLS, differences

# what kube-proxy, the kubelet, kube-router, the CNI plugins and the cluster's guards add
CLUSTER = [
    ["iptables", "-t", "nat", "-N", "KUBE-SERVICES"],
    [
        "iptables",
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-m",
        "comment",
        "--comment",
        "kube services",
        "-j",
        "KUBE-SERVICES",
    ],
    ["iptables", "-t", "nat", "-A", "OUTPUT", "-j", "KUBE-SERVICES"],
    ["iptables", "-t", "filter", "-N", "KUBE-FIREWALL"],
    [
        "iptables",
        "-t",
        "filter",
        "-A",
        "KUBE-FIREWALL",
        "!",
        "-s",
        "127.0.0.0/8",
        "-d",
        "127.0.0.0/8",
        "-j",
        "DROP",
    ],
    ["iptables", "-t", "filter", "-I", "INPUT", "1", "-j", "KUBE-FIREWALL"],
    ["iptables", "-t", "filter", "-N", "KUBE-ROUTER-FORWARD"],
    [
        "iptables",
        "-t",
        "filter",
        "-I",
        "FORWARD",
        "1",
        "-m",
        "comment",
        "--comment",
        "kube-router netpol",
        "-j",
        "KUBE-ROUTER-FORWARD",
    ],
    ["iptables", "-t", "filter", "-N", "CNI-FORWARD"],
    ["iptables", "-t", "filter", "-A", "FORWARD", "-j", "CNI-FORWARD"],
    ["iptables", "-t", "mangle", "-N", "KUBE-KUBELET-CANARY"],
    ["iptables", "-t", "raw", "-N", "TCB-NODE-GUARD"],
    ["iptables", "-t", "raw", "-I", "PREROUTING", "1", "-d", "10.254.0.1/32", "-j", "TCB-NODE-GUARD"],
    ["ip6tables", "-t", "nat", "-N", "KUBE-SERVICES"],
    ["ipset", "create", "KUBE-DST-TEST", "hash:ip"],
    ["ipset", "create", "TMP-TEST", "hash:ip"],
]
CLUSTER_SYSCTLS = {"net/ipv4/ip_forward": "1", "net/ipv4/conf/all/route_localnet": "1"}


def cycle(keep_record: bool) -> list[str]:
    before = local_host.host_state()
    record = local_host.record()
    for argv in CLUSTER:
        run(argv, quiet=True)
    local_host.restore_sysctls({**CLUSTER_SYSCTLS, "net/bridge/bridge-nf-call-iptables": "1"})
    local_host.restore(record if keep_record else None)
    return differences(before, local_host.host_state())


def main() -> None:
    run(["ip", "link", "set", "lo", "up"])
    for argv in FOREIGN:
        run(argv, quiet=True)
    local_host.restore_sysctls(FOREIGN_SYSCTLS)
    report = {"with_record": cycle(True), "without_record": cycle(False)}
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
