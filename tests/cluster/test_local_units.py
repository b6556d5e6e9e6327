"""The local target's pure parts, no cluster needed: certificates, kubeconfigs, image archives and names."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from harness.clusters import local_images
from harness.clusters.local_images import ImageSpec, docker_archive, normalize
from harness.clusters.local_pki import Pki


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    pki = Pki(tmp_path / "pki")
    pki.ensure("node-a", "10.254.0.1", "10.96.0.1")
    return pki


def _cert(pki: Pki, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki.path(f"{name}.crt").read_bytes())


def test_every_certificate_is_signed_by_the_cluster_ca(pki: Pki) -> None:
    ca = _cert(pki, "ca")
    ca_key = ca.public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    for name in ("apiserver", "kubelet", "kubelet-serving", "admin", "kube-proxy", "controller-manager"):
        cert = _cert(pki, name)
        assert cert.issuer == ca.subject
        cert.verify_directly_issued_by(ca)


def test_identities_match_what_rbac_and_the_node_authorizer_expect(pki: Pki) -> None:
    def subject(name: str) -> tuple[list[str], list[str]]:
        s = _cert(pki, name).subject
        orgs = [a.value for a in s.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)]
        cns = [a.value for a in s.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
        return cns, orgs  # type: ignore[return-value]

    assert subject("admin") == (["tcb-admin"], ["system:masters"])
    assert subject("kubelet") == (["system:node:node-a"], ["system:nodes"])
    assert subject("scheduler") == (["system:kube-scheduler"], [])


def test_apiserver_certificate_names_every_address_clients_use(pki: Pki) -> None:
    san = _cert(pki, "apiserver").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"kubernetes.default.svc.cluster.local", "localhost"} <= set(san.get_values_for_type(x509.DNSName))
    assert {"127.0.0.1", "10.254.0.1", "10.96.0.1"} <= {
        str(i) for i in san.get_values_for_type(x509.IPAddress)
    }


def test_ensure_keeps_existing_certificates_and_reissues_when_the_node_ip_changes(pki: Pki) -> None:
    before = pki.path("apiserver.crt").read_bytes()
    ca_before = pki.path("ca.crt").read_bytes()
    pki.ensure("node-a", "10.254.0.1", "10.96.0.1")
    assert pki.path("apiserver.crt").read_bytes() == before
    pki.ensure("node-a", "10.254.0.2", "10.96.0.1")
    san = _cert(pki, "apiserver").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "10.254.0.2" in {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    assert pki.path("ca.crt").read_bytes() == ca_before


def test_kubeconfig_is_self_contained(pki: Pki, tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    pki.write_kubeconfig(path, "admin", "https://127.0.0.1:6443")
    config = yaml.safe_load(path.read_text())
    assert config["current-context"] == "tcb-local"
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert config["users"][0]["user"]["client-key-data"]
    assert path.stat().st_mode & 0o077 == 0


def test_image_archive_is_a_deterministic_docker_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_images, "CACHE", tmp_path)
    binary = tmp_path / "tool"
    binary.write_bytes(b"\x7fELF fake")
    spec = ImageSpec(
        "localhost/tcb/tool", "1", {"/bin/tool": binary}, ["/bin/tool"], symlinks={"/bin/sh": "tool"}
    )
    first = docker_archive(spec)
    first_bytes = first.read_bytes()
    first.unlink()
    assert docker_archive(spec).read_bytes() == first_bytes
    binary.write_bytes(b"\x7fELF changed")
    assert ImageSpec("localhost/tcb/tool", "1", {"/bin/tool": binary}, ["/bin/tool"]).ref != spec.ref
    with tarfile.open(first) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        assert manifest[0]["RepoTags"] == [spec.ref]
        assert spec.ref.startswith("localhost/tcb/tool:1-")
        config = json.loads(tar.extractfile(manifest[0]["Config"]).read())  # type: ignore[union-attr]
        assert config["config"]["Entrypoint"] == ["/bin/tool"]
        layer = tarfile.open(fileobj=tar.extractfile("layer.tar"))
        members = {m.name: m for m in layer.getmembers()}
        assert members["bin/tool"].mode == 0o755
        assert members["bin/sh"].issym() and members["bin/sh"].linkname == "tool"


@pytest.mark.parametrize(
    ("ref", "stored"),
    [
        ("busybox:1", "docker.io/library/busybox:1"),
        ("todo-chatbot/backend:abc", "docker.io/todo-chatbot/backend:abc"),
        ("localhost/tcb/pause:1", "localhost/tcb/pause:1"),
        ("registry.example:5000/x/y:2", "registry.example:5000/x/y:2"),
    ],
)
def test_image_names_are_normalized_like_containerd_stores_them(ref: str, stored: str) -> None:
    assert normalize(ref) == stored


def _usages(pki: Pki, name: str) -> set[str]:
    ext = _cert(pki, name).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    return {usage._name for usage in ext}


def test_etcd_certificates_serve_and_authenticate_on_loopback_only(pki: Pki) -> None:
    # etcd's one certificate serves clients and authenticates to its peer listener: both usages
    assert _usages(pki, "etcd") == {"serverAuth", "clientAuth"}
    san = _cert(pki, "etcd").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(i) for i in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1"}
    assert _usages(pki, "apiserver-etcd-client") == {"clientAuth"}
    assert _usages(pki, "kube-router") == {"clientAuth"}
    assert _usages(pki, "apiserver") == {"serverAuth"}


def test_addons_grant_kube_router_read_only_access_to_what_it_watches() -> None:
    from harness.clusters.local_manifests import addons

    docs = list(
        yaml.safe_load_all(
            addons(
                coredns_image="c",
                dns_ip="10.96.0.10",
                domain="cluster.local",
                provisioner="todo-chatbot.local/hostpath",
                provisioner_user="p",
                kube_router_user="tcb:kube-router",
            )
        )
    )
    role = next(d for d in docs if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "tcb:kube-router")
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert {"pods", "namespaces", "networkpolicies", "nodes", "endpointslices"} <= resources
    assert {v for rule in role["rules"] for v in rule["verbs"]} == {"get", "list", "watch"}
    binding = next(
        d for d in docs if d["kind"] == "ClusterRoleBinding" and d["roleRef"]["name"] == "tcb:kube-router"
    )
    assert binding["subjects"][0]["name"] == "tcb:kube-router"


def test_host_state_ignores_counters_and_tables_left_empty_by_the_nft_backend() -> None:
    from harness.clusters.local_host import _normalize

    before = "# Generated\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    after = "# later\n*filter\n:INPUT ACCEPT [12:3400]\n:FORWARD DROP [5:10]\n:OUTPUT ACCEPT [1:2]\nCOMMIT\n"
    assert _normalize(before) == _normalize(after)
    empty_mangle = "*mangle\n:PREROUTING ACCEPT [9:9]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    assert _normalize(empty_mangle) == []
    # but a chain, a rule or a changed policy is a difference
    assert _normalize(empty_mangle.replace("COMMIT", ":KUBE-X - [0:0]\nCOMMIT")) != []
    assert _normalize(before.replace(":OUTPUT ACCEPT", ":OUTPUT DROP")) != _normalize(before)
    assert _normalize(before.replace("COMMIT", "-A INPUT -j DROP\nCOMMIT")) != _normalize(before)


def test_the_components_config_is_rendered_from_the_layout_without_touching_anything(tmp_path: Path) -> None:
    from harness.clusters import local_config

    state = tmp_path / "state"
    files = local_config.config_files(
        state,
        sock=state / "run" / "containerd.sock",
        cgroup_root="/tcb-test",
        pki=lambda name: state / "pki" / name,
        pause_image="todo-chatbot/pause:3.10-abc",
        apparmor=False,
        sys_resource=False,
    )
    assert not state.exists(), "rendering wrote to the state dir"
    assert sorted(files) == [
        "config/cni/10-tcb-pods.conflist",
        "config/containerd.toml",
        "config/kube-proxy.yaml",
        "config/kubelet.yaml",
    ]
    kubelet = yaml.safe_load(files["config/kubelet.yaml"])
    assert kubelet["address"] == local_config.NODE_IP and kubelet["clusterDNS"] == [local_config.DNS_IP]
    assert kubelet["cgroupRoot"] == "/tcb-test"
    assert kubelet["tlsCertFile"] == str(state / "pki" / "kubelet-serving.crt")
    proxy = yaml.safe_load(files["config/kube-proxy.yaml"])
    assert proxy["nodePortAddresses"] == ["127.0.0.0/8", f"{local_config.NODE_IP}/32"]
    cni = json.loads(files["config/cni/10-tcb-pods.conflist"])
    assert cni["plugins"][0]["ipam"]["ranges"] == [[{"subnet": local_config.POD_CIDR}]]
    containerd = files["config/containerd.toml"]
    assert 'sandbox_image = "todo-chatbot/pause:3.10-abc"' in containerd
    assert "disable_apparmor = true" in containerd and "restrict_oom_score_adj = true" in containerd


def test_pod_traffic_routing_sets_the_forwarding_sysctls_and_names_a_missing_module(tmp_path: Path) -> None:
    from harness.clusters import local_host

    root = tmp_path / "sys"
    for key in ("net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables"):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text("0\n")
    with pytest.raises(RuntimeError, match=r"bridge-nf-call-ip6tables missing: .*modprobe br_netfilter"):
        local_host.route_pod_traffic(root)
    (root / "net/bridge/bridge-nf-call-ip6tables").write_text("0\n")
    local_host.route_pod_traffic(root)
    assert [
        (root / k).read_text() for k in ("net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables")
    ] == [
        "1",
        "1",
    ]


def test_the_listener_scan_finds_only_sockets_listening_on_every_address() -> None:
    """tests/cluster/exposure.py's scan of /proc/net/tcp{,6}: loopback and node-address listeners and
    connections pass; a listener on 0.0.0.0 or :: is found (the seeded defect)."""
    from tests.cluster.exposure import wildcard_listeners

    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout\n"
    tcp = head + (
        "   0: 0100007F:3053 00000000:0000 0A 00000000:00000000 00:00000000 0 0 1\n"  # 127.0.0.1:12371
        "   1: 0100FE0A:192B 00000000:0000 0A 00000000:00000000 00:00000000 0 0 2\n"  # 10.254.0.1:6443
        "   2: 00000000:2A1F 0100007F:C60F 01 00000000:00000000 00:00000000 0 0 3\n"  # connected
    )
    tcp6 = head + "   0: 00000000000000000000000001000000:1F90 " + "0" * 32 + ":0000 0A 0 0 0 0 0 4 1\n"
    assert wildcard_listeners({"tcp": tcp, "tcp6": tcp6}) == []
    seeded = tcp + "   3: 00000000:2FB3 00000000:0000 0A 00000000:00000000 00:00000000 0 0 5\n"
    seeded6 = tcp6 + "   1: " + "0" * 32 + ":280A " + "0" * 32 + ":0000 0A 0 0 0 0 0 6 1\n"
    assert wildcard_listeners({"tcp": seeded, "tcp6": seeded6}) == ["0.0.0.0:12211", "[::]:10250"]
