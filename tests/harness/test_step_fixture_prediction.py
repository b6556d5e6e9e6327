"""What a scenario will ask for, read before it has ever run (steps/early_start.py `predicted_fixtures`): on
a bare machine nothing is learnt yet, and a scenario put among those that need no cluster while it does
waits there for the whole cluster build, holding up every scenario behind it (the first cold run: "the images
run as a non-root user" waited 792 s, the git-history scan ran only after it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from typing import Any

from harness.paths import REPO


@cache
def _probe() -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TCB_CACHE": os.environ.get("TCB_CACHE", "")}
    if not env["TCB_CACHE"]:
        env.pop("TCB_CACHE")
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "harness" / "_prediction_probe.py"), "features/"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("PROBE ")), None)
    assert done.returncode == 0 and line, done.stdout[-3000:] + done.stderr[-3000:]
    return dict(json.loads(line.removeprefix("PROBE ")))


def test_a_scenario_whose_given_names_no_cluster_but_a_later_step_uses_it_is_read_as_needing_it() -> None:
    nonroot = _probe()["test_the_images_run_as_a_nonroot_user"]
    assert nonroot["cluster"] is True and nonroot["needs"] is True
    assert nonroot["text_guess"] is False  # what the Given texts alone said: the first cold run's wrong guess


def test_scenarios_that_need_the_cluster_or_the_images_or_neither_are_told_apart() -> None:
    seen = _probe()
    assert seen["test_the_chart_passes_helm_lint"] == {
        "cluster": False,
        "images": True,
        "text_guess": False,
        "needs": False,
    }
    assert seen["test_no_file_in_git_or_in_its_history_holds_a_secretlooking_value"]["cluster"] is False
    assert seen["test_no_file_in_git_or_in_its_history_holds_a_secretlooking_value"]["images"] is False
    assert seen["test_a_task_is_created_by_chat"]["cluster"] is True
    # every scenario the Given texts call a cluster scenario is read as one too
    assert all(s["cluster"] for s in seen.values() if isinstance(s, dict) and s.get("text_guess"))


def test_a_step_no_definition_matches_reads_as_unknown() -> None:
    assert _probe()["<unmatched step>"] is None


def test_with_nothing_learnt_the_order_runs_what_needs_nothing_then_what_needs_images_then_the_cluster() -> (
    None
):
    seen = _probe()
    order = [name for name in seen["<order>"] if name in seen]
    rank = {name: (seen[name]["needs"], seen[name]["images"]) for name in order}
    first_image = next(i for i, name in enumerate(order) if rank[name] == (False, True))
    first_cluster = next(i for i, name in enumerate(order) if rank[name][0])
    assert all(rank[name] == (False, False) for name in order[:first_image])
    assert all(rank[name] == (False, True) for name in order[first_image:first_cluster])
    assert order.index("test_no_file_in_git_or_in_its_history_holds_a_secretlooking_value") < first_image
    assert order.index("test_the_images_run_as_a_nonroot_user") > first_cluster
