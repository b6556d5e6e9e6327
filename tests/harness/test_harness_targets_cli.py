"""kind and minikube targets: the command lines they run (they cannot run on this machine)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.clusters import kind, minikube


class FakeRunner:
    """Records argv (as strings) and answers from a table keyed by the argv prefix."""

    def __init__(self, answers: dict[tuple[str, ...], str] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str] | None] = []
        self.answers = answers or {}

    def __call__(self, argv: list[Any], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        args = [str(a) for a in argv]
        self.calls.append(args)
        self.envs.append(kwargs.get("env"))
        out = next((v for k, v in self.answers.items() if tuple(args[: len(k)]) == k), "")
        return subprocess.CompletedProcess(args, 0, out, "")


class FakeK8s:
    def __init__(self, kubeconfig: Path, context: str | None) -> None:
        self.kubeconfig, self.context = kubeconfig, context

    def node_address(self) -> str:
        return "172.18.0.2"

    def server_version(self) -> str:
        return "v1.35.5"


@pytest.fixture(autouse=True)
def fake_k8s(monkeypatch, tmp_path):
    monkeypatch.setattr("harness.k8s.K8s", FakeK8s)
    # private kubeconfigs go under the cache dir: keep the real one untouched
    monkeypatch.setattr(kind, "CACHE", tmp_path)
    monkeypatch.setattr(minikube, "CACHE", tmp_path)


def test_kind_not_installed_is_reported():
    target = kind.KindCluster(which=lambda program: None)
    assert target.available() == (False, "kind not found on PATH")


def test_kind_creates_a_missing_cluster_with_a_private_kubeconfig(tmp_path, monkeypatch):
    runner = FakeRunner(
        {("kind", "get", "clusters"): "other\n", ("kind", "get", "kubeconfig"): "apiVersion: v1\n"}
    )
    target = kind.KindCluster(runner=runner, which=lambda p: f"/usr/bin/{p}")
    target.kubeconfig = tmp_path / "tcb.kubeconfig"
    info = target.ensure_up()
    assert runner.calls[1] == [
        "kind",
        "create",
        "cluster",
        "--name",
        "tcb",
        "--kubeconfig",
        str(tmp_path / "tcb.kubeconfig"),
        "--wait",
        "180s",
    ]
    assert info.started_by_us and info.target == "kind" and info.node_address == "172.18.0.2"
    assert (tmp_path / "tcb.kubeconfig").read_text() == "apiVersion: v1\n"


def test_kind_reuses_an_existing_cluster(tmp_path):
    runner = FakeRunner({("kind", "get", "clusters"): "tcb\n"})
    target = kind.KindCluster(runner=runner)
    target.kubeconfig = tmp_path / "tcb.kubeconfig"
    info = target.ensure_up()
    assert not any(call[:3] == ["kind", "create", "cluster"] for call in runner.calls)
    assert info.started_by_us is False


def test_kind_loads_images_with_kind_load_and_deletes_on_teardown():
    runner = FakeRunner()
    target = kind.KindCluster(runner=runner)
    target.load_images(["todo-chatbot/backend:abc123", "todo-chatbot/frontend:def456"])
    target.teardown()
    assert runner.calls[0] == [
        "kind",
        "load",
        "docker-image",
        "--name",
        "tcb",
        "todo-chatbot/backend:abc123",
        "todo-chatbot/frontend:def456",
    ]
    assert runner.calls[1][:5] == ["kind", "delete", "cluster", "--name", "tcb"]


def test_minikube_not_installed_is_reported():
    assert minikube.MinikubeCluster(which=lambda p: None).available() == (False, "minikube not found on PATH")


def test_minikube_starts_a_stopped_profile_into_a_private_kubeconfig():
    runner = FakeRunner(
        {("minikube", "status"): json.dumps({"Host": "Stopped"}), ("minikube", "ip"): "192.168.49.2\n"}
    )
    target = minikube.MinikubeCluster(runner=runner)
    info = target.ensure_up()
    assert ["minikube", "start", "-p", "tcb", "--wait=all"] in runner.calls
    assert all(env == {"KUBECONFIG": str(target.kubeconfig)} for env in runner.envs)
    assert info.node_address == "192.168.49.2" and info.started_by_us and info.context == "tcb"


def test_minikube_running_profile_is_reused():
    runner = FakeRunner(
        {("minikube", "status"): json.dumps({"Host": "Running"}), ("minikube", "ip"): "10.0.0.5"}
    )
    info = minikube.MinikubeCluster(runner=runner).ensure_up()
    assert not any(call[:2] == ["minikube", "start"] for call in runner.calls)
    assert ["minikube", "update-context", "-p", "tcb"] in runner.calls
    assert info.started_by_us is False


def test_minikube_loads_each_image_and_deletes_the_profile():
    runner = FakeRunner()
    target = minikube.MinikubeCluster(runner=runner)
    target.load_images(["todo-chatbot/backend:abc", "todo-chatbot/chatbot:def"])
    target.teardown()
    assert runner.calls == [
        ["minikube", "image", "load", "-p", "tcb", "todo-chatbot/backend:abc"],
        ["minikube", "image", "load", "-p", "tcb", "todo-chatbot/chatbot:def"],
        ["minikube", "delete", "-p", "tcb"],
    ]


def test_kubeconfig_target_pushes_to_the_registry_when_given():
    from harness.clusters.kubeconfig import KubeconfigCluster

    runner = FakeRunner()
    target = KubeconfigCluster(Path("/nonexistent"), image_registry="registry.local:5000/", runner=runner)
    target.load_images(["todo-chatbot/backend:abc"])
    assert runner.calls == [
        ["docker", "tag", "todo-chatbot/backend:abc", "registry.local:5000/todo-chatbot/backend:abc"],
        ["docker", "push", "registry.local:5000/todo-chatbot/backend:abc"],
    ]
