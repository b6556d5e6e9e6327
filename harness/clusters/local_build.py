"""Builds the local cluster's binaries from Go modules, pinned and cached by version outside the repo.

Kubernetes comes from the `k8s.io/kubernetes` module through the wrapper module in gobuild/k8s (its go.mod
pins the version and replaces the staging modules with their published tags); CoreDNS from gobuild/coredns,
a main package that links only the plugins the cluster's Corefile uses; kube-router is `go install`ed at a
pinned tag; the pause binary and the volume provisioner are small Go programs of ours (gobuild/pause,
gobuild/provisioner). CoreDNS, the pause binary and the provisioner are cached by a hash of their sources.
A second call finds everything under CACHE/<name>/<version or hash>/bin and builds nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.log import get_logger, phase
from harness.paths import CACHE, ensure
from harness.proc import run, which

log = get_logger("local-cluster")

GOBUILD = Path(__file__).resolve().parent / "gobuild"
K8S_MODULE = GOBUILD / "k8s"
PAUSE_MODULE = GOBUILD / "pause"
COREDNS_MODULE = GOBUILD / "coredns"  # go.mod pins it; main.go names the plugins (docs/local-cluster.md)
COREDNS_VERSION = "v1.14.7"
# plugins that register themselves because a plugin we use imports their package (forward: debug, dnstap,
# metadata; kubernetes and cache: metadata, transfer); not in main.go's directives: no Corefile can use them
COREDNS_IMPORTED_ONLY = frozenset({"debug", "dnstap", "metadata", "transfer"})
# the volume provisioner (sig-storage-lib-external-provisioner; client-go pinned to the Kubernetes build's, so
# the Go build cache holds most of its packages already)
PROVISIONER_MODULE = GOBUILD / "provisioner"
PROVISIONER_NAME = "todo-chatbot.local/hostpath"  # the StorageClass `standard`'s provisioner
LEGACY_PROVISIONER_NAME = "rancher.io/local-path"  # what state dirs from before served their volumes with
# NetworkPolicy enforcement: kube-router run with only its network-policy controller. v2.1.0 is the only v2
# tag the module proxy serves here; its published advisory (GHSA-phqm-jgc3-qf8g) is in the service proxy,
# which the local cluster does not run
KUBE_ROUTER_VERSION = "v2.1.0"
K8S_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
)
GO_CACHE = CACHE / "go"
MIN_GO = "1.25"  # the highest `go` line among the pinned modules (Kubernetes 1.35, CoreDNS 1.14)
GO_TOOLCHAIN = "1.26.8"  # installed from the module proxy when no new-enough Go is on the machine
BUILD_TIMES = CACHE / "local-cluster-build-times.json"  # measured build durations (benchmarks read them)
_BUILD_TIMES_LOCK = threading.Lock()
_TOOLCHAIN_LOCK = threading.Lock()


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
    provisioner: Path
    kube_router: Path
    pause: Path

    def k8s_bin(self, name: str) -> Path:
        return self.k8s / name


def binaries() -> Binaries:
    """Where the cached binaries are (or will be) for the pinned versions."""
    return Binaries(
        k8s=CACHE / "k8s" / k8s_version() / "bin",
        coredns=CACHE / "coredns" / f"{COREDNS_VERSION}-{coredns_key()}" / "bin" / "coredns",
        provisioner=CACHE / "tcb-provisioner" / provisioner_key() / "bin" / "tcb-provisioner",
        kube_router=CACHE / "kube-router" / KUBE_ROUTER_VERSION / "bin" / "kube-router",
        pause=CACHE / "pause" / _pause_key() / "bin" / "pause",
    )


def is_built() -> bool:
    b = binaries()
    return all((b.k8s / c).exists() for c in K8S_COMMANDS) and all(
        p.exists() for p in (b.coredns, b.provisioner, b.kube_router, b.pause)
    )


def build_all() -> Binaries:
    """Build whatever is missing (progress is logged; a cold Kubernetes build takes ~12 min on 2 cores).

    Two at a time where that uses idle time on the cores: kube-router shares no package with Kubernetes
    (client-go v0.29 against v0.35) and spends its first minute downloading modules, so it builds beside the
    Kubernetes build from the start; the provisioner and CoreDNS compile against the Kubernetes build's
    packages (same k8s.io versions, same flags, same GOCACHE), so they start after it, side by side (each
    ends in a single-threaded link). A failure in either lane is raised after both lanes end."""
    b = binaries()
    if is_built():
        return b
    _go()  # the toolchain found or installed once, before two lanes ask for it
    # two workers: with Kubernetes cached, the provisioner must not queue behind kube-router
    with ThreadPoolExecutor(2, thread_name_prefix="go-build") as beside:
        lane: list[Future[None]] = []
        try:
            if not b.kube_router.exists():
                lane.append(beside.submit(build_kube_router, b.kube_router.parent))
            if not all((b.k8s / c).exists() for c in K8S_COMMANDS):
                build_kubernetes(b.k8s)
            if not b.provisioner.exists():
                lane.append(beside.submit(build_provisioner, b.provisioner.parent))
            build_coredns()
            if not b.pause.exists():
                _go_build(
                    "pause",
                    b.pause.parent,
                    ["build", "-trimpath", "-ldflags", "-s -w", "-o", "{out}/pause", "."],
                    cwd=PAUSE_MODULE,
                )
        except BaseException:
            for future in lane:  # the main lane's error is raised; one beside it is logged, not dropped
                if (error := future.exception()) is not None:
                    log.error("the build beside it failed too: %s", error)
            raise
        for future in lane:
            future.result()
    return b


def build_kubernetes(out: Path) -> None:
    """`go build` the Kubernetes commands into out/, stamped with the version as upstream's scripts do."""
    version = k8s_version()
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
        out,
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


def build_kube_router(out: Path) -> None:
    """`go install` kube-router at its pinned tag into out/."""
    _go_install(
        f"kube-router {KUBE_ROUTER_VERSION}",
        out,
        f"github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@{KUBE_ROUTER_VERSION}",
    )


def pin_kubernetes(version: str) -> None:
    """Point the wrapper module at another `k8s.io/kubernetes` version (e.g. v1.36.3).

    `go install k8s.io/kubernetes/cmd/...@v` cannot work: the module requires its staging modules as v0.0.0
    and replaces them with ./staging paths, which only apply in the main module. So the wrapper replaces each
    staging module with its published tag (v1.X.Y -> v0.X.Y); the list comes from Kubernetes' own go.mod.
    """
    go, env = _go(), _go_env({"GOFLAGS": "-buildvcs=false"})
    info = json.loads(
        run([go, "mod", "download", "-json", f"k8s.io/kubernetes@{version}"], cwd="/", env=env).stdout
    )
    staging = re.findall(
        r"^\s*(k8s\.io/[\w.-]+) => \./staging/", Path(info["GoMod"]).read_text(), re.MULTILINE
    )
    go_line = re.search(r"^go (\S+)", Path(info["GoMod"]).read_text(), re.MULTILINE)
    published = "v0." + version.removeprefix("v1.")
    lines = [
        "module todo-chatbot/k8sbuild",
        "",
        f"go {go_line.group(1) if go_line else MIN_GO}",
        "",
        f"require k8s.io/kubernetes {version}",
        "",
        "replace (",
    ]
    lines += [f"\t{module} => {module} {published}" for module in sorted(staging)] + [")", ""]
    (K8S_MODULE / "go.mod").write_text("\n".join(lines))
    (K8S_MODULE / "go.sum").unlink(missing_ok=True)
    run([go, "mod", "tidy"], cwd=K8S_MODULE, env=env)
    log.info("wrapper module now pins Kubernetes %s (%d staging modules replaced)", version, len(staging))


def build_coredns() -> Path:
    """The cached CoreDNS binary of gobuild/coredns, built (and checked against the Corefile) if missing."""
    binary = binaries().coredns
    if not binary.exists():
        _go_build(
            f"CoreDNS {COREDNS_VERSION} (the Corefile's plugins)",
            binary.parent,
            ["build", "-p", "2", "-trimpath", "-ldflags", "-s -w", "-o", "{out}/coredns", "."],
            cwd=COREDNS_MODULE,
            verify=lambda out: check_coredns_plugins(out / "coredns"),
        )
    return binary


def coredns_key() -> str:
    """The CoreDNS build's cache key: its module's files (go.mod, go.sum, main.go) and the pinned version."""
    import hashlib

    go_mod = (COREDNS_MODULE / "go.mod").read_text()
    pinned = re.search(r"^(?:require)?\s*github\.com/coredns/coredns (v\S+)", go_mod, re.MULTILINE)
    if not pinned or pinned.group(1) != COREDNS_VERSION:
        raise RuntimeError(
            f"{COREDNS_MODULE / 'go.mod'} requires CoreDNS {pinned.group(1) if pinned else '(none)'} but "
            f"local_build.COREDNS_VERSION is {COREDNS_VERSION}: set both to the same version, then run "
            "`go mod tidy` in that directory"
        )
    digest = hashlib.sha256(COREDNS_VERSION.encode())
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update(b"\0" + name.encode() + b"\0" + (COREDNS_MODULE / name).read_bytes())
    return digest.hexdigest()[:12]


def cluster_corefile() -> str:
    """The Corefile the local cluster's CoreDNS runs (from its ConfigMap in local_manifests)."""
    import yaml

    from harness.clusters.local_config import DNS_IP, DOMAIN
    from harness.clusters.local_manifests import COREDNS_MANIFEST

    docs = yaml.safe_load_all(COREDNS_MANIFEST.format(image="coredns", dns_ip=DNS_IP, domain=DOMAIN))
    return str(next(d["data"]["Corefile"] for d in docs if d and d["kind"] == "ConfigMap"))


def corefile_directives(corefile: str) -> list[str]:
    """The plugins a Corefile uses: the first word of each line directly inside a server block."""
    found: list[str] = []
    depth = 0
    for line in corefile.splitlines():
        words = line.split("#", 1)[0].split()
        if words and depth == 1 and words[0] not in ("{", "}") and words[0] not in found:
            found.append(words[0])
        depth += line.count("{") - line.count("}")
    return found


def check_coredns_plugins(binary: Path) -> None:
    """The binary registers exactly the local cluster's Corefile plugins (plus COREDNS_IMPORTED_ONLY)."""
    listed = set(run([str(binary), "-plugins"], quiet=True).stdout.split())
    wanted = set(corefile_directives(cluster_corefile())) | COREDNS_IMPORTED_ONLY
    if listed != wanted:
        raise RuntimeError(
            f"{binary} has plugins {sorted(listed - wanted)} the Corefile does not use and lacks "
            f"{sorted(wanted - listed)}: make the imports and `directives` in {COREDNS_MODULE / 'main.go'} "
            "match the Corefile in harness/clusters/local_manifests.py (docs/local-cluster.md, CoreDNS)"
        )


def build_provisioner(out: Path) -> None:
    """`go build` the volume provisioner into out/ (the flags the Kubernetes build uses, so packages both
    compile, client-go above all, come out of the same Go build cache entries)."""
    _go_build(
        f"tcb-provisioner {provisioner_key()}",
        out,
        ["build", "-p", "2", "-trimpath", "-ldflags", "-s -w", "-o", "{out}/tcb-provisioner", "."],
        cwd=PROVISIONER_MODULE,
    )


def provisioner_key() -> str:
    """The provisioner's cache key: a hash of its module's sources (go.mod, go.sum, non-test .go files)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(PROVISIONER_MODULE.iterdir()):
        if path.name in ("go.mod", "go.sum") or (path.suffix == ".go" and not path.stem.endswith("_test")):
            digest.update(f"{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def provisioner_version_skew(module: Path = PROVISIONER_MODULE, kubernetes: Path = K8S_MODULE) -> list[str]:
    """Modules the provisioner compiles at another version than the Kubernetes build, as
    `path ours, kubernetes theirs` (a version `a=>b` is one replaced). With -trimpath the Go build cache keys
    a package by its module's version, so each of these modules' packages, and every package importing them,
    is compiled twice. The k8s.io modules (client-go, api, apimachinery) must never be here."""
    go = _go()
    # the module proxy as configured: `go list -m all` reads the go.mod of every module in the graph, also of
    # those no build compiles, which a bare machine's module cache does not have after the builds (with the
    # proxy off both tests of this failed on the first cold machine: "cyphar.com/go-pathrs@v0.2.1: module
    # lookup disabled by GOPROXY=off"); -mod=readonly and go.sum still verify whatever is fetched
    env = _go_env({})

    def version(fields: list[str]) -> str:  # `path v` or `path v => path w` / `path v => ./dir`
        return fields[1] if len(fields) < 4 else f"{fields[1]}=>{fields[-1]}"

    fmt = "{{with .Module}}{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}{{end}}"
    listed = run([go, "list", "-deps", "-f", fmt, "."], cwd=module, env=env, quiet=True).stdout
    ours = {line.split()[0]: version(line.split()) for line in listed.splitlines() if len(line.split()) >= 2}
    listed = run([go, "list", "-m", "all"], cwd=kubernetes, env=env, quiet=True).stdout
    theirs = {
        line.split()[0]: version(line.split()) for line in listed.splitlines() if len(line.split()) >= 2
    }
    # the wrapper replaces each staging module by its own published version (`v0.35.4=>v0.35.4`)
    theirs = {path: v.split("=>")[0] if len(set(v.split("=>"))) == 1 else v for path, v in theirs.items()}
    return sorted(
        f"{path} {v}, kubernetes {theirs[path]}"
        for path, v in ours.items()
        if path in theirs and theirs[path] != v
    )


def _pause_key() -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in ("go.mod", "main.go"):
        digest.update((PAUSE_MODULE / name).read_bytes())
    return digest.hexdigest()[:12]


def _go() -> str:
    """A Go toolchain new enough for the pinned modules: the one on PATH, or the pinned toolchain module."""
    go = which("go", Path("/usr/local/go/bin"), Path("/usr/lib/go/bin"))
    if go and _go_version(go) >= _version_tuple(MIN_GO):
        return go
    with _TOOLCHAIN_LOCK:  # build_all's two lanes: one download and unpack into the cache, not two at once
        return str(ensure_go_toolchain())


def _go_version(go: str) -> tuple[int, ...]:
    out = run([go, "env", "GOVERSION"], check=False, quiet=True).stdout.strip()  # e.g. go1.26.8
    return _version_tuple(out.removeprefix("go")) if out.startswith("go1.") else (0,)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def ensure_go_toolchain() -> Path:
    """Install Go GO_TOOLCHAIN from the module proxy (`golang.org/toolchain`, what GOTOOLCHAIN=auto uses) into
    the cache, checked against the checksum database. Debian bookworm only packages Go 1.19."""
    import base64
    import hashlib
    import zipfile

    from harness import http_client

    root = CACHE / "go-toolchain" / GO_TOOLCHAIN
    go = root / "bin" / "go"
    if go.exists():
        return go
    module = f"golang.org/toolchain@v0.0.1-go{GO_TOOLCHAIN}.linux-amd64"
    proxy = next(
        (p for p in os.environ.get("GOPROXY", "").split(",") if p.startswith("http")),
        "https://proxy.golang.org",
    ).rstrip("/")
    name, version = module.split("@")
    log.info("Go %s not found: downloading the toolchain module %s from %s", GO_TOOLCHAIN, module, proxy)
    with http_client.client(timeout=600, follow_redirects=True) as http:  # each request's bound, not a wait
        lookup = http.get(f"{proxy}/sumdb/sum.golang.org/lookup/{module}")
        lookup.raise_for_status()
        expected = next(
            line.split()[2] for line in lookup.text.splitlines() if line.startswith(f"{name} {version} h1:")
        )
        archive = ensure(CACHE / "tmp") / f"go{GO_TOOLCHAIN}.zip"
        with http.stream("GET", f"{proxy}/{name}/@v/{version}.zip") as response, open(archive, "wb") as out:
            response.raise_for_status()
            for chunk in response.iter_bytes(1 << 20):
                out.write(chunk)
    with zipfile.ZipFile(archive) as zf:
        # go.sum's h1: hash (golang.org/x/mod/sumdb/dirhash Hash1) over the zip's files
        lines = "".join(f"{hashlib.sha256(zf.read(n)).hexdigest()}  {n}\n" for n in sorted(zf.namelist()))
        actual = "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()
        if actual != expected:
            raise RuntimeError(
                f"{module}: checksum {actual} does not match the checksum database ({expected})"
            )
        tmp = root.with_name(root.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        prefix = f"{module}/"
        for info in zf.infolist():
            if info.is_dir():
                continue
            target = tmp / info.filename.removeprefix(prefix)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    archive.unlink()
    _publish(tmp, root)
    log.info("Go %s installed in %s", GO_TOOLCHAIN, root)
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


def _go_build(
    what: str, out: Path, args: list[str], *, cwd: Path, verify: Callable[[Path], None] | None = None
) -> None:
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    ensure(tmp)
    _with_heartbeat(
        what, lambda: run([_go(), *(a.replace("{out}", str(tmp)) for a in args)], cwd=cwd, env=_go_env())
    )
    if verify:
        verify(tmp)  # raises before the build is published, so a wrong binary is never cached
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
        with phase(f"go build {what}"):  # on the terminal: elapsed against the last build of the same thing
            action()
    finally:
        done.set()
        thread.join()
    elapsed = time.monotonic() - start
    log.info("built %s in %.0f s", what, elapsed)
    finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with _BUILD_TIMES_LOCK:  # two builds run side by side (build_all): one read-modify-write at a time
        times = json.loads(BUILD_TIMES.read_text()) if BUILD_TIMES.exists() else {}
        times[what] = {"seconds": round(elapsed, 1), "finished": finished}
        BUILD_TIMES.write_text(json.dumps(times, indent=2))
