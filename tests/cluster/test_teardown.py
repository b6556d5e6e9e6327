"""`teardown` leaves nothing behind and puts the host back as it was, shown on a second cluster in its own
network namespace (so the shared cluster keeps running): no process, mount, pod netns, chain, link, node
address, cgroup or state; another tenant's KUBE-/CNI- chains and ipset untouched; every sysctl restored."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from harness.proc import run, which

pytestmark = [pytest.mark.cluster]
needs_root = pytest.mark.skipif(os.geteuid() != 0 or not which("unshare"), reason="needs root and unshare(1)")


def _in_own_netns(script: str, timeout: float) -> dict:
    path = Path(__file__).with_name(script)
    return json.loads(run(["unshare", "--net", "--", sys.executable, str(path)], timeout=timeout).stdout)


@needs_root
def test_restore_puts_back_exactly_what_the_cluster_changed() -> None:
    report = _in_own_netns("host_record_cycle.py", timeout=120)
    assert report["with_record"] == []
    # the comparison is able to fail: teardown without a record (as before) removes the other tenant's chains
    # and ipset and leaves ip_forward and route_localnet changed
    damage = "\n".join(report["without_record"])
    for seen in ("KUBE-FOREIGN", "CNI-FOREIGN", "KUBE-FOREIGN-SET", "ip_forward", "route_localnet"):
        assert seen in damage, f"{seen} not detected in:\n{damage}"


@pytest.fixture(scope="module")
def cycle() -> dict:
    """One up → use → teardown cycle of a second cluster in its own network namespace, for the tests below."""
    return _in_own_netns("isolated_cycle.py", timeout=900)


@needs_root
@pytest.mark.slow
def test_up_then_teardown_leaves_nothing_behind(cycle: dict) -> None:
    report = cycle
    assert report["pod_netns_seen"] >= 2, "the cycle ran no pods, so teardown proved nothing"
    assert report["pod_netns_pins"], "no pod's network namespace was pinned: the check below proves nothing"
    assert (
        report["pod_netns_outside_state"] == []
    )  # in /var/run/netns they outlived teardown (CI, 2026-12-02)
    assert report["second_started_by_us"] is False  # the second ensure_up found it running
    policy = report["network_policy"]
    assert set(policy["enforced"]) == {"pod", "service"}
    assert policy["without_controller"].startswith("probe failed as it must"), policy["without_controller"]
    assert set(policy["after_restart"]) == {"pod", "service"}
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
    assert report["host_changes"] == []


@needs_root
@pytest.mark.slow
def test_the_running_cluster_exposes_nothing_beyond_its_host(cycle: dict) -> None:
    """No listener on every address, etcd only for the cluster's certificates, NodePorts on loopback and the
    node address only (issue 12 item 10; tests/cluster/exposure.py); each probe next to its control."""
    exposed = cycle["exposure"]
    assert exposed["wildcard_listeners"] == [], "a cluster component listens on every address"
    assert exposed["seeded_wildcard_listener_seen"], "the scan did not see a listener opened on 0.0.0.0"
    etcd = exposed["etcd"]
    allowed = etcd["apiserver_client_cert"]
    assert allowed.startswith("200 ") and '"health":"true"' in allowed, f"the control failed: {etcd}"
    for client in ("plain_http", "tls_without_client_cert"):
        assert '"health":"true"' not in etcd[client], f"etcd answered {client}: {etcd[client]}"
    assert etcd["tls_without_client_cert"].startswith("no answer"), etcd
    reach = exposed["node_port"]
    assert reach["loopback"].startswith("200 "), reach
    assert reach["other_address"].startswith("no answer"), f"the NodePort answers on another address: {reach}"
    assert reach["other_address_seeded"].startswith("200 "), f"the probe cannot tell: {reach}"


def _dns_problems(dns: dict[str, str]) -> list[str]:
    """What is wrong with the cycle's lookups: the Service's name, its address (PTR), a missing name."""
    ip, output = dns["service_ip"], dns["output"]
    sections = [part.split("\n", 1)[1] for part in output.split("== ")[1:]]
    if len(sections) != 3:
        return [f"expected 3 lookups, got {len(sections)}: {output}"]
    name, address, missing = sections
    problems = []
    if "rc=0" not in name or f"Address: {ip}" not in name:
        problems.append(f"the Service's name did not resolve to {ip}: {name}")
    if "rc=0" not in address or "name = web.default.svc.cluster.local" not in address:
        problems.append(f"{ip} did not resolve back to the Service's name: {address}")
    if "rc=1" not in missing or "NXDOMAIN" not in missing:
        problems.append(f"a name that does not exist resolved: {missing}")
    return problems


@needs_root
@pytest.mark.slow
def test_a_pod_resolves_a_service_through_the_clusters_coredns(cycle: dict) -> None:
    """The CoreDNS built with only the Corefile's plugins (gobuild/coredns) answers names and addresses of
    Services, and NXDOMAIN for a name that does not exist."""
    assert _dns_problems(cycle["dns"]) == []


def test_the_dns_check_fails_on_a_wrong_answer() -> None:
    """_dns_problems on seeded outputs: each wrong answer is reported (busybox nslookup's real format)."""
    server = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
    nx = "** server can't find {}: NXDOMAIN\n\nrc=1\n"
    good = [
        f"== web.default.svc.cluster.local.\n{server}"
        "Name:\tweb.default.svc.cluster.local\nAddress: 10.96.1.2\n\nrc=0\n",
        f"== 10.96.1.2\n{server}2.1.96.10.in-addr.arpa\tname = web.default.svc.cluster.local\n\nrc=0\n",
        f"== no-such-service.default.svc.cluster.local.\n{server}" + nx.format("no-such-service"),
    ]
    assert _dns_problems({"service_ip": "10.96.1.2", "output": "".join(good)}) == []
    seeded = {
        "name": [f"== web.default.svc.cluster.local.\n{server}" + nx.format("web"), *good[1:]],
        "address": [good[0], f"== 10.96.1.2\n{server}" + nx.format("2.1.96.10.in-addr.arpa"), good[2]],
        "missing": [*good[:2], good[0].replace("web.default", "no-such-service.default", 1)],
        "lookups": good[:2],
    }
    for defect, parts in seeded.items():
        assert _dns_problems({"service_ip": "10.96.1.2", "output": "".join(parts)}), f"{defect} passed"
    assert _dns_problems({"service_ip": "10.96.9.9", "output": "".join(good)}), "a wrong address passed"
