"""`tcb verify` against a namespace with no release exits 2 at once, naming the release and the namespace,
instead of starting an acceptance run that could only fail in its first scenario; and the acceptance step
that checks this failure accepts only that failure."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pyhelm3.errors import ReleaseNotFoundError
from typer.testing import CliRunner

from harness import helm
from harness.cli import app
from harness.clusters import select
from steps.cli_steps import TcbRun, verification_failed_on_missing_release


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The cluster found without starting anything; each pytest.main call recorded instead of run."""
    info = SimpleNamespace(kubeconfig=Path("/nonexistent/kubeconfig"), context=None)
    cluster = SimpleNamespace(ensure_up=lambda: info)
    monkeypatch.setattr(select, "choose_target", lambda *a, **k: SimpleNamespace(cluster=cluster))
    calls: list[list[str]] = []

    def main(args: list[str]) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(pytest, "main", main)
    return calls


def _missing(self: Any, release: str, namespace: str) -> Any:
    raise ReleaseNotFoundError(1, b"", b"Error: release: not found")


def test_verify_against_a_namespace_with_no_release_exits_6_before_pytest(
    started: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helm.Helm, "current_revision", _missing)
    result = CliRunner().invoke(app, ["verify", "-n", "nowhere", "--release", "tcb"])
    assert result.exit_code == 6, result.output
    assert "no release 'tcb' in namespace 'nowhere'" in result.output
    assert started == []  # no acceptance run was started


def test_verify_against_an_installed_release_runs_the_scenarios(
    started: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same command when helm finds the release: pytest runs, with the release and the namespace."""
    monkeypatch.setattr(helm.Helm, "current_revision", lambda self, release, namespace: SimpleNamespace())
    result = CliRunner().invoke(app, ["verify", "-n", "here", "--release", "tcb"])
    assert result.exit_code == 0, result.output
    assert len(started) == 1 and started[0][1:5] == ["--release", "tcb", "--namespace", "here"]


def _run(returncode: int, output: str) -> TcbRun:
    argv = [sys.executable, "-m", "harness.cli", "verify", "-n", "tcb-missing-1a2b3c", "--release", "tcb"]
    return TcbRun(argv, returncode, output)


def test_the_step_accepts_the_missing_release_failure() -> None:
    said = "tcb verify: no release 'tcb' in namespace 'tcb-missing-1a2b3c': nothing to verify"
    verification_failed_on_missing_release(_run(6, said), "tcb")


@pytest.mark.parametrize(
    "returncode, output",
    [
        (0, "2 passed"),  # it passed
        (1, "Traceback (most recent call last): ... ImportError"),  # a crash
        (2, "Error: No such option: --kubeconfig"),  # a usage error
        (1, "1 failed: no release 'tcb' in namespace 'tcb-missing-1a2b3c'"),  # other code path
        (2, "tcb verify: no release 'tcb' in namespace 'tcb-missing-1a2b3c'"),  # another exit status
        (6, "no release 'tcb' in namespace 'tcb'"),  # it looked at another namespace
    ],
    ids=["passed", "crashed", "usage-error", "failed-in-a-scenario", "other-status", "other-namespace"],
)
def test_the_step_refuses_any_other_outcome(returncode: int, output: str) -> None:
    with pytest.raises(AssertionError):
        verification_failed_on_missing_release(_run(returncode, output), "tcb")


def test_the_cluster_and_release_given_again_for_pytest_are_the_ones_checked(
    started: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tcb verify -n a -- --kubeconfig K --namespace b`: pytest takes the last value of an option, so the
    check looks where pytest will (it refused an installed release when it looked at verify's own options)."""
    asked: list[tuple[str, Path | None]] = []
    info = SimpleNamespace(kubeconfig=Path("/k"), context=None)
    cluster = SimpleNamespace(ensure_up=lambda: info)

    def choose(target: str, kubeconfig: Path | None = None, **_: Any) -> SimpleNamespace:
        asked.append((target, kubeconfig))
        return SimpleNamespace(cluster=cluster)

    looked: list[tuple[str, str]] = []

    def revision(self: Any, release: str, namespace: str) -> Any:
        looked.append((release, namespace))
        return SimpleNamespace()

    monkeypatch.setattr(select, "choose_target", choose)
    monkeypatch.setattr(helm.Helm, "current_revision", revision)
    argv = ["verify", "-n", "a", "--", "--target=kubeconfig", "--kubeconfig", "/k", "--namespace", "b", "-q"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert asked == [("kubeconfig", Path("/k"))] and looked == [("tcb", "b")]
    assert started[0][-5:] == ["--target=kubeconfig", "--kubeconfig", "/k", "--namespace", "b", "-q"][-5:]
