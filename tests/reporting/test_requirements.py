"""specs/requirements.yaml and features/ agree: every requirement exactly once, every tag a requirement."""

from __future__ import annotations

import re
from collections import Counter

import yaml
from pytest_bdd.feature import get_features

from harness import traceability as t
from harness.paths import REPO

FEATURES = REPO / "features"


def test_every_requirement_is_present_exactly_once() -> None:
    data = yaml.safe_load(t.REQUIREMENTS_FILE.read_text())
    ids = [r["id"] for r in data["success_criteria"]] + [r["id"] for r in data["tasks"]]
    counts = Counter(ids)
    assert [i for i, n in counts.items() if n > 1] == []
    specified = [f"SC-{n:03d}" for n in range(16, 26)] + [f"T{n:03d}" for n in range(1, 91)]
    assert set(specified) <= set(ids), sorted(set(specified) - set(ids))
    # requirements this repository adds beyond the specification's list continue from T091, with no gap
    added = sorted(set(ids) - set(specified))
    assert added == [f"T{n:03d}" for n in range(91, 91 + len(added))]


def test_every_requirement_has_a_phase_and_a_text() -> None:
    for requirement in t.load_requirements():
        assert requirement.phase and len(requirement.text) > 10, requirement.id


def test_every_tag_in_features_names_a_requirement() -> None:
    known = {r.id for r in t.load_requirements()}
    tags = set()
    for feature in get_features([str(FEATURES)]):
        tags |= feature.tags
        for scenario in feature.scenarios.values():
            tags |= scenario.tags
    requirement_like = {tag for tag in tags if re.match(r"^(SC-|T)\d", tag)}
    assert requirement_like - known == set()
    # the other tags must be markers pytest knows (pyproject's list), or --strict-markers rejects them
    assert tags - requirement_like <= {
        "browser",
        "slow",
        "cluster",
        "docker",
        "postgres",
        "llm",
        "at_end",
        "replaces_pods",
        "restores_beside",
    }


def test_every_success_criterion_has_a_scenario_and_not_applicable_tasks_have_none() -> None:
    tagged = set()
    for feature in get_features([str(FEATURES)]):
        for scenario in feature.scenarios.values():
            tagged |= scenario.tags | feature.tags
    requirements = t.load_requirements()
    assert [r.id for r in requirements if r.is_success_criterion and r.id not in tagged] == []
    assert [r.id for r in requirements if r.not_applicable and r.id in tagged] == []


def test_features_hold_only_gherkin() -> None:
    assert sorted(p.suffix for p in FEATURES.iterdir() if p.is_file()) == [".feature"] * len(
        list(FEATURES.glob("*.feature"))
    )


def _scenarios_as_written() -> list[t.ScenarioOutcome]:
    return [
        t.ScenarioOutcome(
            nodeid=f"{feature.rel_filename}::{name}",
            feature=feature.name,
            name=name,
            requirement_ids=sorted(tag for tag in scenario.tags | feature.tags if t.is_requirement_tag(tag)),
            steps=[t.StepOutcome(step.name) for step in scenario.steps],
        )
        for feature in get_features([str(FEATURES)])
        for name, scenario in feature.scenarios.items()
    ]


def test_no_tag_over_claims_and_every_check_is_run_by_a_tagged_scenario() -> None:
    """The claims of features/ against the checks of requirements.yaml: a tag on a scenario that runs none of
    the requirement's checks, or a check no tagged scenario runs, is a defect of the suite."""
    matrix = t.build_matrix(t.load_requirements(), _scenarios_as_written())
    assert matrix.suite_defects == []


def test_every_covered_requirement_names_its_checks() -> None:
    covered = {rid for s in _scenarios_as_written() for rid in s.requirement_ids}
    assert [r.id for r in t.load_requirements() if r.id in covered and not r.checks] == []
