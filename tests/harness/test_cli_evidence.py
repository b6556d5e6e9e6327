"""The evidence of a `tcb` step shows the command as a user types it, with only the kubeconfig path hidden."""

from __future__ import annotations

import sys

from steps.cli_steps import shown_command


def test_the_command_is_shown_as_typed_with_the_kubeconfig_path_hidden() -> None:
    argv = [sys.executable, "-m", "harness.cli", "scale", "backend", "4", "-n", "ns1", "--release", "tcb"]
    argv += ["--target", "kubeconfig", "--kubeconfig", "/var/lib/x/kubeconfig"]
    assert shown_command(argv) == (
        "tcb scale backend 4 -n ns1 --release tcb --target kubeconfig --kubeconfig <kubeconfig>"
    )


def test_a_path_that_merely_mentions_kubeconfig_elsewhere_is_kept() -> None:
    argv = [sys.executable, "-m", "harness.cli", "verify", "--report-dir", "/tmp/kubeconfig-notes"]
    assert shown_command(argv) == "tcb verify --report-dir /tmp/kubeconfig-notes"
