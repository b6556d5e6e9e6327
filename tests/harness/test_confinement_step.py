"""images.feature's "every application container in the cluster runs on a read-only root filesystem, without
privilege escalation or capabilities": the code it runs in each container (harness/checks/confinement.py)
reads the kernel's view of a process, here of a real one on this machine — once unconfined, once confined as
the chart's security context confines a container (`/` remounted read-only in a mount namespace of its own,
uid 1001, no_new_privs, no capabilities) — and the step fails naming each unconfined container (the
catalogue's `container-root-filesystem-writable` leaves the root filesystem writable)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.checks import confinement
from harness.timeouts import DEFAULT_TIMEOUTS
from steps import cluster_steps
from steps.evidence import Evidence

# the container's mount of / made read-only, then the process started as the chart's securityContext starts it
CONFINED = (
    "mount -o remount,bind,ro / && exec setpriv --reuid 1001 --regid 1001 --clear-groups --no-new-privs"
    ' --bounding-set=-all --inh-caps=-all "$0" -c "$1"'
)


def _probe(confined: bool, cwd: Path) -> tuple[int, str]:
    """PROBE run on its own process (TCB_PROBE_PID=self): (exit status, output), as exec_python returns it."""
    env = {**os.environ, "TCB_PROBE_PID": "self"}
    if not confined:
        args = [sys.executable, "-c", confinement.PROBE]
    else:
        # the system's python: uid 1001 can run it, unlike a venv's under /root
        python = shutil.which("python3", path="/usr/bin:/usr/local/bin")
        args = ["unshare", "-m", "sh", "-c", CONFINED, str(python), confinement.PROBE]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=30)
    return done.returncode, done.stdout + done.stderr


def _can_confine() -> bool:
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("setpriv")):
        return False
    done = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A working directory uid 1001 may write to: only a read-only root can refuse the probe's file there.
    Made in a directory of its own under /tmp (traversable by every user), never by widening the mode of an
    existing directory: pytest's base temporary directory stays 0700 (the test once made it 0711)."""
    tmp_path_factory.getbasetemp()  # made (and its parent's mode set to 0700 by pytest) before, not after
    base = Path(tempfile.mkdtemp(prefix="tcb-confine-", dir="/tmp"))
    try:
        base.chmod(0o711)
        path = base / "app"
        path.mkdir()
        path.chmod(0o777)
        yield path
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_an_unconfined_process_is_named_with_each_thing_it_is_allowed() -> None:
    code, output = _probe(confined=False, cwd=Path.cwd())
    assert code == 0, output
    problems = confinement.problems(json.loads(output.strip().splitlines()[-1]))
    assert any("not ro" in p for p in problems), problems
    assert any("cap_bounding" in p for p in problems), problems


@pytest.mark.skipif(not _can_confine(), reason="needs root, unshare and setpriv to confine a process")
def test_a_process_confined_as_the_chart_asks_passes(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    code, output = _probe(confined=True, cwd=workdir)
    # /tmp/pytest-of-<user>, private to its user; with --basetemp, that directory (pytest makes it 0700)
    basetemp = tmp_path_factory.getbasetemp()
    base = next((p for p in basetemp.parents if p.name.startswith("pytest-of-")), basetemp)
    assert base.stat().st_mode & 0o077 == 0, f"{base}'s mode was widened to {base.stat().st_mode & 0o777:o}"
    assert code == 0, output
    found = json.loads(output.strip().splitlines()[-1])
    assert confinement.problems(found) == [], found
    assert found["write_in_cwd"] == "EROFS"


def test_the_judge_names_each_missing_confinement() -> None:
    confined = {
        "root_options": "ro,relatime",
        "cwd": "/app",
        "write_in_cwd": "EROFS",
        "no_new_privs": "1",
        "cap_bounding": "0000000000000000",
        "cap_effective": "0000000000000000",
        "cap_permitted": "0000000000000000",
        "uid": ["1001", "1001", "1001", "1001"],
    }
    assert confinement.problems(confined) == []
    writable = {**confined, "root_options": "rw,relatime", "write_in_cwd": "EACCES"}
    assert [p.split(" (")[0] for p in confinement.problems(writable)] == [
        "its root filesystem is mounted rw,relatime",
        "creating a file in its working directory /app gave EACCES",
    ]
    assert confinement.problems({**confined, "no_new_privs": "0"}) == [
        "NoNewPrivs is '0' (privilege escalation allowed)"
    ]
    assert confinement.problems({**confined, "cap_bounding": "00000000a80425fb"}) == [
        "cap_bounding is 00000000a80425fb (capabilities kept)"
    ]


class _K8s:
    """The release's pods, each "exec" running the probe on a process of this machine."""

    def __init__(self, confined: dict[str, bool], cwd: Path) -> None:
        self.confined, self.cwd = confined, cwd  # pod name -> whether its container is confined

    def pods(self, namespace: str, selector: str) -> list[Any]:
        return [
            SimpleNamespace(
                metadata=SimpleNamespace(name=name, deletion_timestamp=None, annotations={}),
                status=SimpleNamespace(phase="Running"),
                spec=SimpleNamespace(containers=[SimpleNamespace(name=name.split("-")[0])]),
            )
            for name in self.confined
            if name.startswith(selector)
        ]

    def exec_python(self, namespace: str, pod: str, code: str, **kwargs: Any) -> tuple[int, str]:
        assert code == confinement.PROBE
        return _probe(self.confined[pod], self.cwd)


def _step(confined: dict[str, bool], cwd: Path, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    release: Any = SimpleNamespace(namespace="ns", component_selector=lambda component: component)
    k8s: Any = _K8s(confined, cwd)
    cluster_steps._containers_confined(release, k8s, Evidence(request.node, tmp_path), DEFAULT_TIMEOUTS)


@pytest.mark.skipif(not _can_confine(), reason="needs root, unshare and setpriv to confine a process")
def test_the_step_passes_confined_containers_and_names_an_unconfined_one(
    request: pytest.FixtureRequest, tmp_path: Path, workdir: Path
) -> None:
    cwd = workdir
    pods = {"backend-a": True, "chatbot-a": True, "frontend-a": True, "frontend-b": True}
    _step(pods, cwd, request, tmp_path / "evidence-ok")
    with pytest.raises(AssertionError) as caught:
        _step({**pods, "frontend-b": False}, cwd, request, tmp_path / "evidence-bad")
    message = str(caught.value)
    assert "frontend-b/frontend: its root filesystem is mounted rw" in message
    assert "backend-a" not in message and "frontend-a" not in message
