"""What the local cluster changes on the host outside its state directory, recorded before `up` and put back
by `down`: kernel settings (sysctls) and packet-filter state (iptables chains and the rules jumping to them,
ipsets, the `tcb-no-leak` nftables table).

`record()` runs before the first component starts and keeps the host's values in the state dir; `restore()`
(teardown) sets each recorded sysctl back, and removes only chains and ipsets that did not exist before `up`
and carry a name the cluster's components use (KUBE-*, CNI-*, TCB-*; ipsets KUBE-*/TMP-*), together with the
rules in other chains that jump to them. Chains another Kubernetes, Docker or the admin created are left as
they were. `host_state()` is the comparison the tests make: normalized iptables-save of both families, nft
tables, ipsets, the sysctls and the routing-policy rules.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.log import get_logger
from harness.proc import run, which

log = get_logger("local-cluster")

TABLES = ("filter", "nat", "mangle", "raw")
CHAIN_PREFIXES = ("KUBE-", "CNI-", "TCB-")  # kube-proxy, kubelet, kube-router; CNI plugins; our own guards
IPSET_PREFIXES = ("KUBE-", "TMP-", "inet6:KUBE-", "inet6:TMP-")  # kube-router's network-policy sets
BUILTIN_CHAINS = {"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"}
# every sysctl a component of the cluster may change, and who changes it
SYSCTLS = {
    "net/ipv4/ip_forward": "the cluster (pods are routed through the host)",
    "net/bridge/bridge-nf-call-iptables": "the cluster (bridged pod traffic must see Service rules)",
    "net/bridge/bridge-nf-call-ip6tables": "the cluster",
    "net/ipv4/conf/all/route_localnet": "kube-proxy (NodePorts on 127.0.0.1)",
    "vm/overcommit_memory": "kubelet",
    "vm/panic_on_oom": "kubelet",
    "kernel/panic": "kubelet",
    "kernel/panic_on_oops": "kubelet",
    "kernel/keys/root_maxkeys": "kubelet",
    "kernel/keys/root_maxbytes": "kubelet",
}
SYSCTL_ROOT = Path("/proc/sys")


@dataclass
class HostRecord:
    """The host as it was before `up`: sysctl values, and the chains and ipsets that already existed."""

    sysctls: dict[str, str] = field(default_factory=dict)
    chains: dict[str, list[str]] = field(default_factory=dict)  # "iptables filter" -> chain names
    ipsets: list[str] = field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> HostRecord | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return cls(sysctls=data["sysctls"], chains=data["chains"], ipsets=data["ipsets"])


def read_sysctls(root: Path = SYSCTL_ROOT) -> dict[str, str]:
    values = {}
    for key in SYSCTLS:
        with contextlib.suppress(OSError):
            values[key] = (root / key).read_text().strip()
    return values


def _tools() -> list[str]:
    return [tool for tool in ("iptables", "ip6tables") if which(tool)]


def _save(tool: str, table: str) -> str:
    return run([f"{tool}-save", "-t", table], check=False, quiet=True).stdout


def _chains(saved: str) -> list[str]:
    return [line[1:].split()[0] for line in saved.splitlines() if line.startswith(":")]


def list_ipsets() -> list[str]:
    if not which("ipset"):
        return []
    return sorted(run(["ipset", "list", "-n"], check=False, quiet=True).stdout.split())


def record(root: Path = SYSCTL_ROOT) -> HostRecord:
    return HostRecord(
        sysctls=read_sysctls(root),
        chains={f"{tool} {table}": _chains(_save(tool, table)) for tool in _tools() for table in TABLES},
        ipsets=list_ipsets(),
    )


def restore(before: HostRecord | None, root: Path = SYSCTL_ROOT) -> None:
    """Put back what the cluster changed; with no record (a cluster started by an older harness) remove every
    chain and ipset with the cluster's names, as teardown used to, and leave the sysctls as they are."""
    if before is None:
        log.warning(
            "no record of the host before `up`: removing every KUBE-/CNI-/TCB- chain, sysctls unchanged"
        )
    else:
        restore_sysctls(before.sysctls, root)
    remove_chains(before)
    remove_ipsets(before)


def restore_sysctls(values: dict[str, str], root: Path = SYSCTL_ROOT) -> None:
    for key, value in values.items():
        path = root / key
        with contextlib.suppress(OSError):
            if path.read_text().strip() != value:
                log.info("setting %s = %s (what %s changes)", key.replace("/", "."), value, SYSCTLS.get(key))
                path.write_text(value)


def remove_chains(before: HostRecord | None) -> None:
    """Remove the cluster's chains (named KUBE-*/CNI-*/TCB-* and absent before `up`) and every rule that jumps
    to them, in both address families and all tables: one `iptables-restore --noflush` per table (kube-proxy
    alone leaves a hundred chains; one process per chain and operation took seconds), one command at a time
    if the batch is refused."""
    for tool in _tools():
        for table in TABLES:
            saved = _save(tool, table)
            existed = set(before.chains.get(f"{tool} {table}", [])) if before else set()
            ours = [c for c in _chains(saved) if c.startswith(CHAIN_PREFIXES) and c not in existed]
            if not ours:
                continue
            targets = set(ours)
            jumps = []  # the rules of other chains that jump to ours, as iptables-save spells them
            for line in saved.splitlines():
                if not line.startswith("-A "):
                    continue
                words = shlex.split(line)
                jump = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-j", "-g")), None)
                if jump in targets and words[1] not in targets:
                    jumps.append(line)
            commands = [
                *("-D " + line[len("-A ") :] for line in jumps),
                *(f"-F {chain}" for chain in ours),
                *(f"-X {chain}" for chain in ours),
            ]
            batch = "\n".join([f"*{table}", *commands, "COMMIT", ""])
            if run([f"{tool}-restore", "--noflush"], input=batch, check=False, quiet=True).returncode == 0:
                continue
            log.info(
                "%s-restore refused the removal of %d %s chains: one command at a time",
                tool,
                len(ours),
                table,
            )
            for command in commands:
                run([tool, "-t", table, *shlex.split(command)], check=False, quiet=True)


def remove_ipsets(before: HostRecord | None) -> None:
    existed = set(before.ipsets) if before else set()
    ours = [s for s in list_ipsets() if s.startswith(IPSET_PREFIXES) and s not in existed]
    if not ours:
        return
    # sets may reference each other (list:set): flush all first, then destroy; one `ipset restore` for all
    commands = [*(f"flush {name}" for name in ours), *(f"destroy {name}" for name in ours)]
    if run(["ipset", "restore"], input="\n".join(commands) + "\n", check=False, quiet=True).returncode == 0:
        return
    for command in commands:
        run(["ipset", *command.split()], check=False, quiet=True)


def _normalize(saved: str) -> list[str]:
    """iptables-save without comments, counters and tables that hold nothing but empty built-in chains (the
    nft backend keeps a table once anything touched it, which changes nothing)."""
    tables: dict[str, list[str]] = {}
    current = ""
    for line in saved.splitlines():
        if not line or line.startswith("#") or line == "COMMIT":
            continue
        if line.startswith("*"):
            current = line
            tables.setdefault(current, [])
            continue
        if line.startswith(":"):
            name, policy = line[1:].split()[:2]
            line = f":{name} {policy}"
        tables.setdefault(current, []).append(line)
    out: list[str] = []
    for table, lines in tables.items():
        trivial = all(
            line.startswith(":") and line[1:].split()[0] in BUILTIN_CHAINS and line.endswith(" ACCEPT")
            for line in lines
        )
        if not trivial:
            out += [table, *lines]
    return out


def host_state(root: Path = SYSCTL_ROOT) -> dict[str, object]:
    """What `up` then `down` must leave exactly as it found it (compared by the isolated-cycle test)."""
    rules = {
        f"{tool} {table}": _normalize(_save(tool, table))
        for tool in ("iptables", "ip6tables")
        for table in TABLES
    }
    listed = run(["nft", "list", "tables"], check=False, quiet=True).stdout if which("nft") else ""
    # the iptables-nft tables are compared through iptables-save above; any other nft table counts as it is
    iptables_nft = {f"table {family} {table}" for family in ("ip", "ip6") for table in (*TABLES, "security")}
    return {
        "iptables": {k: v for k, v in rules.items() if v},
        "nft_tables": sorted(t for t in listed.splitlines() if t and t not in iptables_nft),
        "ipsets": list_ipsets(),
        "sysctls": read_sysctls(root),
        "ip_rules": run(["ip", "rule", "show"], check=False, quiet=True).stdout.splitlines(),
    }


# ---- the changes `up` makes to the host's network (record() runs before them, restore() undoes them) ----
def add_node_address(address: str, label: str) -> None:
    """The node address on lo (a fixed private address: survives a VM without a default route)."""
    addresses = run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], quiet=True).stdout
    if f" {address}/" not in addresses:
        log.info("adding the node address %s to lo (label %s)", address, label)
        run(["ip", "addr", "add", f"{address}/32", "dev", "lo", "label", label])


def route_pod_traffic(root: Path = SYSCTL_ROOT) -> None:
    """Pods are routed through the host, and bridged pod traffic must traverse iptables for Services."""
    for key, value in (
        ("net/ipv4/ip_forward", "1"),
        ("net/bridge/bridge-nf-call-iptables", "1"),
        ("net/bridge/bridge-nf-call-ip6tables", "1"),
    ):
        path = root / key
        if not path.exists():
            raise RuntimeError(f"{path} missing: the kernel needs br_netfilter (`modprobe br_netfilter`)")
        if path.read_text().strip() != value:
            path.write_text(value)


def guard_service_range(cidr: str) -> None:
    """Reject traffic to Service IPs that kube-proxy has not (yet) programmed.

    Programmed Service IPs are DNAT-ed to pod IPs before the filter table sees them, so only unknown ones
    reach this rule; without it they would follow the default route and leave the machine.
    """
    chain = "TCB-NO-LEAK"
    if run(["iptables", "-t", "filter", "-n", "-L", chain], check=False, quiet=True).returncode == 0:
        return
    run(["iptables", "-t", "filter", "-N", chain], quiet=True)
    run(
        [
            "iptables",
            "-t",
            "filter",
            "-A",
            chain,
            "-d",
            cidr,
            "-j",
            "REJECT",
            "--reject-with",
            "icmp-net-unreachable",
        ],
        quiet=True,
    )
    for hook in ("OUTPUT", "FORWARD"):
        run(["iptables", "-t", "filter", "-I", hook, "1", "-j", chain], quiet=True)


NO_LEAK_TABLE = "tcb-no-leak"  # an nftables table of its own, in the cluster's network namespace


def refuse_unmapped_service_addresses_from_pods(cidr: str, bridge: str) -> None:
    """Pods' packets to a Service address that was not DNAT-ed to a pod (a Service with no ready endpoints,
    or an address no Service has) are refused on the node at once (TCP: a reset, so the client sees
    "Connection refused"; anything else: ICMP admin-prohibited), as kube-proxy's own "has no endpoints" rule
    means to, instead of leaving the machine by the default route.

    The iptables filter rules cannot do it for pods: kube-router keeps its FORWARD chain first and ACCEPTs
    what a pod without NetworkPolicy sends (and a new pod's first packets), so kube-proxy's REJECT and
    TCB-NO-LEAK are never reached; a `helm test` pod's request to a Service with no ready endpoints was once
    answered by something outside with HTTP 404. An nftables base chain on the forward hook at a priority
    before iptables' filter table (-10 < 0) sees every forwarded packet first, whatever kube-router does to
    its rules; a reject there is final, and its reset is tied to the connection it answers (so a pod whose
    NetworkPolicy denies ingress still receives it, unlike the ICMP error of an unroutable packet).
    Service addresses with endpoints were DNAT-ed to pod addresses before (nat prerouting), so they are not
    affected; nor is the host's own traffic (not forwarded), which TCB-NO-LEAK guards."""
    if which("nft") is None:
        raise RuntimeError(
            "nft (Debian package nftables) is missing: the local cluster needs it to keep pods' packets to "
            "Service addresses on this machine; run scripts/setup (it installs scripts/apt-packages.txt)"
        )
    # declared, deleted and defined again in one transaction: the same table whether or not it existed
    ruleset = f"""table ip {NO_LEAK_TABLE} {{}}
delete table ip {NO_LEAK_TABLE}
table ip {NO_LEAK_TABLE} {{
  chain forward {{
    type filter hook forward priority -10; policy accept;
    iifname "{bridge}" ip daddr {cidr} meta l4proto tcp reject with tcp reset
    iifname "{bridge}" ip daddr {cidr} reject with icmp type admin-prohibited
  }}
}}
"""
    run(["nft", "-f", "-"], input=ruleset, quiet=True)
    # the routing rule an earlier harness used instead refused these packets before the forward hook
    remove_service_range_route_rule(cidr, bridge)


def remove_unmapped_service_address_refusal() -> None:
    if which("nft") is not None:
        run(["nft", "delete", "table", "ip", NO_LEAK_TABLE], check=False, quiet=True)


def remove_service_range_route_rule(cidr: str, bridge: str) -> None:
    """The routing-policy rule of harnesses before 2026-11-30 evening (`prohibit` for the Service range from
    the pod bridge): its ICMP errors were rate-limited and, to pods under a NetworkPolicy, dropped, so their
    connections timed out; removed wherever a cluster is brought up or torn down."""
    while (
        run(
            ["ip", "rule", "del", "to", cidr, "iif", bridge, "prohibit", "priority", "100"],
            check=False,
            quiet=True,
        ).returncode
        == 0
    ):
        pass


def guard_node_address(address: str, bridge: str) -> None:
    """Only this host and its pods may send to the node address (apiserver, kubelet, NodePorts there).

    The address sits on lo but, like any local address, a neighbour routing it to this host could
    reach it; the raw table drops such packets before connection tracking and NodePort DNAT see them.
    """
    chain = "TCB-NODE-GUARD"
    if run(["iptables", "-t", "raw", "-n", "-L", chain], check=False, quiet=True).returncode == 0:
        return
    run(["iptables", "-t", "raw", "-N", chain], quiet=True)
    for interface in ("lo", bridge):
        run(["iptables", "-t", "raw", "-A", chain, "-i", interface, "-j", "RETURN"], quiet=True)
    run(["iptables", "-t", "raw", "-A", chain, "-j", "DROP"], quiet=True)
    run(["iptables", "-t", "raw", "-I", "PREROUTING", "1", "-d", f"{address}/32", "-j", chain], quiet=True)


_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def mount_points() -> list[str]:
    """Every mount point /proc/self/mountinfo lists, in its order (a stacked mount once per copy).

    The kernel writes a blank, tab, newline or backslash in a path as an octal escape (`\\040`); those are
    decoded, so a point compares equal to the path that `umount` and the file system take. Teardown (the netns
    pins, everything under the state dir) and the isolated cycle's leftover check read mounts through this."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [_OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), line.split()[4]) for line in lines]


def _mounted_at(path: str) -> int:
    """How many mounts are listed at `path` (stacked mounts are listed once each).

    mountinfo names the real path (containerd says /var/run/netns/…, the kernel /run/netns/… where /var/run
    links to /run), so `path` is brought to that form first."""
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    return sum(1 for point in mount_points() if point == real)


def release_netns(path: str | Path) -> bool:
    """Unmount a pod's pinned network namespace (/var/run/netns/cni-*) and remove its file.

    A pin can be mounted more than once: `ip netns add` binds /run/netns onto itself recursively, which
    copies every pin already there, so one `umount` leaves another mount behind. Unmount until none is
    listed (bounded). A copy hidden beneath that self-bind cannot be reached by path and keeps the file busy
    (EBUSY on unlink); that leaves an empty file and a namespace without processes until the next boot, so it
    is logged and teardown goes on. Returns whether the file is gone."""
    target = str(path)
    for _ in range(4):
        if not _mounted_at(target):
            break
        if run(["umount", target], check=False, quiet=True).returncode != 0:
            break
    try:
        Path(target).unlink(missing_ok=True)
    except OSError as err:
        log.warning("left %s in place: %s (a copy of its mount is hidden beneath another mount)", target, err)
        return False
    return True
