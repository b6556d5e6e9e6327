"""Search the places a secret could leak to (release notes, rendered manifests, pod specs, pod logs, a
diagnostics bundle, image files) for the release's real secret values, plain and base64-encoded.

The values come from the cluster's Secret objects, not from the harness's own list, so a secret the chart adds
or derives (a DATABASE_URL built from the password) is searched for too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.checks import MIN_SECRET_LENGTH, usable_secrets
from harness.paths import CACHE, ensure

# part of the cache key of image scans: bump it when what key_material_in_image reports changes
SCAN_VERSION = 2

# files that hold local secrets by convention (git ignores them here) and must never reach an image; a .pem or
# .key file is judged by its content (CA bundles such as certifi's are public), a keystore by its name
SECRET_FILE_NAMES = re.compile(
    r"(^|/)(\.env(\.[\w-]+)?|values-dev\.yaml|[\w.-]+\.local\.yaml|id_(rsa|ecdsa|ed25519)|\.git-credentials"
    r"|\.netrc|\.pypirc|\.npmrc|[\w.-]+\.(p12|pfx))$"
)
# key material in file contents
KEY_MATERIAL = re.compile(
    rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
    rb"|\bAKIA[0-9A-Z]{16}\b"
    rb"|\bgh[pousr]_[A-Za-z0-9]{36}\b"
    rb"|\bsk-(?:or-v1-)?[A-Za-z0-9]{32,}\b"
)


@dataclass(frozen=True)
class Leak:
    place: str
    form: str  # plain, base64, base64url

    def __str__(self) -> str:
        return f"{self.place} ({self.form})"


def encoded_forms(value: str) -> dict[str, list[bytes]]:
    """The byte strings that betray `value`: itself, and its base64/base64url encodings at each of the three
    alignments it can have inside a longer encoded blob (edge characters that depend on neighbours dropped).
    """
    raw = value.encode()
    forms: dict[str, list[bytes]] = {"plain": [raw], "base64": [], "base64url": []}
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        for shift in range(3):
            encoded = encode(b"\0" * shift + raw).rstrip(b"=")
            # drop characters mixed with the padding prefix, and the last one (mixed with what follows)
            start = (shift * 8 + 5) // 6 if shift else 0
            core = encoded[start:-1] if len(encoded) - start > 8 else b""
            if len(core) >= MIN_SECRET_LENGTH:
                forms[name].append(core)
    return forms


def leaks_in(places: Mapping[str, bytes | str], values: Iterable[str]) -> list[Leak]:
    """Which places hold any value in any form (one finding per place and form)."""
    found: list[Leak] = []
    patterns = [encoded_forms(v) for v in usable_secrets(values)]
    for place, content in places.items():
        data = content.encode() if isinstance(content, str) else content
        for form in ("plain", "base64", "base64url"):
            if any(needle in data for forms in patterns for needle in forms[form]):
                found.append(Leak(place, form))
    return found


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def key_material_in_image(archive: Path, allowed: Iterable[str] = ()) -> list[str]:
    """Files in a `docker save` archive that are local-secret files by name or hold private keys or tokens."""
    allow = set(allowed)
    findings = []
    for layer, name, data in _image_files(archive):
        if name in allow:
            continue
        if SECRET_FILE_NAMES.search(name):
            findings.append(f"{layer}: {name} (a local secret file)")
        elif b"\0" not in data[:8192] and KEY_MATERIAL.search(data):
            # text only: libraries that parse PEM (libgnutls, libssl) carry the marker strings themselves
            findings.append(f"{layer}: {name} (key material)")
    return findings


def _image_files(archive: Path) -> Iterator[tuple[str, str, bytes]]:
    with tarfile.open(archive) as outer:
        for member in outer:
            if not member.isfile():
                continue
            handle = outer.extractfile(member)
            if handle is None:
                continue
            try:
                with tarfile.open(fileobj=handle) as layer:
                    for item in layer:
                        if item.isfile():
                            content = layer.extractfile(item)
                            if content is not None:
                                yield member.name, item.name, content.read()
            except tarfile.TarError:
                continue  # the archive's own JSON files: not part of the image's filesystem


def scan_saved_image(ref: str, allowed: Iterable[str] = ()) -> list[str]:
    """key_material_in_image over the image as `docker save` writes it. The result is cached by the image's
    id (a digest of its config, which names every layer's digest): the same id is the same bytes."""
    from harness.images import ensure_docker_engine, save_image

    allow = sorted(set(allowed))
    image_id = str(ensure_docker_engine().images.get(ref).id).replace("sha256:", "")
    rules = [SCAN_VERSION, image_id, allow, SECRET_FILE_NAMES.pattern, KEY_MATERIAL.pattern.decode()]
    cached = (
        ensure(CACHE / "leak-scan") / f"{hashlib.sha256(json.dumps(rules).encode()).hexdigest()[:32]}.json"
    )
    if cached.exists():
        return [f"{ref} {f}" for f in json.loads(cached.read_text())]
    with tempfile.TemporaryDirectory(prefix="tcb-image-") as tmp:
        findings = key_material_in_image(save_image(ref, Path(tmp) / "image.tar"), allow)
    cached.write_text(json.dumps(findings))
    return [f"{ref} {f}" for f in findings]


# high-entropy strings (detect-secrets' own entropy measure and its default limits): a generated key or token
HIGH_ENTROPY_TOKEN = re.compile(rb"[A-Za-z0-9+/=_-]{32,}")
HEX_TOKEN = re.compile(r"[0-9a-fA-F]+")
HEX_ENTROPY_LIMIT = 3.0
BASE64_ENTROPY_LIMIT = 4.5
# not searched: installed third-party distributions (from pinned wheels; their metadata is full of hashes,
# SBOM digests and example tokens) and a wheel's RECORD of its files' hashes
NOT_SEARCHED = re.compile(r"^app/deps/|\.dist-info/RECORD$")


def high_entropy_strings(data: bytes) -> list[str]:
    """Kinds of the high-entropy tokens in a text (hex or base64/url-safe, >= 32 characters), never values."""
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    hex_plugin, base64_plugin = HexHighEntropyString(), Base64HighEntropyString()
    kinds = []
    for raw in HIGH_ENTROPY_TOKEN.findall(data):
        token = raw.decode()
        if HEX_TOKEN.fullmatch(token):
            if hex_plugin.calculate_shannon_entropy(token) > HEX_ENTROPY_LIMIT:
                kinds.append(f"hex string of {len(token)} characters")
        elif base64_plugin.calculate_shannon_entropy(token) > BASE64_ENTROPY_LIMIT:
            kinds.append(f"base64 string of {len(token)} characters")
    return kinds


def secret_looking_files(files: Mapping[str, bytes | None]) -> list[str]:
    """Among an image's own files (path -> bytes): text files holding what detect-secrets reports (keywords,
    private keys, cloud tokens) or a high-entropy string (a key generated at build time), outside installed
    third-party distributions. Findings name the file and the kind, never the value."""
    from harness.checks.repository import scan_for_secret_looking_values

    texts: dict[str, bytes] = {
        name: data
        for name, data in files.items()
        if data is not None
        and not NOT_SEARCHED.search(name)
        and b"\0" not in data[:8192]
        and len(data) <= 1_000_000
    }
    findings = [
        f"{name}: {kind}" for name, data in texts.items() for kind in sorted(set(high_entropy_strings(data)))
    ]
    with tempfile.TemporaryDirectory(prefix="tcb-image-files-") as tmp:
        label: dict[Path, str] = {}
        for index, (name, data) in enumerate(texts.items()):
            path = Path(tmp) / str(index) / Path(name).name  # its own name: detect-secrets' filename rules
            path.parent.mkdir()
            path.write_bytes(data)
            label[path] = name
        findings += [
            f"{f.where}: {f.kind} (line {f.line})" for f in scan_for_secret_looking_values(label, label)
        ]
    return sorted(set(findings))
