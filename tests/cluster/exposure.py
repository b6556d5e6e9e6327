"""What a running local cluster exposes beyond its own host (issue 12 item 10), probed from the host's network
namespace: no TCP listener on every address, etcd refusing any client without a certificate of the cluster's
CA, and NodePorts answering on loopback and the node address only, not on the host's other addresses.

Each probe carries its control, so a pass cannot come from a probe that sees nothing: a listener opened on
0.0.0.0 for the occasion is found; etcd answers the apiserver's certificate; the NodePort answers on loopback;
and a seeded rule sending another address to the NodePorts (what kube-proxy does without nodePortAddresses)
makes that address answer. Run by tests/cluster/isolated_cycle.py; needs root.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from harness.clusters.local_config import ETCD_PORT
from harness.proc import run

# An address of this host that is neither loopback nor the node address (TEST-NET-2, never routed).
OTHER_ADDRESS = "198.51.100.10"
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp{,6}


def wildcard_listeners(tables: dict[str, str]) -> list[str]:
    """TCP sockets listening on every address (0.0.0.0 or ::), from the texts of /proc/net/tcp and tcp6."""
    found = set()
    for text in tables.values():
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != _LISTEN or ":" not in fields[1]:
                continue
            address, port = fields[1].rsplit(":", 1)
            if set(address) == {"0"}:
                wildcard = "[::]" if len(address) == 32 else "0.0.0.0"  # noqa: S104 - what is looked for
                found.add(f"{wildcard}:{int(port, 16)}")
    return sorted(found)


def listen_tables() -> dict[str, str]:
    tables = {}
    for name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            tables[name] = Path("/proc/net", name).read_text()
    return tables


def _outcome(request: Callable[[], httpx.Response]) -> str:
    """ "<status> <body>" of an answer, or "no answer: <error>"."""
    try:
        response = request()
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        return f"no answer: {type(exc).__name__}: {str(exc)[:160]}"
    return f"{response.status_code} {response.text[:160]}"


def etcd_access(pki: Callable[[str], Path]) -> dict[str, str]:
    """etcd's client port as three clients see it: plain HTTP, TLS without a client certificate, and the
    apiserver's client certificate (the control: etcd is up, and healthy for the one client allowed)."""
    url = f"https://127.0.0.1:{ETCD_PORT}/health"
    anonymous = ssl.create_default_context(cafile=str(pki("ca.crt")))
    apiserver = ssl.create_default_context(cafile=str(pki("ca.crt")))
    apiserver.load_cert_chain(pki("apiserver-etcd-client.crt"), pki("apiserver-etcd-client.key"))
    return {
        "plain_http": _outcome(lambda: httpx.get(f"http://127.0.0.1:{ETCD_PORT}/health", timeout=3)),
        "tls_without_client_cert": _outcome(lambda: httpx.get(url, verify=anonymous, timeout=3)),
        "apiserver_client_cert": _outcome(lambda: httpx.get(url, verify=apiserver, timeout=3)),
    }


def node_port_reach(port: int) -> dict[str, str]:
    """The NodePort on loopback (the control), on another address of this host (must get no answer), and on
    that address once a seeded rule sends it to the NodePorts as kube-proxy would without nodePortAddresses
    (must answer: the probe can tell)."""
    run(["ip", "addr", "add", f"{OTHER_ADDRESS}/32", "dev", "lo"], quiet=True)
    seeded = ["-t", "nat", "OUTPUT", "-d", f"{OTHER_ADDRESS}/32", "-p", "tcp", "--dport", str(port)]
    seeded += ["-j", "KUBE-NODEPORTS"]
    try:
        other = f"http://{OTHER_ADDRESS}:{port}/hostname"
        result = {
            "loopback": _outcome(lambda: httpx.get(f"http://127.0.0.1:{port}/hostname", timeout=3)),
            "other_address": _outcome(lambda: httpx.get(other, timeout=3)),
        }
        run(["iptables", seeded[0], seeded[1], "-I", *seeded[2:]], quiet=True)
        try:
            result["other_address_seeded"] = _outcome(lambda: httpx.get(other, timeout=3))
        finally:
            run(["iptables", seeded[0], seeded[1], "-D", *seeded[2:]], check=False, quiet=True)
    finally:
        run(["ip", "addr", "del", f"{OTHER_ADDRESS}/32", "dev", "lo"], check=False, quiet=True)
    return result


def exposure(pki: Callable[[str], Path], node_port: int) -> dict[str, Any]:
    """Every probe above, with the wildcard-listener scan shown able to see a listener on 0.0.0.0."""
    listeners = wildcard_listeners(listen_tables())
    with socket.socket() as seeded:
        seeded.bind(("0.0.0.0", 0))  # noqa: S104 - the seeded defect the scan must find
        seeded.listen()
        seeded_port = seeded.getsockname()[1]
        seen = f"0.0.0.0:{seeded_port}" in wildcard_listeners(listen_tables())
    return {
        "wildcard_listeners": listeners,
        "seeded_wildcard_listener_seen": seen,
        "etcd": etcd_access(pki),
        "node_port": node_port_reach(node_port),
    }
