"""The order of the local cluster's cold builds (`local_build.build_all`), with the `go` invocations replaced
by recorders that sleep (a unit test of the scheduling around them; the real builds are exercised by every
cold acceptance run): kube-router builds beside the Kubernetes build from the start, the provisioner and
CoreDNS after it (they compile against its packages) side by side, and a failure in the side lane is raised
only after the main lane is done. A synchronous executor (the serial order of before) fails the overlap
checks, so they can fail."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from harness.clusters import local_build

STEP = 0.4  # seconds each recorded build "takes" (a thread start on a loaded machine stays well under it)


class Recorder:
    def __init__(self, fail: str | None = None) -> None:
        self.spans: dict[str, tuple[float, float]] = {}
        self.fail = fail
        self.lock = threading.Lock()

    def build(self, what: str, out: Path) -> None:
        start = time.monotonic()
        time.sleep(STEP)
        with self.lock:
            self.spans[what.split()[0]] = (start, time.monotonic())
        if self.fail and what.startswith(self.fail):
            raise RuntimeError(f"{what} failed")
        out.mkdir(parents=True, exist_ok=True)

    def toolchain(self) -> str:
        with self.lock:
            self.spans.setdefault("toolchain", (time.monotonic(), time.monotonic()))
        return "go"

    def overlap(self, a: str, b: str) -> bool:
        (a0, a1), (b0, b1) = self.spans[a], self.spans[b]
        return a0 < b1 and b0 < a1


class SynchronousExecutor:
    """The seeded defect: every submitted build runs at once, in the caller's thread (the serial order)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> SynchronousExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args))
        return future


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    binaries = local_build.Binaries(
        k8s=tmp_path / "k8s" / "bin",
        coredns=tmp_path / "coredns" / "bin" / "coredns",
        provisioner=tmp_path / "provisioner" / "bin" / "tcb-provisioner",
        kube_router=tmp_path / "kube-router" / "bin" / "kube-router",
        pause=tmp_path / "pause" / "bin" / "pause",
    )
    monkeypatch.setattr(local_build, "binaries", lambda: binaries)
    monkeypatch.setattr(local_build, "k8s_version", lambda: "v1.35.4")
    monkeypatch.setattr(local_build, "_go_build", lambda what, out, args, **kw: rec.build(what, out))
    monkeypatch.setattr(local_build, "_go_install", lambda what, out, package: rec.build(what, out))
    monkeypatch.setattr(local_build, "_go", rec.toolchain)
    return rec


def test_kube_router_builds_beside_kubernetes_and_the_provisioner_beside_coredns(recorder: Recorder) -> None:
    local_build.build_all()

    builds = {"Kubernetes", "kube-router", "tcb-provisioner", "CoreDNS", "pause"}
    assert set(recorder.spans) == builds | {"toolchain"}
    # the toolchain is resolved (installed if missing) once, before the two lanes could both install it
    assert recorder.spans["toolchain"][1] <= min(recorder.spans[b][0] for b in builds)
    assert recorder.overlap("Kubernetes", "kube-router")
    assert recorder.overlap("tcb-provisioner", "CoreDNS")
    # the provisioner and CoreDNS reuse the Kubernetes build's packages: never before it ends
    kubernetes_end = recorder.spans["Kubernetes"][1]
    assert recorder.spans["tcb-provisioner"][0] >= kubernetes_end
    assert recorder.spans["CoreDNS"][0] >= kubernetes_end


def test_the_serial_order_fails_the_overlap_checks(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_build, "ThreadPoolExecutor", SynchronousExecutor)
    local_build.build_all()
    assert not recorder.overlap("Kubernetes", "kube-router")
    assert not recorder.overlap("tcb-provisioner", "CoreDNS")


def test_a_failed_side_build_is_raised_after_the_main_lane_is_done(recorder: Recorder) -> None:
    recorder.fail = "kube-router"
    with pytest.raises(RuntimeError, match="kube-router"):
        local_build.build_all()
    assert "Kubernetes" in recorder.spans and "CoreDNS" in recorder.spans


def test_a_side_failure_is_logged_when_the_main_lane_fails(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.fail = "Kubernetes"
    broken = recorder.build

    def both_fail(what: str, out: Path) -> None:
        if what.startswith("kube-router"):
            time.sleep(STEP)
            raise RuntimeError("kube-router failed")
        broken(what, out)

    recorder.build = both_fail  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="Kubernetes"):
        local_build.build_all()
    assert "the build beside it failed too: kube-router failed" in caplog.text


def test_with_kubernetes_cached_the_provisioner_does_not_wait_for_kube_router(recorder: Recorder) -> None:
    for name in local_build.K8S_COMMANDS:
        (local_build.binaries().k8s / name).parent.mkdir(parents=True, exist_ok=True)
        (local_build.binaries().k8s / name).touch()
    local_build.build_all()
    assert recorder.overlap("kube-router", "tcb-provisioner")


def test_nothing_is_built_twice(recorder: Recorder) -> None:
    local_build.build_all()
    recorder.spans.clear()
    for name in local_build.K8S_COMMANDS:
        (local_build.binaries().k8s / name).touch()
    for path in (local_build.binaries().coredns, local_build.binaries().provisioner):
        path.touch()
    local_build.binaries().kube_router.touch()
    local_build.binaries().pause.touch()
    local_build.build_all()
    assert recorder.spans == {}
