"""A self-signed certificate for the chart's TLS option on local runs: a throwaway CA signs a server
certificate for the node's address (and localhost); the server certificate and key go into a Secret of type
kubernetes.io/tls in the release's namespace, the CA certificate to a file clients verify against.

    bundle = self_signed("10.0.0.5")                 # CA + server certificate, in memory
    create_tls_secret(k8s, "ns", "web-tls", bundle)  # the Secret the chart's tls.secretName names
    httpx.get("https://10.0.0.5:30080/", verify=ssl_context(bundle))

Never for production: the CA's key lives only in memory for the length of the run.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=7)


@dataclass(frozen=True)
class TlsBundle:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes
    hosts: tuple[str, ...]


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def self_signed(*hosts: str) -> TlsBundle:
    """A CA and a server certificate valid for `hosts` (plus localhost and 127.0.0.1)."""
    names = tuple(dict.fromkeys([*hosts, "localhost", "127.0.0.1"]))
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "todo-chatbot local run CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return TlsBundle(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        hosts=names,
    )


def ssl_context(bundle: TlsBundle) -> ssl.SSLContext:
    """A client context that trusts only the bundle's CA (hostname checked)."""
    return ssl.create_default_context(cadata=bundle.ca_pem.decode())


def create_tls_secret(k8s: Any, namespace: str, name: str, bundle: TlsBundle) -> None:
    """Create (or replace) the kubernetes.io/tls Secret `name` holding the bundle's server certificate."""
    from kubernetes.client.exceptions import ApiException

    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "todo-chatbot"}},
        "data": {
            "tls.crt": base64.b64encode(bundle.cert_pem).decode(),
            "tls.key": base64.b64encode(bundle.key_pem).decode(),
        },
    }
    try:
        k8s.core.create_namespaced_secret(namespace, body)
    except ApiException as exc:
        if exc.status != 409:
            raise
        k8s.core.replace_namespaced_secret(name, namespace, body)


def prepare_release_tls(info: Any, k8s: Any, namespace: str, secret_name: str) -> TlsBundle:
    """Before an install with tls.enabled: the namespace (restricted, as install_release makes it) and a
    self-signed certificate for the node's address in Secret `secret_name`. Returns the bundle (its CA)."""
    from harness.k8s import POD_SECURITY_RESTRICTED

    k8s.ensure_namespace(namespace, POD_SECURITY_RESTRICTED)
    bundle = self_signed(info.node_address)
    create_tls_secret(k8s, namespace, secret_name, bundle)
    return bundle
