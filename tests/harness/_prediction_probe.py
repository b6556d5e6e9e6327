"""Run by test_step_fixture_prediction.py in a process of its own: collects features/ with the harness's
plugin and prints, per scenario, what `predicted_fixtures` reads and what the order puts first, as JSON."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from steps import early_start, second_release
from steps.early_start import CLUSTER_FIXTURES, ClusterUse, predicted_fixtures


class Probe:
    def __init__(self) -> None:
        self.out: dict[str, Any] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # a bare machine: no record of which scenarios used the cluster, no timings
        use = ClusterUse(Path(tempfile.mkdtemp()) / "scenario-cluster-use.json")
        for item in session.items:
            fixtures = predicted_fixtures(item)
            self.out[item.nodeid.split("::")[1]] = {
                "cluster": None if fixtures is None else bool(CLUSTER_FIXTURES & fixtures),
                "images": None if fixtures is None else "built_images" in fixtures,
                "text_guess": any(
                    t in early_start.CLUSTER_STEPS for t in second_release.scenario_step_texts(item)
                ),
                "needs": use.needs(item),
            }
        # a step that no definition matches: nothing can be read
        item = next(i for i in session.items if "non_root" in i.nodeid or "nonroot" in i.nodeid)
        real = second_release.scenario_steps
        try:
            second_release.scenario_steps = lambda item: [
                second_release.Step("no step definition has this text", "then", 4, 1, "Then")
            ]
            self.out["<unmatched step>"] = predicted_fixtures(item)
        finally:
            second_release.scenario_steps = real
        early_start.order_items(session.items, use)
        self.out["<order>"] = [i.nodeid.split("::")[1] for i in session.items]


if __name__ == "__main__":
    probe = Probe()
    status = pytest.main([*sys.argv[1:], "--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[probe])
    print("PROBE " + json.dumps(probe.out))
    sys.exit(status)
