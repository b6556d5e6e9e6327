"""Container images for the local cluster without any registry: built as docker-archive tars from local files
(pause, CoreDNS, busybox) and imported into containerd's `k8s.io` namespace; app images come from Docker."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from harness.log import get_logger
from harness.paths import CACHE, ensure
from harness.proc import run, which

log = get_logger("local-cluster")

PIN_LABEL = (
    "io.cri-containerd.pinned=pinned"  # CRI's own pin label: the kubelet's image GC skips pinned images
)


@dataclass(frozen=True)
class ImageSpec:
    name: str  # e.g. localhost/tcb/pause
    version: str  # the tag is <version>-<content hash>, so a changed image never hides behind an old tag
    files: Mapping[str, Path]  # path in image -> file on the host
    entrypoint: list[str]
    cmd: list[str] = field(default_factory=list)
    symlinks: Mapping[str, str] = field(default_factory=dict)  # path in image -> target
    dirs: tuple[str, ...] = ()

    @cached_property
    def ref(self) -> str:
        digest = hashlib.sha256(
            json.dumps([self.entrypoint, self.cmd, sorted(self.symlinks.items()), sorted(self.dirs)]).encode()
        )
        for path, source in sorted(self.files.items()):
            digest.update(path.encode() + b"\0" + source.read_bytes())
        return f"{self.name}:{self.version}-{digest.hexdigest()[:10]}"


def docker_archive(spec: ImageSpec) -> Path:
    """The image as a docker-archive tar (`docker save` format), cached by its content hash."""
    layer = _layer(spec)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Entrypoint": spec.entrypoint or None,
                "Cmd": spec.cmd or None,
                "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"],
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "todo-chatbot harness (harness/clusters/local_images.py)"}],
        },
        sort_keys=True,
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [spec.ref], "Layers": ["layer.tar"]}]).encode()
    out = ensure(CACHE / "local-images") / f"{hashlib.sha256(manifest + config).hexdigest()[:16]}.tar"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        with tarfile.open(tmp, "w") as tar:
            for name, data in (("manifest.json", manifest), (config_name, config), ("layer.tar", layer)):
                _add_bytes(tar, name, data)
        tmp.replace(out)
    return out


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def _layer(spec: ImageSpec) -> bytes:
    """One deterministic layer (fixed mtimes and owners) so the same inputs give the same image."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = set(spec.dirs)
        for path in [*spec.files, *spec.symlinks]:
            parent = Path(path).parent
            while str(parent) not in ("/", "."):
                dirs.add(str(parent).lstrip("/"))
                parent = parent.parent
        for d in sorted(dirs):
            info = tarfile.TarInfo(d.lstrip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o1777 if d.strip("/") == "tmp" else 0o755, 0
            tar.addfile(info)
        for path, source in sorted(spec.files.items()):
            _add_bytes(tar, path.lstrip("/"), source.read_bytes(), 0o755)
        for path, target in sorted(spec.symlinks.items()):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, 0
            tar.addfile(info)
    return buf.getvalue()


class Containerd:
    """`ctr` against our own containerd socket, in the CRI's `k8s.io` namespace."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def ctr(self, *args: str, quiet: bool = False) -> str:
        ctr = which("ctr") or "ctr"
        return run([ctr, "--address", str(self.socket), "--namespace", "k8s.io", *args], quiet=quiet).stdout

    def image_refs(self) -> set[str]:
        return {
            line.strip() for line in self.ctr("images", "ls", "-q", quiet=True).splitlines() if line.strip()
        }

    def import_archive(self, archive: Path, refs: list[str]) -> None:
        """Import a docker-archive/OCI tar, then pin its images so the kubelet's GC never removes them."""
        self.ctr("images", "import", str(archive))
        for ref in refs:
            self.ctr("images", "label", normalize(ref), PIN_LABEL, quiet=True)

    def ensure_image(self, spec: ImageSpec) -> None:
        if normalize(spec.ref) not in self.image_refs():
            self.import_archive(docker_archive(spec), [spec.ref])

    def load_from_docker(self, images: list[str]) -> None:
        """Like `kind load docker-image`: `docker save` the images, import the archive into containerd."""
        present = self.image_refs()
        # tags are content hashes, so a ref that is already present is the same image
        missing = [ref for ref in images if normalize(ref) not in present]
        if not missing:
            log.info("images already on the node: %s", ", ".join(images))
            return
        docker = which("docker") or "docker"
        with tempfile.TemporaryDirectory(prefix="tcb-images-", dir=ensure(CACHE / "tmp")) as tmp:
            archive = Path(tmp) / "images.tar"
            log.info("moving %d image(s) from Docker to the node: %s", len(missing), ", ".join(missing))
            run([docker, "save", "-o", str(archive), *missing])
            self.import_archive(archive, missing)


def normalize(ref: str) -> str:
    """The name containerd stores for a Docker-style reference (docker.io/library/… for short names)."""
    name, _, _ = ref.partition("@")
    first = name.split("/")[0]
    if "/" not in name:
        ref = "docker.io/library/" + ref
    elif "." not in first and ":" not in first and first != "localhost":
        ref = "docker.io/" + ref
    return ref
