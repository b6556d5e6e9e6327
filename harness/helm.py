"""The pinned helm binary (built from its Go module, no downloads outside the registries) and thin helpers
over it: a pyhelm3 client for installs, `lint` and `template` for the chart tests and the acceptance harness.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyhelm3

from harness.log import get_logger
from harness.paths import REPO, TOOLS_BIN, ensure
from harness.proc import CommandError, run, which

log = get_logger("helm")

HELM_VERSION = "v3.21.4"
HELM_MODULE = "helm.sh/helm/v3"
CHART = REPO / "chart"
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
    go = which("go", Path("/usr/local/go/bin"))
    if go is None:
        raise FileNotFoundError(
            "go not found on PATH or in /usr/local/go/bin: run `scripts/setup` to install it"
        )
    ensure(target.parent)
    log.info("building helm %s with go install (first run only; a few minutes on a small machine)", version)
    started = time.monotonic()
    # Build into a scratch dir and rename, so an interrupted build never leaves a half-written binary behind.
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
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


def helm_client(kubeconfig: Path, context: str | None = None, timeout: str = "10m") -> pyhelm3.Client:
    """A pyhelm3 client that runs the pinned helm against the given kubeconfig (and context)."""
    return pyhelm3.Client(
        executable=str(ensure_helm()),
        kubeconfig=kubeconfig,
        kubecontext=context,
        default_timeout=timeout,
    )


SetValues = Mapping[str, str | bool | int]


def _value_args(values_files: Sequence[Path], set_values: SetValues | None) -> list[str]:
    args: list[str] = []
    for path in values_files:
        args += ["--values", str(path)]
    for key, value in (set_values or {}).items():
        if isinstance(value, str):
            # --set-string: a secret or an image tag made only of digits must stay a string
            args += ["--set-string", f"{key}={value}"]
        else:
            args += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    return args


def lint(
    chart: Path = CHART,
    values_files: Sequence[Path] = (),
    set_values: SetValues | None = None,
    *,
    strict: bool = True,
    kube_version: str = KUBE_VERSION,
) -> str:
    """`helm lint` the chart; returns its output, raises CommandError with helm's messages on any finding."""
    argv = [
        str(ensure_helm()),
        "lint",
        str(chart),
        "--kube-version",
        kube_version,
        *_value_args(values_files, set_values),
    ]
    if strict:
        argv.append("--strict")
    proc = run(argv, check=False)
    if proc.returncode != 0:
        # helm lint reports its findings on stdout and only the summary on stderr: the error carries both
        raise CommandError(argv, proc.returncode, proc.stdout, f"{proc.stdout}\n{proc.stderr}")
    return proc.stdout


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
    """Render the chart offline (`helm template`) and return the manifests as one YAML stream.

    `is_upgrade` renders as for `helm upgrade` (`.Release.IsInstall` false). Raises CommandError whose message
    carries helm's error (e.g. a `required` value's message).
    """
    argv = [
        str(ensure_helm()),
        "template",
        release,
        str(chart),
        "--namespace",
        namespace,
        "--kube-version",
        kube_version,
        *_value_args(values_files, set_values),
    ]
    if is_upgrade:
        argv.append("--is-upgrade")
    return run(argv, quiet=True).stdout
