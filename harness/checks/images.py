"""Checks of the built images: content-hash tags, size as the engine reports it, the user the Dockerfile
itself sets, and secret-named environment variables. (What the layers carry: harness/leak_scan.py.)"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from typing import Any

from harness.checks import SECRET_NAME
from harness.paths import CACHE, write_replacing

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


def is_content_hash_tag(ref: str) -> bool:
    tag = ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else ""
    return bool(CONTENT_HASH_TAG.search(tag))


OWN_FILES_CACHE = CACHE / "image-own-files"
USER_INSTRUCTION = re.compile(r"^(?:/bin/sh -c )?(?:#\(nop\)\s+)?USER\s+(\S+)", re.I)
BASE_LABEL = "org.opencontainers.image.base.name"


def own_user_problems(ref: str, uid: str = "1001") -> list[str]:
    """Whether the image's own Dockerfile (its final stage, not the base it starts FROM) sets `USER uid`.

    The image's config alone cannot tell: every app image inherits the base's user, so a service Dockerfile
    whose USER line was deleted still reports 1001 on the local base (and root on python:3.11-slim). The
    final stage's instructions are the image's history entries above the base's (the base is named by the
    `org.opencontainers.image.base.name` label every service Dockerfile sets)."""
    from harness.images import ensure_docker_engine

    client = ensure_docker_engine()
    image = _engine_image(client, ref)
    if image is None:
        return [f"{ref}: not in the Docker engine, so its user cannot be read"]
    config = image.attrs.get("Config") or {}
    base_ref = (config.get("Labels") or {}).get(BASE_LABEL, "")
    if not base_ref:
        return [f"{ref}: no {BASE_LABEL} label, so its own instructions cannot be told from its base's"]
    base = _engine_image(client, base_ref)
    if base is None:
        return [f"{ref}: its base {base_ref} is not in the Docker engine"]
    history, base_history = image.history(), base.history()  # newest first
    if len(history) <= len(base_history) or history[-len(base_history) :] != base_history:
        return [f"{ref}: its history does not end with its base {base_ref}'s"]
    own = [str(entry.get("CreatedBy", "")) for entry in history[: len(history) - len(base_history)]]
    users = [m[1] for line in own if (m := USER_INSTRUCTION.match(line.strip()))]
    problems = []
    if not users:
        problems.append(
            f"{ref}: its Dockerfile's final stage has no USER instruction (the user is inherited)"
        )
    elif users[0].split(":")[0] != uid:  # history is newest first: users[0] is the last USER
        problems.append(f"{ref}: its Dockerfile's last USER is {users[0]}, not {uid}")
    user = str(config.get("User") or "")
    if user.split(":")[0] != uid:
        problems.append(f"{ref}: runs as {user or 'root'}, not {uid}")
    return problems


def image_size_problems(refs: dict[str, str], max_mb: float) -> tuple[dict[str, float], list[str]]:
    """({name: MB}, problems): each image's size as the Docker engine reports it now. An image the engine
    does not hold is a problem (its size is unknown), never a pass with size 0."""
    from harness.images import ensure_docker_engine

    client = ensure_docker_engine()
    sizes: dict[str, float] = {}
    problems = []
    for name, ref in refs.items():
        image = _engine_image(client, ref)
        if image is None:
            problems.append(f"{name}: {ref} is not in the Docker engine, so its size is unknown")
            continue
        sizes[name] = int(image.attrs["Size"]) / 1e6
        if sizes[name] > max_mb:
            problems.append(f"{name}: {ref} is {sizes[name]:.1f} MB, over {max_mb:.0f} MB")
    return sizes, problems


def content_tag_problems(refs: dict[str, str], expected_tags: dict[str, str] | None = None) -> list[str]:
    """Whether each image is tagged by its content. Observed, not taken from the build's return value: the
    tag must look like a hash (never `latest`), the engine must hold the image under it with its own version
    label stamped to the same tag at build time, and, where `expected_tags` gives what the tree's content
    hashes to now (recomputed from the sources and wheels, without building), the tag must equal it."""
    from harness.images import ensure_docker_engine

    client = ensure_docker_engine()
    problems = []
    for name, ref in refs.items():
        tag = ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else ""
        if not is_content_hash_tag(ref):
            problems.append(f"{name}: {ref} is not tagged with a content hash")
            continue
        image = _engine_image(client, ref)
        if image is None:
            problems.append(f"{name}: {ref} is not in the Docker engine")
            continue
        version = ((image.attrs.get("Config") or {}).get("Labels") or {}).get(
            "org.opencontainers.image.version"
        )
        if version != tag.rpartition("-")[2] and version != tag:
            problems.append(f"{name}: {ref} carries version label {version!r}, built for another tag")
        if expected_tags and name in expected_tags and expected_tags[name] != tag:
            problems.append(f"{name}: tagged {tag}, but its content hashes to {expected_tags[name]} now")
    return problems


# what only a build needs: wheel files and wheelhouses, pip's cache, the installers themselves, compilers and
# linkers, C/C++/Cython sources, headers, static libraries and object files
BUILD_ONLY = re.compile(
    r"(^|/)(wheels|wheelhouse|\.cache/pip)/"
    r"|\.(whl|h|hh|hpp|c|cc|cpp|pyx|pxd|pxi|a|o)$"
    r"|(^|/)(pip|setuptools|wheel)(-[^/]*\.dist-info)?/"
    r"|(^|/)s?bin/(gcc|g\+\+|cc|c\+\+|cpp|ld|as|make)(-[0-9.]+)?$"
)


def own_files(ref: str, contents: bool = False) -> dict[str, bytes | None]:
    """The files the image's own Dockerfile stage added on top of its base (paths present in the image but not
    in the base named by its `org.opencontainers.image.base.name` label); zip archives among them (Python code
    packed for zipimport) are listed member by member as `archive.zip!/member`. Values: each file's bytes with
    `contents` (zip members: None), else None (names only)."""
    from harness.images import ensure_docker_engine, image_files

    client = ensure_docker_engine()
    image = _engine_image(client, ref)
    if image is None:
        raise LookupError(f"{ref}: not in the Docker engine")
    base_ref = ((image.attrs.get("Config") or {}).get("Labels") or {}).get(BASE_LABEL, "")
    base_image = _engine_image(client, base_ref) if base_ref else None
    # names only: kept by the two image IDs (content hashes of the images' configs, which name every layer),
    # so an unchanged image is not exported again; any rebuild has a new ID
    cache = OWN_FILES_CACHE / f"{_id_hex(image.id)}-{_id_hex(base_image.id) if base_image else 'none'}.json"
    if not contents:
        try:
            return dict.fromkeys(json.loads(cache.read_text()))
        except (OSError, ValueError):
            pass
    base = image_files(base_ref) if base_image is not None else set()
    container = client.containers.create(ref, command=["true"], entrypoint=[])
    try:
        exported = io.BytesIO(b"".join(container.export()))
    finally:
        container.remove(force=True, v=True)
    found: dict[str, bytes | None] = {}
    with tarfile.open(fileobj=exported, mode="r:") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if name in base or not member.isfile():
                continue
            handle = tar.extractfile(member)
            data = handle.read() if handle is not None and (contents or name.endswith(".zip")) else None
            found[name] = data if contents else None
            if name.endswith(".zip") and data is not None:
                try:
                    with zipfile.ZipFile(io.BytesIO(data)) as packed:
                        found.update({f"{name}!/{inner}": None for inner in packed.namelist()})
                except zipfile.BadZipFile:
                    pass
    try:
        write_replacing(cache, json.dumps(sorted(found)))
    except OSError:  # only the next check's time depends on it
        pass
    return found


def _id_hex(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:32]


def build_leftovers(paths: Any) -> list[str]:
    """The paths among `paths` that only a build needs (BUILD_ONLY)."""
    return sorted(path for path in paths if BUILD_ONLY.search(path))


def _engine_image(client: Any, ref: str) -> Any:
    from docker.errors import ImageNotFound

    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None
