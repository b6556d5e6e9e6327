"""`tcb build --prune` (harness.images.prune_images): old tags go, a tag in use never does. Docker side on
real images in a scratch repository; the cluster side with a stand-in containerd and Kubernetes listing."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from harness import images
from harness.images import ImageRef


@pytest.fixture
def scratch_repo(docker_client: docker.DockerClient, app_images: dict[str, ImageRef]) -> Iterator[str]:
    repository = f"todo-chatbot-prunetest-{secrets.token_hex(3)}/app"
    base = app_images["frontend"].ref  # any local image: FROM it with a label gives a distinct image id
    for name in ("old1", "old2", "current"):
        for tag in (name, f"build-{name}"):
            dockerfile = f"FROM {base}\nLABEL prunetest={repository}-{tag}\n"
            docker_client.images.build(
                fileobj=io.BytesIO(dockerfile.encode()), tag=f"{repository}:{tag}", rm=True
            )
    yield repository
    for image in docker_client.images.list(name=repository):
        for tag in image.tags:
            docker_client.images.remove(tag, force=True)


def test_docker_prune_removes_old_tags_and_build_stages_but_never_one_a_container_uses(
    docker_client: docker.DockerClient, scratch_repo: str
) -> None:
    container = docker_client.containers.create(f"{scratch_repo}:old2", command=["true"])  # never started
    try:
        removed = images.prune_images([f"{scratch_repo}:current"], cluster=False)
        left = {t for image in docker_client.images.list(name=scratch_repo) for t in image.tags}
    finally:
        container.remove(force=True)
    assert sorted(removed) == [
        f"{scratch_repo}:build-old1",
        f"{scratch_repo}:build-old2",
        f"{scratch_repo}:old1",
    ]
    assert left == {f"{scratch_repo}:current", f"{scratch_repo}:build-current", f"{scratch_repo}:old2"}


class FakeContainerd:
    def __init__(self, refs: set[str], containers: set[str]) -> None:
        self.refs, self.containers = set(refs), containers
        self.removed: list[str] = []

    def image_refs(self) -> set[str]:
        return set(self.refs)

    def container_images(self) -> set[str]:
        return self.containers

    def remove(self, ref: str) -> None:
        self.refs.discard(ref)
        self.removed.append(ref)


def test_cluster_prune_keeps_tags_a_container_or_a_workload_uses() -> None:
    repo = "docker.io/todo-chatbot/backend"
    containerd = FakeContainerd(
        {f"{repo}:aaaaaaaaaaaa", f"{repo}:bbbbbbbbbbbb", f"{repo}:cccccccccccc", f"{repo}:dddddddddddd",
         "docker.io/library/busybox:1.36", "localhost/tcb/pause:3.10-0123"},
        containers={f"{repo}:bbbbbbbbbbbb"},
    )  # fmt: skip
    in_use = {"todo-chatbot/backend:cccccccccccc"}  # e.g. a Deployment scaled to 0, as the API names it
    removed = images.prune_cluster_images({"todo-chatbot/backend:dddddddddddd"}, containerd, in_use)
    assert removed == [f"{repo}:aaaaaaaaaaaa"]
    assert containerd.refs == {
        f"{repo}:bbbbbbbbbbbb", f"{repo}:cccccccccccc", f"{repo}:dddddddddddd",
        "docker.io/library/busybox:1.36", "localhost/tcb/pause:3.10-0123",
    }  # fmt: skip


def test_images_in_use_come_from_pods_and_workload_templates_in_every_namespace() -> None:
    listing = {
        "items": [
            {"kind": "Deployment", "spec": {"replicas": 0, "template": {"spec": {
                "initContainers": [{"image": "todo-chatbot/postgres:15-aaaaaaaaaaaa"}],
                "containers": [{"image": "todo-chatbot/backend:bbbbbbbbbbbb"}]}}}},
            {"kind": "Pod", "spec": {"containers": [{"image": "todo-chatbot/frontend:cccccccccccc"}]}},
        ]
    }  # fmt: skip
    calls: list[tuple[Any, ...]] = []

    def kubectl(*args: str, quiet: bool = False) -> str:
        calls.append(args)
        return json.dumps(listing)

    assert images.cluster_images_in_use(kubectl) == {
        "todo-chatbot/postgres:15-aaaaaaaaaaaa", "todo-chatbot/backend:bbbbbbbbbbbb",
        "todo-chatbot/frontend:cccccccccccc",
    }  # fmt: skip
    assert "--all-namespaces" in calls[0]
