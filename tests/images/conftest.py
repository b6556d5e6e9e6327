"""Fixtures for the image tests: a running Docker engine (started if needed) and the app images, built once
per session (a no-op when nothing changed)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import docker
import httpx
import pytest
from docker.models.containers import Container

from harness.docker_engine import ensure_docker_engine
from harness.images import ImageRef, build_images
from harness.paths import REPORTS, ensure
from harness.waits import wait_until


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return ensure_docker_engine()


@pytest.fixture(scope="session")
def app_images(docker_client: docker.DockerClient) -> dict[str, ImageRef]:
    images = build_images()
    ensure(REPORTS)
    (REPORTS / "image-sizes.json").write_text(
        json.dumps(
            {
                name: {"ref": i.ref, "size_mb": round(i.size_mb, 1), "built": i.built}
                for name, i in images.items()
            },
            indent=2,
        )
    )
    for name, image in images.items():
        print(f"{name:<10} {image.ref:<44} {image.size_mb:6.1f} MB {'built' if image.built else 'cached'}")
    return images


@contextmanager
def running(client: docker.DockerClient, ref: str, **kwargs: Any) -> Iterator[Container]:
    """A detached container that is removed (with its anonymous volumes) afterwards, whatever happens."""
    container = client.containers.run(ref, detach=True, **kwargs)
    try:
        yield container
    finally:
        container.remove(force=True, v=True)


def host_port(container: Container, port: str) -> int:
    """The loopback port Docker published `port` ("8000/tcp") on."""

    def published() -> tuple[bool, str]:
        container.reload()
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(port) or []
        return bool(bindings), bindings[0]["HostPort"] if bindings else f"state {container.status}"

    return int(wait_until(f"{container.name}: {port} published", published, timeout=15))


def wait_for_http(url: str, container: Container, timeout: float = 60) -> httpx.Response:
    """GET url until it answers 200; fails early with the container's log if the container exits."""

    def answered() -> tuple[bool, Any]:
        container.reload()
        if container.status == "exited":
            return True, f"exited: {container.logs()[-2000:].decode(errors='replace')}"
        response = httpx.get(url, timeout=3)
        return response.status_code == 200, response

    started = time.monotonic()
    result = wait_until(f"{url} to answer 200", answered, timeout=timeout)
    assert isinstance(result, httpx.Response), f"{container.name} {result}"
    print(f"{url}: 200 after {time.monotonic() - started:.1f}s")
    return result


def process_uids(container: Container) -> set[str]:
    """The uids of the processes running in the container, as the host sees them (docker top)."""
    top = container.top(ps_args="-o uid,pid,comm")
    uid_column = top["Titles"].index("UID")
    return {str(row[uid_column]) for row in top["Processes"]}
