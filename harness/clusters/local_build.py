"""Builds the local cluster's binaries from Go modules, pinned and cached by version outside the repo.

Kubernetes comes from the `k8s.io/kubernetes` module through the wrapper module in gobuild/k8s (its go.mod
pins the version and replaces the staging modules with their published tags); CoreDNS and Rancher's
local-path-provisioner are `go install`ed at pinned tags; the pause binary is a tiny Go program
(gobuild/pause).
A second call finds everything under CACHE/<name>/<version>/bin and builds nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.log import get_logger
from harness.paths import CACHE, ensure
from harness.proc import run, which

log = get_logger("local-cluster")

GOBUILD = Path(__file__).resolve().parent / "gobuild"
K8S_MODULE = GOBUILD / "k8s"
PAUSE_MODULE = GOBUILD / "pause"
COREDNS_VERSION = "v1.14.7"
LOCAL_PATH_VERSION = "v0.0.30"  # the newest tag on the module proxy here; its go line (1.23) fits our Go
K8S_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
)
GO_CACHE = CACHE / "go"
BUILD_TIMES = CACHE / "local-cluster-build-times.json"  # measured build durations (benchmarks read them)


def k8s_version() -> str:
    """The Kubernetes version pinned by the wrapper module's go.mod (the one place it is written)."""
    go_mod = (K8S_MODULE / "go.mod").read_text()
    match = re.search(r"^(?:require)?\s*k8s\.io/kubernetes (v\S+)", go_mod, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no `k8s.io/kubernetes vX.Y.Z` requirement in {K8S_MODULE / 'go.mod'}")
    return match.group(1)


@dataclass(frozen=True)
class Binaries:
    k8s: Path  # directory with the six Kubernetes commands
    coredns: Path
    local_path_provisioner: Path
    pause: Path

    def k8s_bin(self, name: str) -> Path:
        return self.k8s / name


def binaries() -> Binaries:
    """Where the cached binaries are (or will be) for the pinned versions."""
    pause_key = _pause_key()
    return Binaries(
        k8s=CACHE / "k8s" / k8s_version() / "bin",
        coredns=CACHE / "coredns" / COREDNS_VERSION / "bin" / "coredns",
        local_path_provisioner=CACHE
        / "local-path-provisioner"
        / LOCAL_PATH_VERSION
        / "bin"
        / "local-path-provisioner",
        pause=CACHE / "pause" / pause_key / "bin" / "pause",
    )


def is_built() -> bool:
    b = binaries()
    return all((b.k8s / c).exists() for c in K8S_COMMANDS) and all(
        p.exists() for p in (b.coredns, b.local_path_provisioner, b.pause)
    )


def build_all() -> Binaries:
    """Build whatever is missing (progress is logged; a cold Kubernetes build takes ~20 min on 2 cores)."""
    b = binaries()
    version = k8s_version()
    if not all((b.k8s / c).exists() for c in K8S_COMMANDS):
        minor = version.lstrip("v").split(".")[1]
        ldflags = ["-s", "-w"]
        # the version stamps upstream's hack/lib/version.sh sets; a fixed buildDate keeps rebuilds cache hits
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
            ldflags += [
                f"-X {pkg}.gitVersion={version}",
                f"-X {pkg}.gitMajor=1",
                f"-X {pkg}.gitMinor={minor}",
                f"-X {pkg}.gitTreeState=clean",
                f"-X {pkg}.buildDate=2026-01-01T00:00:00Z",
            ]
        _go_build(
            f"Kubernetes {version} ({', '.join(K8S_COMMANDS)})",
            b.k8s,
            [
                "build",
                "-p",
                "2",
                "-trimpath",
                "-ldflags",
                " ".join(ldflags),
                "-o",
                "{out}/",
                *(f"k8s.io/kubernetes/cmd/{c}" for c in K8S_COMMANDS),
            ],
            cwd=K8S_MODULE,
        )
    if not b.coredns.exists():
        _go_install(
            f"CoreDNS {COREDNS_VERSION}", b.coredns.parent, f"github.com/coredns/coredns@{COREDNS_VERSION}"
        )
    if not b.local_path_provisioner.exists():
        _go_install(
            f"local-path-provisioner {LOCAL_PATH_VERSION}",
            b.local_path_provisioner.parent,
            f"github.com/rancher/local-path-provisioner@{LOCAL_PATH_VERSION}",
        )
    if not b.pause.exists():
        _go_build(
            "pause",
            b.pause.parent,
            ["build", "-trimpath", "-ldflags", "-s -w", "-o", "{out}/pause", "."],
            cwd=PAUSE_MODULE,
        )
    return b


def _pause_key() -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in ("go.mod", "main.go"):
        digest.update((PAUSE_MODULE / name).read_bytes())
    return digest.hexdigest()[:12]


def _go() -> str:
    go = which("go", Path("/usr/local/go/bin"), Path("/usr/lib/go/bin"))
    if not go:
        raise RuntimeError(
            "go not found on PATH or in /usr/local/go/bin: run `scripts/setup` (it installs Go)"
        )
    return go


def _go_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "GOMODCACHE": str(ensure(GO_CACHE / "mod")),
        "GOCACHE": str(ensure(GO_CACHE / "build")),
        "CGO_ENABLED": "0",  # static binaries, no C toolchain needed
        "GOFLAGS": "-mod=readonly -buildvcs=false",
        "GOTOOLCHAIN": "local",
        **(extra or {}),
    }


def _go_build(what: str, out: Path, args: list[str], *, cwd: Path) -> None:
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    ensure(tmp)
    _with_heartbeat(
        what, lambda: run([_go(), *(a.replace("{out}", str(tmp)) for a in args)], cwd=cwd, env=_go_env())
    )
    _publish(tmp, out)


def _go_install(what: str, out: Path, package: str) -> None:
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    ensure(tmp)
    env = _go_env({"GOBIN": str(tmp), "GOFLAGS": "-buildvcs=false"})  # `go install pkg@v` rejects -mod
    _with_heartbeat(
        what,
        lambda: run(
            [_go(), "install", "-p", "2", "-trimpath", "-ldflags", "-s -w", package], cwd="/", env=env
        ),
    )
    _publish(tmp, out)


def _publish(tmp: Path, out: Path) -> None:
    """Rename the finished build into place, so an interrupted build never looks cached."""
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)


def _with_heartbeat(what: str, action: Callable[[], object]) -> None:
    """Run a long build, logging every 30 s how long it has run (go build prints nothing until done)."""
    start = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(30):
            log.info("building %s: %.0f s so far", what, time.monotonic() - start)

    log.info("building %s (cache: %s)", what, GO_CACHE)
    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        action()
    finally:
        done.set()
        thread.join()
    elapsed = time.monotonic() - start
    log.info("built %s in %.0f s", what, elapsed)
    times = json.loads(BUILD_TIMES.read_text()) if BUILD_TIMES.exists() else {}
    finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    times[what] = {"seconds": round(elapsed, 1), "finished": finished}
    BUILD_TIMES.write_text(json.dumps(times, indent=2))
