"""The acceptance run's command-line options (`pytest --help`, section "todo-chatbot") and what they set up
before the run: the session state, the report paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.paths import REPO, REPORTS
from harness.timeouts import DEFAULT_TIMEOUTS
from steps.session import STATE, HarnessSession

FEATURES_DIR = REPO / "features"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("todo-chatbot", "todo-chatbot acceptance harness")
    group.addoption(
        "--target",
        default="auto",
        choices=["auto", "kubeconfig", "kind", "minikube", "local"],
        help="cluster target; auto = reachable kubeconfig context, kind, minikube, then local",
    )
    group.addoption(
        "--kubeconfig",
        type=Path,
        default=None,
        help="kubeconfig of an existing cluster (target kubeconfig; default $KUBECONFIG, ~/.kube/config)",
    )
    group.addoption(
        "--namespace",
        default=None,
        help="namespace to install into (default: a fresh tcb-<yyyymmdd-hhmmss>-<hex> per run)",
    )
    group.addoption(
        "--keep-on-failure",
        action="store_true",
        help="when a scenario failed, leave the release, namespace and cluster as they are",
    )
    group.addoption(
        "--reuse-cluster",
        action="store_true",
        help="leave the cluster running at the end even if this run started it",
    )
    group.addoption(
        "--image-registry",
        default=None,
        help="push the built images to this registry (HOST[:PORT]) for target kubeconfig",
    )
    group.addoption(
        "--values",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="extra chart values file (repeatable; later files win)",
    )
    group.addoption("--report-dir", type=Path, default=None, help=f"where reports go (default {REPORTS})")
    group.addoption(
        "--release",
        default=None,
        metavar="NAME",
        help="verify this already installed release (with --namespace) instead of installing",
    )
    group.addoption(
        "--deploy-timeout",
        type=float,
        default=DEFAULT_TIMEOUTS.install,
        help=f"seconds to wait for the chart's rollouts (default {DEFAULT_TIMEOUTS.install:.0f})",
    )
    group.addoption(
        "--timeout-scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="multiply every scenario wait's timeout (rollouts, pods, endpoints; see harness/timeouts.py)"
        " by FACTOR, for a slower machine (default 1)",
    )
    group.addoption(
        "--allow-not-verified",
        action="store_true",
        help="exit 0 even when a success criterion is NOT VERIFIED (e.g. a target whose NodePorts this"
        " machine cannot reach); by default an unproven criterion fails the run",
    )


def is_acceptance_run(config: pytest.Config) -> bool:
    args = [a.split("::")[0] for a in config.args if not a.startswith("-")] or list(
        config.getini("testpaths")
    )
    for arg in args:
        path = (config.invocation_params.dir / arg).resolve()
        if path == FEATURES_DIR or FEATURES_DIR in path.parents or path in FEATURES_DIR.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read their options
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("release") and not config.getoption("namespace"):
        raise pytest.UsageError("--release NAME needs the --namespace it is installed in")
    if config.getoption("timeout_scale") <= 0 or config.getoption("deploy_timeout") <= 0:
        raise pytest.UsageError("--timeout-scale and --deploy-timeout must be positive")
    report_dir = Path(config.getoption("report_dir") or REPORTS)
    config.stash[STATE] = HarnessSession(config, report_dir)
    if config.option.collectonly or not is_acceptance_run(config):
        return  # unit-test runs keep the last acceptance reports
    report_dir.mkdir(parents=True, exist_ok=True)
    if getattr(config.option, "xmlpath", "missing") is None:
        config.option.xmlpath = str(report_dir / "junit.xml")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scenarios that need no cluster first (they run while it is prepared, steps/early_start.py), then the
    others, those tagged @replaces_pods first; scenarios tagged @at_end judge the whole run (e.g. no restart
    since the install): last."""
    from steps.early_start import order_items

    order_items(items, config.stash[STATE].cluster_use)
