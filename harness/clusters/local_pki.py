"""Certificates and kubeconfigs for the local cluster: one CA signs everything (like local-up-cluster.sh)."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=3650)

# client identities: file name -> (common name, organisation); RBAC and the Node authorizer key on these names
CLIENTS: dict[str, tuple[str, str | None]] = {
    "admin": ("tcb-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", None),
    "scheduler": ("system:kube-scheduler", None),
    "kube-proxy": ("system:kube-proxy", None),
    "apiserver-kubelet-client": ("kube-apiserver", None),
    "volume-provisioner": ("tcb:volume-provisioner", None),
    "kube-router": ("tcb:kube-router", None),
    "apiserver-etcd-client": ("kube-apiserver-etcd-client", None),
}


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Pki:
    """The cluster's PKI directory; `ensure()` creates what is missing and keeps what exists."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def path(self, name: str) -> Path:
        return self.dir / name

    def ensure(self, node_name: str, node_ip: str, service_ip: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        if not self.path("ca.crt").exists():
            self._make_ca()
        if not self.path("sa.key").exists():
            # service-account tokens: RSA, which every Kubernetes component and client library accepts
            sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _write_key(self.path("sa.key"), sa)
            self.path("sa.pub").write_bytes(
                sa.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        sans_ip = ["127.0.0.1", node_ip, service_ip]
        self._issue(
            "apiserver",
            _name("kube-apiserver"),
            server=True,
            dns=[
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "localhost",
            ],
            ips=sans_ip,
        )
        self._issue(
            "kubelet-serving",
            _name(f"system:node:{node_name}", "system:nodes"),
            server=True,
            dns=[node_name, "localhost"],
            ips=["127.0.0.1", node_ip],
        )
        self._issue("kubelet", _name(f"system:node:{node_name}", "system:nodes"))
        # etcd serves clients and its (single) peer over TLS with client certificates: the same cert both ways
        self._issue("etcd", _name("tcb-etcd"), server=True, client=True, dns=["localhost"], ips=["127.0.0.1"])
        for file, (cn, org) in CLIENTS.items():
            self._issue(file, _name(cn, org))

    def _make_ca(self) -> None:
        key = _key()
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("tcb-local-cluster-ca"))
            .issuer_name(_name("tcb-local-cluster-ca"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_key(self.path("ca.key"), key)
        self.path("ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _issue(
        self,
        file: str,
        subject: x509.Name,
        *,
        server: bool = False,
        client: bool = False,
        dns: list[str] | None = None,
        ips: list[str] | None = None,
    ) -> None:
        crt_path = self.path(f"{file}.crt")
        if crt_path.exists() and self._covers(crt_path, dns or [], ips or []):
            return
        ca_cert = x509.load_pem_x509_certificate(self.path("ca.crt").read_bytes())
        ca_key = serialization.load_pem_private_key(self.path("ca.key").read_bytes(), None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = _key()
        now = dt.datetime.now(dt.UTC)
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] if server else []
        if client or not server:
            usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_encipherment=True,
                    content_commitment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
        )
        if dns or ips:
            names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns or []]
            names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips or []]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        _write_key(self.path(f"{file}.key"), key)
        crt_path.write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))

    @staticmethod
    def _covers(crt_path: Path, dns: list[str], ips: list[str]) -> bool:
        """An existing serving cert is kept only if it still names every address (the node IP may change)."""
        if not dns and not ips:
            return True
        cert = x509.load_pem_x509_certificate(crt_path.read_bytes())
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return False
        have_ips = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
        return set(dns) <= set(san.get_values_for_type(x509.DNSName)) and set(ips) <= have_ips

    def write_kubeconfig(self, path: Path, user: str, server: str) -> None:
        """A self-contained kubeconfig (certs embedded) for one client identity."""

        def b64(name: str) -> str:
            return base64.b64encode(self.path(name).read_bytes()).decode()

        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "tcb-local",
                    "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")},
                }
            ],
            "users": [
                {
                    "name": user,
                    "user": {
                        "client-certificate-data": b64(f"{user}.crt"),
                        "client-key-data": b64(f"{user}.key"),
                    },
                }
            ],
            "contexts": [{"name": "tcb-local", "context": {"cluster": "tcb-local", "user": user}}],
            "current-context": "tcb-local",
        }
        text = yaml.safe_dump(config, sort_keys=False)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            path.chmod(0o600)
