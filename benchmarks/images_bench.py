"""Benchmark: image build times (cold / code change / no change) and sizes (on disk and gzipped).

    .venv/bin/python benchmarks/images_bench.py [--skip-cold] [--services backend chatbot frontend]

- base images: each recipe assembled again from the .debs and imported under a scratch name (cold);
- services, cold: `docker build --no-cache` of the real context under a scratch tag;
- services, code change: the same context with one package file changed (the dependency layer is reused);
- everything, no change: `build_images()` when every image is up to date (what a second `tcb build` costs);
- sizes: `docker image inspect .Size` and `docker save | gzip -1` (what moving the image to a node costs);
- layers: each image's layers with their size and the instruction that made them (`docker history`),
  the base's layers summed in one row;
- dangling `<none>` images in the engine after all of this (target: none left by these builds).
Scratch images are removed afterwards; the real images and caches are left as they were. Targets: each
image (backend, chatbot, frontend, postgres) <= 60 MB; a no-change build in seconds.
"""

from __future__ import annotations

import argparse
import secrets
import time
import zlib
from pathlib import Path

import docker

from harness import baseimages
from harness.docker_engine import ensure_docker_engine
from harness.images import (
    DEFAULT_IMAGES,
    SERVICES,
    assemble_context,
    build_images,
    build_stage_ref,
    docker_build,
    ensure_wheelhouse,
    resolve_bases,
)

TARGET_MB = 60.0


def gzipped_size(client: docker.DockerClient, ref: str) -> int:
    """Bytes of `docker save ref | gzip -1`, streamed."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    size = 0
    for chunk in client.images.get(ref).save(named=True):
        size += len(compressor.compress(chunk))
    return size + len(compressor.flush())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold (no cache) builds")
    default = [s for s in SERVICES if s in DEFAULT_IMAGES]  # the optional llm-runtime only when asked for
    parser.add_argument("--services", nargs="+", default=default, choices=list(SERVICES))
    args = parser.parse_args()
    client = ensure_docker_engine()
    rows: list[tuple[str, str, float]] = []

    dangling_before = {image.id for image in client.images.list(filters={"dangling": True})}
    images = build_images()  # make sure everything exists, so the timings below compare like with like
    started = time.monotonic()
    build_images()
    rows.append(("all images", "no change", time.monotonic() - started))

    base, builder = resolve_bases(client)
    scratch = f"bench{secrets.token_hex(4)}"
    if not args.skip_cold:
        for name in baseimages.RECIPES:
            base_image = baseimages.build_base_image(
                name, client, rebuild=True, repository=f"todo-chatbot-{scratch}/{name}"
            )
            rows.append((name, "cold (from .debs)", base_image.seconds))
            client.images.remove(base_image.ref, force=True)
    for name in args.services:
        service = SERVICES[name]
        context = assemble_context(service, ensure_wheelhouse(service))
        build_args = {"BASE_IMAGE": base, "BUILD_IMAGE": builder}
        if not args.skip_cold:
            ref = f"todo-chatbot-{scratch}/{name}:cold"
            started = time.monotonic()
            scratch_build(client, context, ref, build_args, nocache=True)
            rows.append((name, "cold (no layer cache)", time.monotonic() - started))
        package = next(p for p in context.iterdir() if (p / "__init__.py").exists())
        (package / "_bench_change.py").write_text(f"CHANGE = {secrets.token_hex(8)!r}\n")
        ref = f"todo-chatbot-{scratch}/{name}:change"
        started = time.monotonic()
        scratch_build(client, context, ref, build_args)
        rows.append((name, "code change", time.monotonic() - started))

    print(f"\n{'image':<14} {'build':<24} {'seconds':>8}")
    for name, kind, seconds in rows:
        print(f"{name:<14} {kind:<24} {seconds:>8.1f}")
    print(f"\n{'image':<48} {'size MB':>8} {'gzip MB':>8}  target")
    for image in images.values():
        target = f"<= {TARGET_MB:.0f} MB: {'met' if image.size_mb <= TARGET_MB else 'MISSED'}"
        print(
            f"{image.ref:<48} {image.size_mb:>8.1f} {gzipped_size(client, image.ref) / 1e6:>8.1f}  {target}"
        )
    for image in images.values():
        print_layers(client, image.ref)
    dangling = {image.id for image in client.images.list(filters={"dangling": True})} - dangling_before
    print(f"\ndangling <none> images left by these builds: {len(dangling)}")


def scratch_build(
    client: docker.DockerClient, context: Path, ref: str, build_args: dict[str, str], *, nocache: bool = False
) -> None:
    """Build like build_service_image (build stage under its own tag first), then remove both tags."""
    stage = build_stage_ref(ref)
    docker_build(client, context, stage, build_args, progress=False, nocache=nocache, target="build")
    docker_build(client, context, ref, build_args, progress=False)
    client.images.remove(ref, force=True)
    client.images.remove(stage, force=True)


def layer_rows(client: docker.DockerClient, ref: str) -> list[tuple[float, str]]:
    """(MB, instruction) per layer of the image's own stages, the base's layers summed into one row."""
    image = client.images.get(ref)
    history = image.history()  # newest first
    base_ref = ((image.attrs.get("Config") or {}).get("Labels") or {}).get(
        "org.opencontainers.image.base.name"
    )
    base_len = len(client.images.get(base_ref).history()) if base_ref else 0
    own, base = history[: len(history) - base_len], history[len(history) - base_len :]
    rows = [
        (
            entry["Size"] / 1e6,
            " ".join(str(entry.get("CreatedBy", "")).replace("/bin/sh -c #(nop) ", "").split())
            or f"(root filesystem: {entry.get('Comment') or 'imported'})",
        )
        for entry in reversed(own)
        if entry.get("Size")
    ]
    if base:
        rows.insert(0, (sum(entry["Size"] for entry in base) / 1e6, f"(base {base_ref})"))
    return rows


def print_layers(client: docker.DockerClient, ref: str) -> None:
    print(f"\nlayers of {ref}")
    print(f"{'MB':>8}  instruction")
    for size_mb, instruction in layer_rows(client, ref):
        print(f"{size_mb:>8.1f}  {instruction[:100]}")


if __name__ == "__main__":
    main()
