"""Base images built locally from Debian packages, for machines with no container registry.

- todo-chatbot/python-base:<hash>  distroless-style Python 3.11 runtime: .debs unpacked (no maintainer
  scripts), pruned; no shell, no package manager, uid 1001 `app`.
- todo-chatbot/python-build:<hash> the builder stage: the same Python plus pip, dash, coreutils and strip.
- todo-chatbot/postgres:15-<hash>  PostgreSQL 15 server binaries with their exact shared-library closure and a
  dash entrypoint that runs initdb on first start; uid 1001; works on a read-only root (socket dir /tmp). Its
  libicudata holds only the ICU data postgres uses, rebuilt on the host (needs icupkg from icu-devtools, gcc).

The tag is a hash of the recipes' parsed structure (harness.images_recipes.recipe_digest: the AST of the
recipe modules, so formatting and comments do not count) and the exact .deb file names (name_version_arch)
the host's apt resolves, so an unchanged recipe with unchanged packages is a no-op. .debs
and rootfs tarballs are cached under CACHE/images/ so a rebuild after `docker image prune` only re-imports.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import shutil
import tarfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from harness.docker_engine import ensure_docker_engine
from harness.images_recipes import recipe_digest
from harness.images_recipes.debian import unpack
from harness.images_recipes.recipes import RECIPES, Recipe
from harness.log import get_logger
from harness.paths import CACHE, ensure
from harness.proc import run

log = get_logger("baseimages")

IMAGES_CACHE = CACHE / "images"
DEB_POOL = IMAGES_CACHE / "debs"


@dataclass
class ImageRef:
    """A built (or already present) image: a base image here, a service image in harness.images."""

    repository: str
    tag: str
    size_bytes: int = 0
    built: bool = False
    seconds: float = 0.0

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


# ---------------------------------------------------------------------------------------------- packages


def _candidate_debs(packages: Iterable[str]) -> list[str]:
    """The exact .deb file names apt would download for these packages (the host apt has security updates)."""
    proc = run(["apt-get", "download", "--print-uris", *packages], quiet=True)
    names = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("'")]
    if not names:
        raise RuntimeError(f"apt resolved no packages for {list(packages)}: run `apt-get update`")
    return sorted(names)


def _fetch_debs(filenames: list[str]) -> list[Path]:
    """Download the missing .debs (exact versions) into the shared pool; return their paths."""
    ensure(DEB_POOL)
    missing = [f for f in filenames if not (DEB_POOL / f).exists()]
    if missing:
        log.info("downloading %d of %d .debs into %s", len(missing), len(filenames), DEB_POOL)
        pins = [
            f"{name}={version.replace('%3a', ':')}" for name, version, _ in (f.split("_") for f in missing)
        ]
        run(["apt-get", "download", "-q", *pins], cwd=DEB_POOL)
    return [DEB_POOL / f for f in filenames]


def _apt_state() -> str:
    """Changes whenever `apt-get update` brings new package lists (what package resolution depends on)."""
    lists = Path("/var/lib/apt/lists")
    entries = sorted(f"{p.name} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in lists.glob("*Packages*"))
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def _resolved_debs(name: str) -> list[str]:
    """The recipe's exact .deb file names, remembered per apt state: a no-change build skips apt (seconds)."""
    memo = ensure(IMAGES_CACHE / "resolved") / f"{name}-{recipe_digest(name)[:12]}-{_apt_state()[:16]}.txt"
    if memo.exists():
        return memo.read_text().split()
    debs = _candidate_debs(RECIPES[name].resolve_packages())
    memo.write_text("\n".join(debs) + "\n")
    return debs


def recipe_tag(name: str) -> tuple[str, list[str]]:
    """(tag, exact .deb file names) of a base image as it would be built now."""
    recipe = RECIPES[name]
    debs = _resolved_debs(name)
    digest = hashlib.sha256("\n".join([recipe_digest(name), name, *debs]).encode()).hexdigest()[:12]
    return recipe.tag_prefix + digest, debs


def build_base_image(
    name: str,
    client: docker.DockerClient | None = None,
    *,
    rebuild: bool = False,
    repository: str | None = None,
) -> ImageRef:
    """Build (or find) one base image; a no-op when the image for the current recipe and packages exists.

    rebuild=True assembles the root filesystem again from the .debs even when the image or the cached tarball
    exists; `repository` imports under another name (tests build a scratch copy, leaving the real one).
    """
    client = client or ensure_docker_engine()
    recipe = RECIPES[name]
    started = time.monotonic()
    tag, debs = recipe_tag(name)
    image = ImageRef(repository or recipe.repository, tag)
    with build_lock(f"base-{name}"):
        if not rebuild:
            try:
                found = client.images.get(image.ref)
                image.size_bytes = int(found.attrs["Size"])
                log.info("%s: up to date", image.ref)
                image.seconds = time.monotonic() - started
                return image
            except ImageNotFound:
                pass
        tarball = ensure(IMAGES_CACHE / "rootfs") / f"{name}-{tag}.tar"
        if rebuild or not tarball.exists():
            log.info("%s: assembling the root filesystem from %d .debs", image.ref, len(debs))
            _assemble_tarball(recipe, _fetch_debs(debs), tarball)
        log.info("%s: importing %s (%.1f MB)", image.ref, tarball.name, tarball.stat().st_size / 1e6)
        labels = {**recipe.labels, "org.opencontainers.image.version": tag}
        changes = [*recipe.changes, "LABEL " + " ".join(f'{k}="{v}"' for k, v in labels.items())]
        import_tag = tag + "-rootfs" if recipe.dockerfile_suffix else tag
        client.api.import_image_from_file(
            str(tarball), repository=image.repository, tag=import_tag, changes=changes
        )
        if recipe.dockerfile_suffix:
            dockerfile = f"FROM {image.repository}:{import_tag}\n{recipe.dockerfile_suffix}"
            client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=image.ref, rm=True, pull=False)
            client.images.remove(f"{image.repository}:{import_tag}")
        image.size_bytes = int(client.images.get(image.ref).attrs["Size"])
        image.built = True
        image.seconds = time.monotonic() - started
        log.info("%s: built in %.1fs, %.1f MB", image.ref, image.seconds, image.size_bytes / 1e6)
    return image


@contextmanager
def build_lock(name: str) -> Iterator[None]:
    """One build of `name` at a time across processes (the CLI, tests and the acceptance run may overlap);
    whoever waited then finds the image the other one built."""
    with (ensure(CACHE / "locks") / f"{name}.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("%s: another process is building it; waiting", name)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _assemble_tarball(recipe: Recipe, debs: list[Path], tarball: Path) -> None:
    work = ensure(IMAGES_CACHE / "work") / recipe.name
    shutil.rmtree(work, ignore_errors=True)
    stage, root = work / "stage", work / "rootfs"
    stage.mkdir(parents=True)
    try:
        unpack(debs, stage)
        recipe.assemble(stage, root)
        partial = tarball.with_suffix(".partial")
        with tarfile.open(partial, "w", format=tarfile.GNU_FORMAT) as tar:
            for entry in sorted(root.iterdir()):
                tar.add(entry, arcname=entry.name, filter=_numeric_owner)
        partial.rename(tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _numeric_owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uname = info.gname = ""
    return info


def build_base_images(
    names: Iterable[str] = ("python-base", "python-build", "postgres"), *, rebuild: bool = False
) -> dict[str, ImageRef]:
    client = ensure_docker_engine()
    return {name: build_base_image(name, client, rebuild=rebuild) for name in names}
