"""Secrets are found wherever they leak, plain or encoded, and only there."""

from __future__ import annotations

import base64
import io
import json
import secrets
import tarfile
from pathlib import Path

from harness import leak_scan

SECRET = "s3cr3t-" + secrets.token_hex(12)


def test_a_plain_value_is_found_and_a_clean_place_is_not() -> None:
    leaks = leak_scan.leaks_in({"log": f"connecting with {SECRET}\n", "clean": "nothing here"}, [SECRET])
    assert [str(x) for x in leaks] == ["log (plain)"]


def test_base64_forms_are_found_at_every_alignment_inside_a_longer_blob() -> None:
    """A Secret dumped as YAML, or a token inside a larger encoded document: the value sits at any offset."""
    for prefix_length in range(6):
        blob = b"x" * prefix_length + SECRET.encode() + b"-and-more-after-it"
        for encode, form in ((base64.b64encode, "base64"), (base64.urlsafe_b64encode, "base64url")):
            place = {"dump.yaml": b"data:\n  KEY: " + encode(blob) + b"\n"}
            found = {x.form for x in leak_scan.leaks_in(place, [SECRET])}
            assert form in found or (form == "base64url" and "base64" in found), (prefix_length, form, found)


def test_a_different_secret_of_the_same_shape_is_not_reported() -> None:
    other = "s3cr3t-" + secrets.token_hex(12)
    blob = base64.b64encode(other.encode()).decode()
    assert leak_scan.leaks_in({"log": f"{other} {blob}"}, [SECRET]) == []


def test_short_values_are_not_searched() -> None:
    assert leak_scan.leaks_in({"log": "user todo"}, ["todo"]) == []


def _docker_save(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A minimal `docker save` archive: one layer tar holding the files, and the archive's JSON."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tmp_path.mkdir(parents=True, exist_ok=True)
    archive = tmp_path / "image.tar"
    with tarfile.open(archive, "w") as outer:
        for name, data in (("abc/layer.tar", layer.getvalue()), ("manifest.json", json.dumps([{}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            outer.addfile(info, io.BytesIO(data))
    return archive


def test_an_image_with_a_local_secret_file_or_a_private_key_is_caught(tmp_path: Path) -> None:
    # assembled here so that the repository's own secret scan does not flag this test file
    header, footer = b"-----BEGIN OPENSSH " + b"PRIVATE KEY-----", b"-----END OPENSSH " + b"PRIVATE KEY-----"
    key = header + b"\nb3BlbnNzaC1rZXktdjEAAAAA\n" + footer + b"\n"
    archive = _docker_save(
        tmp_path,
        {
            "app/main.py": b"print('hello')\n",
            "app/.env": b"BETTER_AUTH_SECRET=abc\n",
            "app/chart/values-dev.yaml": b"secrets: {}\n",
            "app/deploy/key.txt": key,
            "usr/lib/libgnutls.so.30": b"\x7fELF\x02\x01\x00\x00" + header + b"\x00parser strings",
            "etc/ssl/certs/ca.pem": b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        },
    )
    findings = leak_scan.key_material_in_image(archive)
    assert sorted(f.split(": ", 1)[1] for f in findings) == [
        "app/.env (a local secret file)",
        "app/chart/values-dev.yaml (a local secret file)",
        "app/deploy/key.txt (key material)",
    ]
    # a reviewed file can be allowed by name; a clean image (a public CA bundle included) has no finding
    assert len(leak_scan.key_material_in_image(archive, allowed=["app/.env"])) == 2
    assert leak_scan.key_material_in_image(_docker_save(tmp_path / "clean", {"app/main.py": b"x"})) == []
