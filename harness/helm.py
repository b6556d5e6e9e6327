"""The pinned helm binary (built from its Go module, no downloads outside the registries) and `Helm`, the one
front door to it: offline `lint` and `template`, and releases (install, upgrade, test, status, uninstall)
through pyhelm3.

One `--set` semantics everywhere: values reach helm as one values tree on stdin (`--values -`, after any
values files, so they win as `--set` would), never as `--set` arguments; secrets therefore never appear on a
command line. `values_tree()` builds that tree: a mapping's values are used as they are (a string stays a
string), and `key=value` text (the CLI's `--set`, a scenario's step) is read as helm's `--set` reads it: a
YAML scalar, except that keys ending in `tag` stay strings (image tags made of digits).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pyhelm3
import pyhelm3.errors
import yaml

from harness.components import CHART
from harness.log import get_logger, phase
from harness.paths import TOOLS_BIN, ensure
from harness.proc import CommandError, run, which
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("helm")
# pyhelm3 logs every failed helm call as a warning, even the expected "release: not found"; Helm raises with
# helm's message itself
logging.getLogger("pyhelm3").setLevel(logging.ERROR)
T = TypeVar("T")

HELM_VERSION = "v3.21.4"
HELM_MODULE = "helm.sh/helm/v3"
# Kubernetes version offline renders and lint assume (the local cluster's minor); the chart needs >= 1.30.
KUBE_VERSION = "1.35.0"


def helm_path(version: str = HELM_VERSION) -> Path:
    """Where the pinned helm lives: one directory per version, so versions never overwrite each other."""
    return TOOLS_BIN / f"helm-{version}" / "helm"


def ensure_helm(version: str = HELM_VERSION) -> Path:
    """Return the pinned helm, building it with `go install` from the Go module proxy on first use.

    helm's go.mod has no replace directives, so a plain `go install <module>/cmd/helm@<version>` builds
    exactly the released code; the ldflag sets the version helm reports (pyhelm3 parses it as semver).
    """
    target = helm_path(version)
    if target.is_file() and os.access(target, os.X_OK):
        return target
    from harness.baseimages import build_lock  # only on a build: the fast path above stays import-free

    # one build at a time across threads and processes (the run's early start builds it beside the images
    # while a chart scenario may ask for it too); whoever waited finds the binary the other one built
    with build_lock(f"helm-{version}"):
        if target.is_file() and os.access(target, os.X_OK):
            return target
        return _build_helm(version, target)


def _build_helm(version: str, target: Path) -> Path:
    go = which("go", Path("/usr/local/go/bin"))
    if go is None:
        raise FileNotFoundError(
            "go not found on PATH or in /usr/local/go/bin: run `scripts/setup` to install it"
        )
    ensure(target.parent)
    log.info("building helm %s with go install (first run only; a few minutes on a small machine)", version)
    started = time.monotonic()
    # Build into a scratch dir and rename, so an interrupted build never leaves a half-written binary behind.
    # A progress phase: on the terminal, the build's elapsed time against the last build of this version.
    with (
        phase(
            f"go build helm {version}", f"helm {version}: go install from the module proxy (first run only)"
        ),
        tempfile.TemporaryDirectory(dir=target.parent) as scratch,
    ):
        run(
            [
                go,
                "install",
                "-trimpath",
                "-ldflags",
                f"-s -w -X {HELM_MODULE}/internal/version.version={version}"
                f" -X {HELM_MODULE}/internal/version.gitTreeState=clean",
                f"{HELM_MODULE}/cmd/helm@{version}",
            ],
            env={"GOBIN": scratch, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"},
            cwd=scratch,  # outside any module, so go install resolves the module from the proxy
            stream=True,
        )
        os.replace(Path(scratch) / "helm", target)
    reported = run([target, "version", "--template", "{{ .Version }}"], quiet=True).stdout.strip()
    if reported != version:
        raise RuntimeError(
            f"built helm reports {reported!r}, expected {version!r}: check the -X ldflags path"
        )
    log.info("helm %s ready at %s (%.0fs)", version, target, time.monotonic() - started)
    return target


# --- values: the one --set semantics ---------------------------------------------------------------------
SetValues = Mapping[str, Any] | Iterable[str]


def values_tree(set_values: SetValues | None) -> dict[str, Any]:
    """`a.b.c` keys with values (a mapping, or `a.b.c=v` pairs) as a nested values tree.

    A mapping's values are used as they are; a pair's value is read as a YAML scalar (true, 3, null) as helm's
    `--set` reads it, unless its key ends in `tag` (image tags made of digits stay strings).
    """
    if not set_values:
        return {}
    if isinstance(set_values, Mapping):
        items: Iterable[tuple[str, Any]] = set_values.items()
    else:
        items = (_parse_pair(p) for p in set_values)
    tree: dict[str, Any] = {}
    for key, value in items:
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def _parse_pair(pair: str) -> tuple[str, Any]:
    key, sep, raw = pair.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--set expects key=value, got {pair!r}")
    if key.lower().endswith("tag"):
        return key, raw
    return key, yaml.safe_load(raw) if raw else ""


@functools.lru_cache(maxsize=32)
def _pyhelm3_client(executable: str, kubeconfig: Path, context: str | None, timeout: str) -> pyhelm3.Client:
    """One pyhelm3 client per helm binary and cluster: each new one runs `helm version` first (a process of
    0.2-0.5 s), and a run makes dozens of helm calls. It keeps no state between calls but that version."""
    return pyhelm3.Client(
        executable=executable, kubeconfig=kubeconfig, kubecontext=context, default_timeout=timeout
    )


# --- the front door ---------------------------------------------------------------------------------------
class Helm:
    """The pinned helm against one cluster (kubeconfig and context), or offline (no kubeconfig)."""

    def __init__(self, kubeconfig: Path | None = None, context: str | None = None, timeout: str = "10m"):
        self.kubeconfig = kubeconfig
        self.context = context
        self.timeout = timeout

    # --- command lines --------------------------------------------------------------------------------------
    def argv(self, *args: str, namespace: str | None = None) -> list[str]:
        """helm's command line with this cluster's flags (for a command pyhelm3 does not offer)."""
        argv = [str(ensure_helm()), *args]
        if namespace:
            argv += ["--namespace", namespace]
        if self.kubeconfig is not None:
            argv += ["--kubeconfig", str(self.kubeconfig)]
        if self.context:
            argv += ["--kube-context", self.context]
        return argv

    @staticmethod
    def _values_args(
        values_files: Sequence[Path], set_values: SetValues | None
    ) -> tuple[list[str], str | None]:
        args = [arg for path in values_files for arg in ("--values", str(path))]
        tree = values_tree(set_values)
        if not tree:
            return args, None
        return [*args, "--values", "-"], json.dumps(tree)

    # --- offline --------------------------------------------------------------------------------------------
    def lint(
        self,
        chart: Path = CHART,
        values_files: Sequence[Path] = (),
        set_values: SetValues | None = None,
        *,
        strict: bool = True,
        kube_version: str = KUBE_VERSION,
    ) -> str:
        """`helm lint` the chart; returns its output, raises CommandError with helm's findings if any."""
        values_args, stdin = self._values_args(values_files, set_values)
        argv = [str(ensure_helm()), "lint", str(chart), "--kube-version", kube_version, *values_args]
        if strict:
            argv.append("--strict")
        proc = run(argv, input=stdin, check=False)
        if proc.returncode != 0:
            # helm lint reports its findings on stdout and only the summary on stderr: the error carries both
            raise CommandError(argv, proc.returncode, proc.stdout, f"{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def template(
        self,
        chart: Path = CHART,
        values_files: Sequence[Path] = (),
        set_values: SetValues | None = None,
        *,
        release: str = "todo",
        namespace: str = "todo",
        kube_version: str = KUBE_VERSION,
        is_upgrade: bool = False,
        no_hooks: bool = False,
    ) -> str:
        """Render the chart offline (`helm template`) and return the manifests as one YAML stream.

        `is_upgrade` renders as for `helm upgrade` (`.Release.IsInstall` false); `no_hooks` leaves out hooks
        (the `helm test` pods). Raises CommandError whose message carries helm's error (e.g. a `required`
        value's message).
        """
        values_args, stdin = self._values_args(values_files, set_values)
        argv = [
            str(ensure_helm()),
            "template",
            release,
            str(chart),
            "--namespace",
            namespace,
            "--kube-version",
            kube_version,
            *values_args,
        ]
        if is_upgrade:
            argv.append("--is-upgrade")
        if no_hooks:
            argv.append("--no-hooks")
        return run(argv, input=stdin, quiet=True).stdout

    # --- releases (pyhelm3) ---------------------------------------------------------------------------------
    def client(self) -> pyhelm3.Client:
        """A pyhelm3 client that runs the pinned helm against this kubeconfig (and context)."""
        if self.kubeconfig is None:
            raise ValueError(
                "Helm() without a kubeconfig only lints and renders: pass the cluster's kubeconfig"
            )
        return _pyhelm3_client(str(ensure_helm()), self.kubeconfig, self.context, self.timeout)

    def install_or_upgrade(
        self,
        release: str,
        namespace: str,
        values: Mapping[str, Any],
        *,
        chart: Path = CHART,
        reuse_values: bool = False,
        timeout: float = DEFAULT_TIMEOUTS.install,
    ) -> int:
        """`helm upgrade --install` of a values tree into an existing namespace; returns the new revision."""
        client = self.client()

        async def go() -> Any:
            loaded = await client.get_chart(chart)
            return await client.install_or_upgrade_release(
                release,
                loaded,
                dict(values),
                namespace=namespace,
                create_namespace=False,
                reuse_values=reuse_values,
                timeout=f"{int(timeout)}s",
            )

        what = "helm upgrade" if reuse_values else "helm upgrade --install"
        return int(_helm_call(what, go).revision)

    def uninstall(
        self, release: str, namespace: str, *, timeout: float | None = None, wait: bool = True
    ) -> None:
        """`helm uninstall`; wait: until its objects are gone (pods after their preStop drain)."""
        client = self.client()
        wait_for = f"{int(timeout)}s" if timeout is not None and wait else None
        _helm_call(
            "helm uninstall",
            lambda: client.uninstall_release(release, namespace=namespace, wait=wait, timeout=wait_for),
        )

    def current_revision(self, release: str, namespace: str) -> Any:
        """pyhelm3's current revision; raises pyhelm3.errors.ReleaseNotFoundError when there is none."""
        return _sync(self.client().get_current_revision(release, namespace=namespace))

    def revision_values(self, release: str, namespace: str, *, computed: bool = False) -> dict[str, Any]:
        """The values of the release's current revision (computed: merged with the chart's defaults)."""
        client = self.client()

        async def values() -> dict[str, Any]:
            revision = await client.get_current_revision(release, namespace=namespace)
            return dict(await revision.values(computed=computed) or {})

        return _sync(values())

    def test_hooks(self, release: str, namespace: str) -> list[Any]:
        """The `helm test` hooks of the current revision (name, phase)."""
        client = self.client()

        async def hooks() -> list[Any]:
            revision = await client.get_current_revision(release, namespace=namespace)
            return [
                h for h in await revision.hooks() if "test" in [str(getattr(e, "value", e)) for e in h.events]
            ]

        return _sync(hooks())

    def run_tests(self, release: str, namespace: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """`helm test` (a failed test pod is a result, not an error)."""
        argv = self.argv("test", release, "--timeout", f"{int(timeout)}s", namespace=namespace)
        return run(argv, check=False)

    def rollback(
        self, release: str, namespace: str, revision: int, *, timeout: float, wait: bool = True
    ) -> None:
        """`helm rollback` (pyhelm3 has none): back to `revision`'s values and manifests, waiting for them
        unless wait=False."""
        waiting = ["--wait", "--timeout", f"{int(timeout)}s"] if wait else []
        run(self.argv("rollback", release, str(revision), *waiting, namespace=namespace), quiet=True)

    def notes(self, release: str, namespace: str) -> str:
        return run(self.argv("get", "notes", release, namespace=namespace), quiet=True).stdout


def _sync(coro: Awaitable[T]) -> T:
    async def wrapped() -> T:
        return await coro

    return asyncio.run(wrapped())


def _helm_call(what: str, factory: Callable[[], Awaitable[T]]) -> T:
    try:
        return _sync(factory())
    except pyhelm3.errors.Error as exc:
        raise RuntimeError(f"{what} failed: {exc.stderr.decode(errors='replace').strip()}") from exc


# the offline commands, for the chart tests and steps
def lint(
    chart: Path = CHART,
    values_files: Sequence[Path] = (),
    set_values: SetValues | None = None,
    *,
    strict: bool = True,
    kube_version: str = KUBE_VERSION,
) -> str:
    return Helm().lint(chart, values_files, set_values, strict=strict, kube_version=kube_version)


def template(
    chart: Path = CHART,
    values_files: Sequence[Path] = (),
    set_values: SetValues | None = None,
    *,
    release: str = "todo",
    namespace: str = "todo",
    kube_version: str = KUBE_VERSION,
    is_upgrade: bool = False,
) -> str:
    return Helm().template(
        chart,
        values_files,
        set_values,
        release=release,
        namespace=namespace,
        kube_version=kube_version,
        is_upgrade=is_upgrade,
    )
