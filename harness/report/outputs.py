"""The run as the report shows it, read back from the files the run wrote into the report directory:

- traceability.json — the success criteria and tasks with their verdicts, the run's facts and phase timings;
- cucumber.json — each scenario's Gherkin steps with status, duration and error;
- junit.xml — each scenario's evidence (properties `kind:name` → file or value), failure text, diagnostics;
- timeline.json — when each phase and each step ran (wall clock), image layers;
- evidence/<scenario>/ — the files behind the evidence, among them `load_trace.json` of a load run.

Only traceability.json and cucumber.json are required; the others add to the report when present.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.traceability import scenario_anchor

REQUIRED = ("traceability.json", "cucumber.json")
LOAD_TRACE = "load trace"  # the evidence name under which a load run's trace is recorded
LONG_STEP = 1.0  # seconds: a When step this long shows where it began on the load chart, not only its end


class ReportInputError(RuntimeError):
    """A report directory the report cannot be made from (names the file and how to get it)."""


@dataclass
class Evidence:
    kind: str  # text, json, image, figure
    name: str
    path: Path | None = None  # the evidence file, when there is one and it exists
    value: str = ""  # a figure's value and unit, or where a missing file should have been


@dataclass
class Step:
    keyword: str
    name: str
    status: str  # passed, failed, skipped, undefined
    duration: float  # seconds
    error: str = ""
    started: float | None = None  # wall clock, from timeline.json
    ended: float | None = None
    type: str = ""  # given, when, then (an "And" takes the type of the step before it)


@dataclass
class Scenario:
    key: str  # "<feature file name>::<test item name>", unique in a run
    feature: str
    feature_file: str
    name: str
    tags: list[str]
    status: str  # the traceability vocabulary: passed, failed, not verified, not run
    reason: str = ""
    duration: float = 0.0
    steps: list[Step] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    failure: str = ""  # the full failure text from junit.xml
    diagnostics: Path | None = None
    load_trace: dict[str, Any] | None = None
    load_events: list[tuple[float, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return scenario_anchor(self.key)


@dataclass
class Criterion:
    id: str
    text: str
    status: str
    reason: str
    scenario_keys: list[str]
    duration: float


@dataclass
class RunRecord:
    report_dir: Path
    run_info: dict[str, str]
    timings: dict[str, float]
    summary: dict[str, dict[str, int]]
    criteria: list[Criterion]
    scenarios: list[Scenario]
    image_layers: dict[str, list[tuple[str, int]]]
    last_timings: dict[str, float]
    generated: str

    @property
    def verdict(self) -> str:
        """failed; passed with gaps (something not verified or uncovered); partial run (all that ran passed,
        but a success criterion was not run: a run of selected scenarios); passed."""
        statuses = {s.status for s in self.scenarios} | {c.status for c in self.criteria}
        if "failed" in statuses:
            return "failed"
        if statuses & {"not verified", "uncovered"}:
            return "passed with gaps"
        if "not run" in {c.status for c in self.criteria}:
            return "partial run"
        return "passed"

    def scenario(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.key == key), None)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportInputError(
            f"{path} is missing: it is written by an acceptance run"
            f" (`pytest features/ --report-dir {path.parent}`)"
        ) from None
    except ValueError as exc:
        raise ReportInputError(
            f"{path} is not valid JSON ({exc}): rerun the acceptance run to rewrite it"
        ) from exc


def scenario_key(feature_file: str, item_name: str) -> str:
    return f"{Path(feature_file).name}::{item_name}"


def _key_from_nodeid(nodeid: str) -> str:
    path, _, item = nodeid.partition("::")
    return scenario_key(path, item)


def load_run(report_dir: Path) -> RunRecord:
    report_dir = Path(report_dir)
    for name in REQUIRED:
        if not (report_dir / name).is_file():
            raise ReportInputError(
                f"{report_dir / name} is missing: the report is made from an acceptance run's outputs;"
                f" run `pytest features/ --report-dir {report_dir}` first"
            )
    matrix = _read_json(report_dir / "traceability.json")
    cucumber = _read_json(report_dir / "cucumber.json")
    timeline = _read_json(report_dir / "timeline.json") if (report_dir / "timeline.json").is_file() else {}
    junit = _read_junit(report_dir / "junit.xml", report_dir)

    outcomes: dict[str, dict[str, Any]] = {}
    for requirement in matrix.get("requirements", []):
        for s in requirement.get("scenarios", []):
            outcomes.setdefault(_key_from_nodeid(s["nodeid"]), s)

    scenarios: list[Scenario] = []
    for feature in cucumber:
        for element in feature.get("elements", []):
            key = scenario_key(feature.get("uri", ""), element.get("id", ""))
            outcome = outcomes.get(key, {})
            scenario = Scenario(
                key=key,
                feature=feature.get("name", ""),
                feature_file=feature.get("uri", ""),
                name=element.get("name", ""),
                tags=[t["name"] for t in element.get("tags", [])],
                status=outcome.get("status") or _status_from_steps(element.get("steps", [])),
                reason=outcome.get("reason", ""),
                duration=float(outcome.get("duration_seconds", 0.0)),
                steps=[
                    Step(
                        keyword=s.get("keyword", ""),
                        name=s.get("name", ""),
                        status=s.get("result", {}).get("status", "skipped"),
                        duration=float(s.get("result", {}).get("duration", 0)) / 1e9,
                        error=s.get("result", {}).get("error_message", ""),
                    )
                    for s in element.get("steps", [])
                ],
            )
            scenarios.append(scenario)
    seen = {s.key for s in scenarios}
    for key, outcome in outcomes.items():  # scenarios not in cucumber.json: not selected, or never reached
        if key not in seen:
            seen.add(key)
            scenarios.append(
                Scenario(
                    key=key,
                    feature=outcome.get("feature", ""),
                    feature_file=key.partition("::")[0],
                    name=outcome.get("name", ""),
                    tags=[],
                    status=outcome.get("status", "not run"),
                    reason=outcome.get("reason", ""),
                    duration=float(outcome.get("duration_seconds", 0.0)),
                )
            )

    steps_on_clock = {_key_from_nodeid(n): v for n, v in (timeline.get("scenarios") or {}).items()}
    for scenario in scenarios:
        case = junit.get(scenario.key)
        if case is not None:
            scenario.evidence = case["evidence"]
            scenario.failure = case["failure"]
            scenario.diagnostics = case["diagnostics"]
        _attach_clock(scenario, steps_on_clock.get(scenario.key))
        _attach_load(scenario)

    criteria = [
        Criterion(
            id=r["id"],
            text=r.get("text", ""),
            status=r.get("status", ""),
            reason=r.get("reason", ""),
            scenario_keys=[_key_from_nodeid(s["nodeid"]) for s in r.get("scenarios", [])],
            duration=sum(float(s.get("duration_seconds", 0.0)) for s in r.get("scenarios", [])),
        )
        for r in matrix.get("requirements", [])
        if str(r.get("id", "")).startswith("SC-")
    ]
    layers = {
        name: [(str(i), int(size)) for i, size in entry.get("layers", [])]
        for name, entry in (timeline.get("image_layers") or {}).items()
    }
    return RunRecord(
        report_dir=report_dir,
        run_info={str(k): str(v) for k, v in (matrix.get("run") or {}).items()},
        timings={str(k): float(v) for k, v in (matrix.get("timings_seconds") or {}).items()},
        summary=matrix.get("summary") or {},
        criteria=criteria,
        scenarios=scenarios,
        image_layers=layers,
        last_timings={
            str(p["key"]): float(p["last"]) for p in timeline.get("phases") or [] if p.get("last") is not None
        },
        generated=datetime.now().astimezone().isoformat(timespec="seconds"),
    )


def _status_from_steps(steps: list[dict[str, Any]]) -> str:
    statuses = {s.get("result", {}).get("status") for s in steps}
    if "failed" in statuses:
        return "failed"
    if "skipped" in statuses or "undefined" in statuses:
        return "not verified"
    return "passed" if steps else "not run"


def _resolve(value: str, report_dir: Path) -> Path | None:
    """An evidence path as junit.xml records it (absolute at run time), found in this report dir even if the
    directory has moved since; a file outside the report dir is not this report's evidence."""
    parts = Path(value).parts
    for anchor in ("evidence", "diagnostics"):
        if anchor in parts:
            path = report_dir.joinpath(*parts[len(parts) - 1 - parts[::-1].index(anchor) :])
            return path if path.exists() else None
    return None


def _read_junit(path: Path, report_dir: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - the run's own file
    except ET.ParseError as exc:
        raise ReportInputError(f"{path} is not valid XML ({exc}): rerun the acceptance run") from exc
    cases: dict[str, dict[str, Any]] = {}
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        if ".feature" not in classname:
            continue
        # classname "features.resilience.feature" → "resilience.feature"
        feature_file = ".".join(classname.split(".")[-2:])
        evidence: list[Evidence] = []
        diagnostics: Path | None = None
        for prop in case.iter("property"):
            name, value = prop.get("name", ""), prop.get("value", "")
            if name == "diagnostics":
                diagnostics = _resolve(value, report_dir)
                continue
            kind, sep, label = name.partition(":")
            if not sep or kind not in ("text", "json", "image", "figure"):
                continue
            if kind == "figure":
                evidence.append(Evidence(kind, label, None, value))
            else:
                found = _resolve(value, report_dir)
                evidence.append(Evidence(kind, label, found, "" if found else value))
        failure = ""
        for tag in ("failure", "error"):
            for node in case.iter(tag):
                failure += (node.get("message", "") + "\n" + (node.text or "")).strip() + "\n"
        cases[scenario_key(feature_file, case.get("name", ""))] = {
            "evidence": evidence,
            "failure": failure.strip(),
            "diagnostics": diagnostics,
        }
    return cases


def _attach_clock(scenario: Scenario, clock: dict[str, Any] | None) -> None:
    if not clock:
        return
    timed = clock.get("steps") or []
    for step, seen in zip(scenario.steps, timed, strict=False):
        if step.name == seen.get("name"):
            step.started, step.ended = seen.get("started"), seen.get("ended")
            step.type = str(seen.get("type") or "")


def _attach_load(scenario: Scenario) -> None:
    """The scenario's load trace, with its events: those it marked itself and each step that ended while
    the load ran (a pod deleted, replicas Ready, a rollout done). A When step that took LONG_STEP or more (a
    scale, an upgrade or a restart that waits for its rollout) is an interval: its start is an event too
    (`…: began`, the disruption issued), and its end says `…: done`."""
    trace_file = next(
        (e.path for e in scenario.evidence if e.kind == "json" and e.name == LOAD_TRACE and e.path), None
    )
    if trace_file is None:
        return
    trace = load_trace_with_steps(trace_file, scenario.steps)
    scenario.load_trace = trace
    scenario.load_events = trace.get("events", [])


def load_trace_with_steps(trace_file: Path, steps: Sequence[Step]) -> dict[str, Any]:
    """The trace in `trace_file` with its events and the steps' (see _attach_load); {"broken": path} when the
    file cannot be read as a trace."""
    try:
        trace: dict[str, Any] = json.loads(trace_file.read_text())
        start = datetime.fromisoformat(trace["started"]).timestamp()
        duration = float(trace["duration_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return {"broken": str(trace_file)}
    events = [(float(t), str(label)) for t, label in trace.get("events", [])]

    def during_load(wall: float, label: str) -> None:
        if 0 < wall - start <= duration:
            events.append((round(wall - start, 2), label))

    for step in steps:
        if step.ended is None or step.type == "given" or (not step.type and step.keyword == "Given"):
            continue
        label = f"{step.keyword} {step.name}".strip()
        if step.type == "when" and step.started is not None and step.ended - step.started >= LONG_STEP:
            during_load(step.started, f"{label}: began")
            label += ": done"
        during_load(step.ended, label)
    trace["events"] = sorted(events)
    return trace
