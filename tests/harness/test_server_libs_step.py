"""images.feature's "every application pod serves HTTP on uvloop and httptools": the code it runs in each pod
reads the server process's memory map (run here against a real uvicorn process, as its own user, with and
without uvloop and httptools), and the step fails naming the pods whose server lacks either."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.proc import Daemon
from harness.timeouts import DEFAULT_TIMEOUTS
from steps import cluster_steps
from steps.evidence import Evidence


def _libs_of(pid: int) -> dict[str, Any]:
    """SERVER_LIBS as the pod runs it, pointed at `pid` instead of the container's PID 1."""
    code = cluster_steps.SERVER_LIBS.replace("/proc/1/", f"/proc/{pid}/")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out))


@pytest.mark.parametrize("fast", [True, False])
def test_the_pod_code_sees_what_a_running_uvicorn_loaded(fast: bool, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["--loop", "uvloop", "--http", "httptools"] if fast else ["--loop", "asyncio", "--http", "h11"]
    repo = Path(__file__).resolve().parents[2]

    def answers() -> tuple[bool, str]:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True, "listening"
        except OSError as exc:
            return False, str(exc)

    server = Daemon(
        "uvicorn",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.harness.conftest:tiny_app",
            "--factory",
            "--port",
            str(port),
            *args,
        ],
        tmp_path / "uvicorn.log",
        health=answers,
        env={"PYTHONPATH": str(repo)},
        cwd=repo,
    )
    server.start()
    try:
        server.wait_healthy(20)
        pid = server.pid()
        assert pid is not None
        found = _libs_of(pid)
    finally:
        server.stop()
    assert "uvicorn" in found["cmd"]
    loaded = {
        lib for lib, path in cluster_steps.FAST_PATHS.items() if any(path in so for so in found["libs"])
    }
    assert loaded == ({"uvloop", "httptools"} if fast else set()), found


class _K8s:
    def __init__(self, libs: dict[str, list[str]]) -> None:
        self.libs = libs  # pod name -> shared objects its server has loaded

    def pods(self, namespace: str, selector: str) -> list[Any]:
        return [
            SimpleNamespace(
                metadata=SimpleNamespace(name=name, deletion_timestamp=None, annotations={}),
                status=SimpleNamespace(phase="Running"),
                spec=SimpleNamespace(containers=[SimpleNamespace(name="app")]),
            )
            for name in self.libs
            if name.startswith(selector)
        ]

    def exec_python(self, namespace: str, pod: str, code: str, **kwargs: Any) -> tuple[int, str]:
        cmd = f"python3 -m uvicorn todo_{pod.split('-')[0]}.main:app"
        return 0, json.dumps({"cmd": cmd, "libs": self.libs[pod]})


FAST = [
    "httptools/parser/parser.cpython-311-x86_64-linux-gnu.so",
    "uvloop/loop.cpython-311-x86_64-linux-gnu.so",
]


def _step(libs: dict[str, list[str]], request: pytest.FixtureRequest, tmp_path: Path) -> None:
    release: Any = SimpleNamespace(namespace="ns", component_selector=lambda component: component)
    k8s: Any = _K8s(libs)
    cluster_steps._pods_serve_on_uvloop_and_httptools(
        release,
        k8s,
        Evidence(request.node, tmp_path),
        DEFAULT_TIMEOUTS,
    )


def test_passes_when_every_server_has_both(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    _step({"backend-a": FAST, "chatbot-a": FAST, "frontend-a": FAST, "frontend-b": FAST}, request, tmp_path)


def test_fails_naming_the_pods_that_fell_back(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    libs = {"backend-a": FAST, "chatbot-a": FAST[:1], "frontend-a": [], "frontend-b": FAST}
    with pytest.raises(AssertionError) as caught:
        _step(libs, request, tmp_path)
    message = str(caught.value)
    assert "chatbot-a (chatbot) runs without uvloop;" in message
    assert "frontend-a (frontend) runs without uvloop and httptools" in message
    assert "backend-a" not in message and "frontend-b" not in message
