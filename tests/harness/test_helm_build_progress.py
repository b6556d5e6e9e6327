"""Building helm (go install, minutes on a small machine, first run only) is a progress phase: the terminal
says it started, how long the last build of that version took, and when it is done — like the Kubernetes
builds. The build itself is stood in for (no Go toolchain or module proxy needed)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from harness import helm
from harness import log as harness_log
from harness.log import PLAIN, Progress


def test_building_helm_shows_as_a_phase_against_the_last_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = helm.HELM_VERSION
    target = tmp_path / "tools" / f"helm-{version}" / "helm"

    def go_install(argv: Sequence[str | os.PathLike[str]], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if Path(str(argv[0])) == target:  # `helm version`: what the built binary reports
            return subprocess.CompletedProcess(argv, 0, stdout=version, stderr="")
        built = Path(kwargs["env"]["GOBIN"]) / "helm"
        built.write_text("#!/bin/sh\n")
        built.chmod(0o755)
        return subprocess.CompletedProcess(argv, 0, stdout="", stderr="")

    monkeypatch.setattr(helm, "helm_path", lambda v=version: target)
    monkeypatch.setattr(helm, "which", lambda *args: "/usr/bin/go")
    monkeypatch.setattr(helm, "run", go_install)
    out = io.StringIO()
    history = tmp_path / "durations.json"
    history.write_text(json.dumps({f"go build helm {version}": 185.0}))
    progress = Progress()
    progress.configure(out, mode=PLAIN, history=history)
    monkeypatch.setattr(harness_log, "progress", progress)

    assert helm.ensure_helm() == target
    lines = out.getvalue()
    assert (
        f"helm {version}: go install from the module proxy (first run only): started (last took 3m05s)"
        in lines
    )
    assert re.search(rf"✓ helm {re.escape(version)}: go install .*: done in [\d.]+s \(last 3m05s\)", lines), (
        lines
    )
    assert json.loads(history.read_text())[f"go build helm {version}"] < 60, "this build's time is recorded"
