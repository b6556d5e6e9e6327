"""Checks of the built images: tags, secret-named environment variables, and whether any value occurs in
a layer, the history, a label or the config."""

from __future__ import annotations

import re
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from harness.checks import SECRET_NAME, usable_secrets

CONTENT_HASH_TAG = re.compile(r"(^|-)[0-9a-f]{12,64}$")  # e.g. 3f2a…, or 15-3f2a… (version-hash)


def secret_named_env(ref: str) -> list[str]:
    """Environment variables baked into the image whose name says secret and which carry a value."""
    from harness.images import ensure_docker_engine

    env = (ensure_docker_engine().images.get(ref).attrs.get("Config") or {}).get("Env") or []
    return [
        item.split("=", 1)[0]
        for item in env
        if SECRET_NAME.search(item.split("=", 1)[0]) and item.partition("=")[2].strip()
    ]


def image_places_holding(ref: str, secrets: Iterable[str]) -> list[str]:
    """Where in the image (layer commands, env, labels, cmd, every file of every layer) any value occurs."""
    from harness.images import image_history_text, save_image

    values = [v.encode() for v in usable_secrets(secrets)]
    if not values:
        return []
    found = [
        f"{ref} history/config: {line.split(' ', 1)[0]}"
        for line in image_history_text(ref).splitlines()
        if any(v in line.encode() for v in values)
    ]
    with tempfile.TemporaryDirectory(prefix="tcb-image-") as tmp:
        archive = save_image(ref, Path(tmp) / "image.tar")
        with tarfile.open(archive) as outer:
            found += [f"{ref} {where}" for where in _archive_files_holding(outer, values)]
    return found


def _archive_files_holding(outer: tarfile.TarFile, values: list[bytes]) -> Iterator[str]:
    """`docker save` output is a tar of layer tars and JSON files: search every file inside each."""
    for member in outer:
        if not member.isfile():
            continue
        handle = outer.extractfile(member)
        if handle is None:
            continue
        try:
            with tarfile.open(fileobj=handle) as layer:
                yield from (f"layer {member.name}: {name}" for name in _tar_files_holding(layer, values))
            continue
        except tarfile.TarError:
            pass  # not a layer: a config or manifest JSON, searched as it is
        handle = outer.extractfile(member)
        if handle is not None and any(v in handle.read() for v in values):
            yield member.name


def _tar_files_holding(layer: tarfile.TarFile, values: list[bytes]) -> Iterator[str]:
    for member in layer:
        if member.isfile():
            handle = layer.extractfile(member)
            if handle is not None and any(v in handle.read() for v in values):
                yield member.name


def is_content_hash_tag(ref: str) -> bool:
    tag = ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else ""
    return bool(CONTENT_HASH_TAG.search(tag))
