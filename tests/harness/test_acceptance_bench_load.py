"""benchmarks/acceptance_bench.py's load section: the achieved rate and the slowest stretch, read from the
scenarios' load traces, and a rate under the 100/s target marked as such."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import acceptance_bench


def _trace(path: Path, per_second: list[int]) -> None:
    samples = [
        [second + i / count, 0.02, "read", 200, True]
        for second, count in enumerate(per_second)
        for i in range(count)
    ]
    path.mkdir(parents=True)
    trace = {"started": "", "duration_s": len(per_second), "samples": samples, "events": []}
    (path / "load_trace.json").write_text(json.dumps(trace))


def test_a_steady_load_and_one_held_back_by_a_rollout(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _trace(tmp_path / "evidence" / "test_steady", [105] * 10)
    _trace(tmp_path / "evidence" / "test_rollout", [105, 105, 40, 40, 40, 105, 105, 105, 105, 105])
    rates = acceptance_bench.load_rates(tmp_path)
    assert rates["test_steady"]["rate"] == pytest.approx(105) and rates["test_steady"]["lowest"] == 105
    assert rates["test_rollout"]["rate"] == pytest.approx(85.5) and rates["test_rollout"]["lowest"] == 40
    acceptance_bench.print_load(tmp_path)
    printed = capsys.readouterr().out.splitlines()
    rollout = next(line for line in printed if "  rollout" in line)
    steady = next(line for line in printed if "  steady" in line)
    assert "85.5/s" in rollout and "lowest  40.0/s" in rollout and rollout.endswith("UNDER the target")
    assert "105.0/s" in steady and "UNDER" not in steady
