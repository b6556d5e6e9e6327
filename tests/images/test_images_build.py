"""The images build from a bare engine with no registry, are tagged by content, and an unchanged build is a
no-op."""

from __future__ import annotations

import json
import re

import docker
import pytest

from harness import baseimages
from harness.images import DEFAULT_IMAGES, ImageRef, build_images, resolve_bases

pytestmark = pytest.mark.docker


def test_every_image_is_tagged_by_content_hash_never_latest(app_images: dict[str, ImageRef]) -> None:
    assert set(app_images) == set(DEFAULT_IMAGES)
    for name, image in app_images.items():
        assert image.repository == f"todo-chatbot/{name}"
        assert re.fullmatch(r"(15-)?[0-9a-f]{12}", image.tag), image.ref
        assert image.size_bytes > 10_000_000, f"{image.ref} is implausibly small: {image.size_bytes} bytes"


def test_building_again_with_nothing_changed_builds_nothing(app_images: dict[str, ImageRef]) -> None:
    first = build_images()  # picks up any source edited since the session fixture ran
    again = build_images()
    assert {n: i.ref for n, i in again.items()} == {n: i.ref for n, i in first.items()}
    assert [n for n, i in again.items() if i.built] == []


def test_service_images_are_built_on_the_chosen_base_with_oci_labels(
    docker_client: docker.DockerClient, app_images: dict[str, ImageRef]
) -> None:
    base, _ = resolve_bases(docker_client)  # the local distroless base here: no registry to pull from
    base_layers = docker_client.images.get(base).attrs["RootFS"]["Layers"]
    for name in ("backend", "chatbot", "frontend"):
        image = docker_client.images.get(app_images[name].ref)
        assert image.attrs["RootFS"]["Layers"][: len(base_layers)] == base_layers, f"{name} is not on {base}"
        assert image.labels["org.opencontainers.image.version"] == app_images[name].tag
        assert image.labels["org.opencontainers.image.title"] == f"todo-chatbot-{name}"
        assert "org.opencontainers.image.created" not in image.labels  # would defeat content-hash caching


@pytest.mark.slow
def test_python_base_recipe_builds_from_debian_packages(docker_client: docker.DockerClient) -> None:
    """Assembles the runtime base again from the .debs (a scratch copy); checks what Python apps rely on."""
    scratch = baseimages.build_base_image(
        "python-base", docker_client, rebuild=True, repository="todo-chatbot-test/python-base"
    )
    try:
        assert scratch.built
        probe = (
            "import os, pwd, ssl, sqlite3, zoneinfo, json;"
            "print(json.dumps({'uid': os.getuid(), 'user': pwd.getpwuid(os.getuid()).pw_name,"
            " 'cas': ssl.create_default_context().cert_store_stats()['x509_ca'],"
            " 'sqlite': sqlite3.sqlite_version, 'tz': str(zoneinfo.ZoneInfo('Europe/Berlin'))}))"
        )
        output = docker_client.containers.run(
            scratch.ref, ["python3", "-c", probe], remove=True, read_only=True, tmpfs={"/tmp": ""}
        )
        seen = json.loads(output)
        assert seen["uid"] == 1001 and seen["user"] == "app"
        assert seen["cas"] > 100, "the CA bundle was not assembled"
        assert seen["sqlite"].startswith("3.")
        assert seen["tz"] == "Europe/Berlin"
    finally:
        docker_client.images.remove(scratch.ref, force=True)
