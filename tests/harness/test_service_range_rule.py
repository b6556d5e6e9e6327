"""The node's refusal of pods' packets to Service addresses that were not DNAT-ed (no ready endpoints, or no
Service), on a real kernel: two scratch network namespaces, a "node" with the pod bridge and a way out of the
machine (a dummy interface with a default route), and a "pod" on the bridge. With the refusal a connection
is refused at once and nothing goes out; without it the same packet leaves by the default route (the check
is shown able to fail). Applying it twice, and after an earlier harness's routing rule, leaves one table and
no rule; removing it leaves nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.clusters import local_host
from harness.proc import which

CIDR, BRIDGE = "10.96.0.0/12", "tcb-cni0"
CONNECT = """
import errno, socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("10.100.0.7", 8000))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, "timeout") if e.errno else "timeout")
"""

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or which("nft") is None or which("ip") is None,
    reason="needs root, ip and nft (scripts/setup installs them)",
)


@dataclass
class Host:
    node: str
    pod: str
    world: str

    def node_run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.node, *argv], capture_output=True, text=True)

    def in_node(self, code: str) -> None:
        """Run harness code inside the node namespace (what `up` does on the host)."""
        done = self.node_run(sys.executable, "-c", code)
        assert done.returncode == 0, done.stderr

    def connect_from_pod(self) -> str:
        done = subprocess.run(
            ["ip", "netns", "exec", self.pod, sys.executable, "-c", CONNECT],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout.strip()

    def packets_out(self) -> int:
        shown = self.node_run("cat", "/sys/class/net/out0/statistics/tx_packets")
        return int(shown.stdout)


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True)


@pytest.fixture
def host() -> Iterator[Host]:
    tag = uuid.uuid4().hex[:6]
    h = Host(f"tcbT-node-{tag}", f"tcbT-pod-{tag}", f"tcbT-world-{tag}")
    _ip("netns", "add", h.node)
    _ip("netns", "add", h.pod)
    try:
        _ip("-n", h.node, "link", "set", "lo", "up")
        _ip("-n", h.node, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", h.node, "addr", "add", "10.244.0.1/24", "dev", BRIDGE)
        _ip("-n", h.node, "link", "set", BRIDGE, "up")
        _ip("link", "add", "vpod", "netns", h.pod, "type", "veth", "peer", "name", "vbr", "netns", h.node)
        _ip("-n", h.node, "link", "set", "vbr", "master", BRIDGE, "up")
        _ip("-n", h.pod, "addr", "add", "10.244.0.5/24", "dev", "vpod")
        _ip("-n", h.pod, "link", "set", "vpod", "up")
        _ip("-n", h.pod, "route", "add", "default", "via", "10.244.0.1")
        # the way out of the machine: a default route through a veth to a third namespace (packets counted)
        _ip("netns", "add", h.world)
        _ip("link", "add", "out0", "netns", h.node, "type", "veth", "peer", "name", "in0", "netns", h.world)
        assert h.node_run("sysctl", "-qw", "net.ipv6.conf.out0.disable_ipv6=1").returncode == 0
        _ip("-n", h.node, "addr", "add", "192.0.2.1/24", "dev", "out0")
        _ip("-n", h.node, "link", "set", "out0", "up")
        _ip("-n", h.world, "link", "set", "in0", "up")
        _ip("-n", h.node, "neigh", "add", "192.0.2.254", "lladdr", "02:00:00:00:00:01", "dev", "out0")
        _ip("-n", h.node, "route", "add", "default", "via", "192.0.2.254")
        assert h.node_run("sysctl", "-qw", "net.ipv4.ip_forward=1").returncode == 0
        yield h
    finally:
        for name in (h.pod, h.node, h.world):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


APPLY = (
    "from harness.clusters import local_host; "
    f"local_host.refuse_unmapped_service_addresses_from_pods({CIDR!r}, {BRIDGE!r})"
)
REMOVE = "from harness.clusters import local_host; local_host.remove_unmapped_service_address_refusal()"


def test_without_the_refusal_the_packet_leaves_the_machine(host: Host) -> None:
    before = host.packets_out()
    answer = host.connect_from_pod()
    assert answer != "ECONNREFUSED", answer
    assert host.packets_out() > before, "the SYN did not go out: this setup cannot show a leak"


def test_with_the_refusal_a_pod_is_refused_at_once_and_nothing_leaves(host: Host) -> None:
    host.in_node(APPLY)
    before = host.packets_out()
    assert host.connect_from_pod() == "ECONNREFUSED"
    assert host.packets_out() == before, "a packet to the Service range left the machine"


def test_applied_twice_and_over_the_old_rule_then_removed_leaves_nothing(host: Host) -> None:
    _ip("-n", host.node, "rule", "add", "to", CIDR, "iif", BRIDGE, "prohibit", "priority", "100")
    host.in_node(APPLY)
    host.in_node(APPLY)
    tables = host.node_run("nft", "list", "tables").stdout.split()
    assert tables.count(local_host.NO_LEAK_TABLE) == 1, tables
    assert "prohibit" not in host.node_run("ip", "rule", "show").stdout
    assert host.connect_from_pod() == "ECONNREFUSED"
    host.in_node(REMOVE)
    host.in_node(REMOVE)  # removing what is not there is not an error
    assert local_host.NO_LEAK_TABLE not in host.node_run("nft", "list", "tables").stdout
