"""Reporting plugin: tag markers, feature collection, progress on the terminal, cucumber.json, the
traceability matrix, the run's timeline, and the acceptance report (acceptance.html, summary.md).

Wiring only; the matrix is harness/traceability.py, the report harness/report/, progress harness/log.py.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.feature import get_features
from pytest_bdd.parser import Feature, Step

from harness import traceability
from harness.log import QUIET, get_logger, progress
from harness.paths import REPORTS
from harness.report.outputs import LOAD_TRACE
from steps.early_start import STAGE_FIXTURES
from steps.plugin import _is_acceptance_run
from steps.session import STATE

STEPS_DIR = Path(__file__).resolve().parent
FEATURES_DIR = STEPS_DIR.parent / "features"

# feature collection and every step-definition module, as plugins: their step fixtures become global
# common_steps first: other step modules import its helpers, and pytest must import it to rewrite its asserts
pytest_plugins = [
    "steps.collect",
    "steps.common_steps",
    *sorted(f"steps.{p.stem}" for p in STEPS_DIR.glob("*_steps.py") if p.stem != "common_steps"),
]

log = get_logger("report")

# session fixtures whose setup time is a phase of the run (the phases nested in it are not counted: the
# release fixture fetches the loaded images itself)
PHASE_FIXTURES = {
    "cluster_info": "cluster",
    "built_images": "build",
    "loaded_images": "load",
    "release": "install",
    "app_urls": "app reachable",
}
PHASE_TITLES = {
    "cluster": "cluster: find or start it, wait for the node and DNS",
    "build": "build: the application images",
    "load": "load: the images onto the node",
    "install": "install: the chart, then every component Ready",
    "app reachable": "app reachable: NodePort or port-forward",
}


@dataclass
class _ScenarioRecord:
    nodeid: str
    feature_file: str
    feature: str
    name: str
    item_name: str
    tags: list[str]
    reports: list[tuple[str, str, str]] = field(default_factory=list)  # (when, outcome, reason)
    steps_done: int = 0
    step_status: dict[int, str] = field(default_factory=dict)  # Gherkin line of a step -> what happened
    duration: float = 0.0
    started: float | None = None  # wall clock (epoch seconds)
    steps: list[dict[str, Any]] = field(default_factory=list)  # keyword, name, started, ended, status


# The report's modules (matplotlib above all: 2.6 s of CPU) are imported in the background while the run's
# last scenarios go, most of them short reads that leave a core idle, instead of after the last one, where
# every second is the run's. An import the main thread needs meanwhile waits for it (the import lock).
PREIMPORT_WITH_SCENARIOS_LEFT = 15
REPORT_MODULES = ("harness.report.html", "harness.report.allure", "harness.report.summary")  # html: plots


def _preimport_report() -> None:
    for name in REPORT_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the report's own build says what is wrong, in its place
            log.debug("report module %s not imported ahead: %s", name, exc)


class TraceabilityRecorder:
    """Collects scenario outcomes, run facts and phase timings; writes the reports when the session ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.scenarios: dict[str, _ScenarioRecord] = {}
        self.run_info: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.started = time.monotonic()
        self.written: list[Path] = []
        self.matrix: traceability.Matrix | None = None
        self.gate_failures: list[str] = []
        self.phases: list[dict[str, Any]] = []  # key, title, started (epoch), seconds (own), ok
        self.image_layers: dict[str, Any] = {}
        self.report_files: list[Path] = []
        self.report_check: list[Any] = []  # harness.report.check.PageCheck per page
        self.blocking = 0.0  # seconds of the scenarios' time spent in the phases (not the scenarios' own)
        self.order: list[str] = []  # the scenarios' node ids in the order they run
        self.preimport: threading.Thread | None = None
        self.checker: Any = None  # harness.report.check.ReportCheck, launched when the session finishes
        self.charts: ThreadPoolExecutor | None = None  # load charts drawn as their scenarios end
        self.ending = threading.Event()  # set at the session's end: a chart waits for no load run any more

    # -- collection / run ------------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if item.path.suffix != ".feature":
                continue
            feature_name, scenario_name = _scenario_names(item)
            self.scenarios[item.nodeid] = _ScenarioRecord(
                nodeid=item.nodeid,
                feature_file=str(item.path),
                feature=feature_name,
                name=scenario_name,
                item_name=item.name,
                tags=[m.name for m in item.iter_markers()],
            )
        self.order = [item.nodeid for item in items if item.nodeid in self.scenarios]

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        record = self.scenarios.get(nodeid)
        if record is not None and record.started is None:
            record.started = time.time()
        if (
            self.preimport is None
            and nodeid in self.order
            and len(self.order) - self.order.index(nodeid) <= PREIMPORT_WITH_SCENARIOS_LEFT
        ):
            self.preimport = threading.Thread(target=_preimport_report, name="report-imports", daemon=True)
            self.preimport.start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = self.scenarios.get(report.nodeid)
        if record is None:
            return
        if report.when == "teardown":
            self._draw_load_chart_ahead(record, report)
        record.reports.append((report.when, report.outcome, _reason(report)))
        record.duration += report.duration
        if report.when == "call" and record.steps and record.steps[-1]["ended"] is None:
            record.steps[-1].update(ended=time.time(), status=report.outcome)  # a skip ends a step too

    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, step: Step) -> None:
        record = self.scenarios.get(request.node.nodeid)
        if record is not None:
            # a step that starts and never ends stopped on a skip: not verified
            record.step_status[step.line_number] = traceability.NOT_VERIFIED
            record.steps.append(
                {
                    "type": step.type,
                    "keyword": step.keyword,
                    "name": step.name,
                    "started": time.time(),
                    "ended": None,
                    "status": "",
                }
            )

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, step: Step) -> None:
        record = self.scenarios.get(request.node.nodeid)
        if record is not None:
            record.steps_done += 1
            record.step_status[step.line_number] = traceability.PASSED
            if record.steps:
                record.steps[-1].update(ended=time.time(), status="passed")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, step: Step) -> None:
        record = self.scenarios.get(request.node.nodeid)
        if record is not None:
            record.step_status[step.line_number] = traceability.FAILED
            if record.steps:
                record.steps[-1].update(ended=time.time(), status="failed")

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        phase = PHASE_FIXTURES.get(fixturedef.argname)
        hs = self.config.stash.get(STATE, None)
        early = hs.early if hs is not None else None
        if phase is not None and early is not None and fixturedef.argname in STAGE_FIXTURES:
            phase = None  # prepared in the background: its phase is the early start's (end of session)
        if phase is None:
            result = yield
        else:
            wall = time.time()
            ok = False
            with progress.phase(phase, PHASE_TITLES.get(phase)) as running:
                try:
                    result = yield
                    ok = True
                finally:
                    own = running.own()
                    self.timings[phase] = self.timings.get(phase, 0.0) + own
                    self.blocking += own
                    self.phases.append(
                        {
                            "key": phase,
                            "title": running.title,
                            "started": wall,
                            "seconds": round(own, 2),
                            "last": running.last,
                            "ok": ok,
                        }
                    )
        if fixturedef.argname == "built_images" and isinstance(result, dict):
            self.image_layers = _image_layers(result)
        if fixturedef.argname == "cluster_info":
            self.run_info.update(_cluster_facts(result))
        elif fixturedef.argname == "release":
            self.run_info.update(
                {
                    "release": str(getattr(result, "name", "")),
                    "namespace": str(getattr(result, "namespace", "")),
                }
            )
        return result

    # -- end of session --------------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)  # before pytest-bdd's cucumber plugin writes its file
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.scenarios or self.config.option.collectonly or self.config.option.generate_missing:
            return  # not an acceptance run (e.g. `pytest tests/`): leave the last run's reports alone
        total = time.monotonic() - self.started
        if not self.config.getoption("no_report_check", False):
            self._launch_report_check()
        outcomes = self._outcomes()
        hs = self.config.stash.get(STATE, None)
        if hs is not None and hs.early is not None:
            # the stages ran beside the scenarios: only the fixtures' waits for them held a scenario up
            for stage, record in hs.early.phases.items():
                self.timings[stage] = record["seconds"]
                self.phases.append(record)
            self.phases.sort(key=lambda record: record["started"])
            self.blocking += sum(hs.early.waited.values())
        self.timings["scenarios"] = sum(r.duration for r in self.scenarios.values()) - self.blocking
        self.timings["total"] = total
        self.timings = {k: round(max(v, 0.0), 2) for k, v in self.timings.items()}
        self.matrix = traceability.build_matrix(
            traceability.load_requirements(), outcomes, self.run_info, self.timings
        )
        self.written = traceability.write_reports(self.matrix, report_dir(self.config))
        self.gate_failures = gate_failures(self.matrix, allow_not_verified=_allow_not_verified(self.config))
        if self.gate_failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self._write_timeline(report_dir(self.config))

    # after junitxml, pytest-bdd and allure wrote their files: the report is made from the run's outputs
    @pytest.hookimpl(trylast=True, specname="pytest_sessionfinish")
    def pytest_sessionfinish_report(self, session: pytest.Session) -> None:
        if self.matrix is None:
            return
        from harness.report import ReportInputError, build_report

        if self.config.option.cucumber_json_path:  # written by pytest-bdd's sessionfinish, which ran before
            _fix_cucumber(Path(self.config.option.cucumber_json_path), self.scenarios)
        directory = report_dir(self.config)
        checker, self.checker = self.checker, None
        try:
            if self.charts is not None:  # the charts still being drawn: the report takes them when done
                self.ending.set()
                self.charts.shutdown(wait=True)
            from harness.report.plots import taken

            taken.update({"ahead": 0, "at the end": 0})  # this report's (a process may build several)
            self.report_files = build_report(directory)
            if self.charts is not None:
                log.info("load charts: %d drawn as their scenarios ended, %d at the end", *taken.values())
        except ReportInputError as exc:  # the run's own outputs are incomplete: say so, keep the exit status
            log.warning("acceptance report not written: %s", exc)
            return
        finally:
            if checker is not None and not self.report_files:  # nothing to check: the browsers close
                checker.cancel()
        if self.config.getoption("no_report_check", False):
            return
        try:
            with progress.phase("report check", "report check: the reports in Chromium"):
                where = (directory, directory / "evidence" / "report-check")
                if checker is not None:
                    self.report_check = checker.check(*where)
                else:  # not launched ahead (it failed to start then): launched now, as it says if it fails
                    from harness.report.check import check_reports

                    self.report_check = check_reports(*where)
        except Exception as exc:  # no browser here: the report stands, unchecked
            log.warning("the reports were not checked in Chromium: %s", exc)
            return
        if any(page.problems for page in self.report_check):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _draw_load_chart_ahead(self, record: _ScenarioRecord, report: pytest.TestReport) -> None:
        """A scenario that ran load has ended: its chart is drawn in a thread of its own once no load runs
        (beside the next scenarios, which mostly wait for pods) instead of at the run's end."""
        trace = next((v for k, v in report.user_properties if k == f"json:{LOAD_TRACE}"), None)
        if trace is None:
            return
        if self.charts is None:
            self.charts = ThreadPoolExecutor(1, thread_name_prefix="load-chart")
        steps = [dict(step) for step in record.steps]
        self.charts.submit(_draw_load_chart, record.name, Path(str(trace)), steps, self.ending)

    def _launch_report_check(self) -> None:
        """The report check's browsers start now, beside the reports' writing (harness.report.check)."""
        try:
            from harness.report.check import ReportCheck

            self.checker = ReportCheck()
        except Exception as exc:  # the check itself says so when it runs without one
            log.debug("the report check's browsers were not launched ahead: %s", exc)

    def report_targets(self) -> dict[str, Path]:
        """The files the report generator writes at the end of this run."""
        directory = report_dir(self.config)
        return {name: directory / name for name in ("acceptance.html", "summary.md")}

    def _write_timeline(self, directory: Path) -> None:
        """When things happened: phases and each scenario's steps on the wall clock (load charts' events)."""
        data = {
            "phases": self.phases,
            "scenarios": {
                r.nodeid: {"item": r.item_name, "started": r.started, "steps": r.steps}
                for r in self.scenarios.values()
                if r.started is not None
            },
            "image_layers": self.image_layers,
        }
        (directory / "timeline.json").write_text(json.dumps(data, indent=1) + "\n")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.matrix is None:
            return
        for label, flag in (("success criteria", True), ("tasks", False)):
            counts = self.matrix.summary(flag)
            terminalreporter.write_line(
                f"traceability, {label}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            )
        if self.written:
            terminalreporter.write_line(f"traceability matrix: {self.written[-1]}")
        for failure in self.gate_failures:
            terminalreporter.write_line(f"GATE: {failure}", red=True, bold=True)
        for path in self.report_files:
            terminalreporter.write_line(f"report: {path}")
        for page in self.report_check:
            verdict = "ok" if not page.problems else f"{len(page.problems)} problems"
            terminalreporter.write_line(
                f"report check, {page.page} in Chromium: {verdict} ({page.images} images; screenshot"
                f" {page.screenshot})",
                red=bool(page.problems),
            )
            for problem in page.problems[:20]:
                terminalreporter.write_line(f"  {problem}", red=True)

    def _outcomes(self) -> list[traceability.ScenarioOutcome]:
        """Every scenario in features/ — those that did not run this session (deselected) count as not run."""
        ran = {(r.feature_file, r.name): r for r in self.scenarios.values()}
        outcomes: list[traceability.ScenarioOutcome] = []
        for record in self.scenarios.values():
            status, reason = traceability.outcome_from_reports(record.reports)
            outcomes.append(
                traceability.ScenarioOutcome(
                    nodeid=record.nodeid,
                    feature=record.feature,
                    name=record.name,
                    requirement_ids=[t for t in record.tags if traceability.is_requirement_tag(t)],
                    status=status,
                    reason=reason,
                    duration=record.duration,
                    steps=[
                        traceability.StepOutcome(
                            step.name, record.step_status.get(step.line_number, traceability.NOT_RUN)
                        )
                        for step in gherkin_steps(record.feature_file, record.name)
                    ],
                )
            )
        for feature in get_features([str(FEATURES_DIR)]):
            for name, scenario in feature.scenarios.items():
                if (feature.filename, name) in ran:
                    continue
                tags = scenario.tags | feature.tags
                outcomes.append(
                    traceability.ScenarioOutcome(
                        nodeid=f"{Path(feature.filename).name}::{name}",
                        feature=feature.name or feature.rel_filename,
                        name=name,
                        requirement_ids=sorted(t for t in tags if traceability.is_requirement_tag(t)),
                        status=traceability.NOT_RUN,
                        reason="not selected in this run",
                        steps=[traceability.StepOutcome(step.name) for step in scenario.steps],
                    )
                )
        return outcomes


# A chart drawn ahead waits for the load runs under way (the next scenario's) to end first, at most this long
# (or until the session ends: then nothing is measured any more): drawing shares the interpreter with the
# load's users and would slow the very requests the next chart shows.
CHART_WAITS_FOR_LOAD_S = 600.0


def _draw_load_chart(
    name: str, trace_file: Path, steps: list[dict[str, Any]], ending: threading.Event | None = None
) -> None:
    from harness.load import LOAD_RUNS

    deadline = time.monotonic() + CHART_WAITS_FOR_LOAD_S
    while not LOAD_RUNS.wait_until_none(0.5):
        if (ending is not None and ending.is_set()) or time.monotonic() > deadline:
            break
    try:
        from harness.report.html import draw_load_chart_ahead

        draw_load_chart_ahead(name, trace_file, steps)
    except Exception as exc:  # the report draws it at the end instead
        log.debug("load chart of %s not drawn ahead: %s", name, exc)


def gherkin_steps(feature_file: str, scenario_name: str) -> list[Any]:
    """The scenario's steps as written (background first), or none if the file no longer has it."""
    for feature in get_features([feature_file]):
        scenario = feature.scenarios.get(scenario_name)
        if scenario is not None:
            return list(scenario.steps)
    return []


def gate_failures(matrix: traceability.Matrix, allow_not_verified: bool) -> list[str]:
    """Why the run must fail although no scenario did: unproven success criteria, tags that over-claim."""
    failures = [f"suite defect: {d}" for d in matrix.suite_defects]
    if not allow_not_verified:
        failures += [
            f"{row.requirement.id} is NOT VERIFIED ({row.reason}); pass --allow-not-verified to accept that"
            for row in matrix.rows
            if row.requirement.is_success_criterion and row.status == traceability.NOT_VERIFIED
        ]
    return failures


def _allow_not_verified(config: pytest.Config) -> bool:
    try:
        return bool(config.getoption("allow_not_verified"))
    except ValueError:  # the acceptance plugin that defines the option is not loaded
        return False


def report_dir(config: pytest.Config) -> Path:
    try:
        value = config.getoption("report_dir")
    except ValueError:  # the acceptance plugin that defines --report-dir is not loaded
        value = None
    return Path(value) if value else REPORTS


def _scenario_names(item: pytest.Item) -> tuple[str, str]:
    # pytest-bdd sets the scenario function's docstring to "<feature file>: <scenario name>"
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    feature_file, _, scenario_name = doc.partition(": ")
    feature_name = (
        next((f.name for f in get_features([feature_file]) if f.name), Path(feature_file).stem)
        if feature_file
        else item.path.stem
    )
    return feature_name, scenario_name or item.name


def _reason(report: pytest.TestReport) -> str:
    if report.passed:
        return ""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip()
    return str(longrepr).strip().splitlines()[-1] if longrepr else report.outcome


def _cluster_facts(info: object) -> dict[str, str]:
    facts = {
        "target": str(getattr(info, "target", "")),
        "node address": str(getattr(info, "node_address", "")),
    }
    facts.update({str(k): str(v) for k, v in (getattr(info, "notes", None) or {}).items()})
    return facts


def _image_layers(built: dict[str, Any]) -> dict[str, Any]:
    """Each built image's layers, base first, as {name: {ref, layers: [[instruction, bytes], …]}}."""
    try:
        from harness.docker_engine import docker_client

        client = docker_client(timeout=60)  # each API call's bound (an image's history), not a wait
        out = {}
        for name, image in built.items():
            history = client.images.get(image.ref).history()
            out[name] = {
                "ref": image.ref,
                "layers": [[str(h.get("CreatedBy", "")), int(h.get("Size") or 0)] for h in reversed(history)],
            }
        return out
    except Exception as exc:  # the chart is a nicety: a missing engine must not fail the run
        log.info("image layers not recorded for the report: %s", exc)
        return {}


def _configure_progress(config: pytest.Config) -> None:
    """Progress lines go to a duplicate of the real stderr taken now, before pytest captures file
    descriptor 2 for the tests, so they reach the terminal whatever the capture mode."""
    try:
        stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        return

    ended_at: list[int] = [0]  # pytest's line width when we last ended its line for it

    def end_pytest_line() -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        reporter.flush()
        width = getattr(getattr(reporter, "_tw", None), "width_of_current_line", 0)
        if reporter.currentfspath or (width and width != ended_at[0]):
            # pytest is mid-line ("features/x.feature ..", "[100%]"): progress starts on a line of its own
            stream.write("\n")
            ended_at[0] = width
            reporter.currentfspath = None  # so pytest writes the file name again before its next result

    progress.configure(
        stream, mode=QUIET if config.option.verbose < 0 else None, before_write=end_pytest_line
    )

    def restore() -> None:
        progress.configure(None)
        stream.close()

    config.add_cleanup(restore)


def _fix_cucumber(path: Path, scenarios: dict[str, _ScenarioRecord]) -> None:
    """Make the cucumber.json pytest-bdd wrote tell the truth about skips and setup errors.

    pytest-bdd marks every step of a scenario skipped mid-way as passed (a skip is not an error to it) and
    leaves out scenarios that never reached their first step (a fixture failed or skipped). The file is
    rewritten, not pytest-bdd's log in memory (a private attribute of the config).
    """
    if not path.is_file():
        return
    features: list[dict[str, Any]] = json.loads(path.read_text())
    # a feature's "uri" is its rel_filename; pytest-bdd parsed each file once, so the records' agree
    by_key = {(_feature_of(r).rel_filename, r.item_name): r for r in scenarios.values()}
    seen: set[tuple[str, str]] = set()
    for feature in features:
        filename = feature["uri"]
        for element in feature["elements"]:
            record = by_key.get((filename, element["id"]))
            if record is None:
                continue
            seen.add((filename, element["id"]))
            status, reason = traceability.outcome_from_reports(record.reports)
            if status == traceability.NOT_VERIFIED:
                for index, step in enumerate(element["steps"]):
                    if index >= record.steps_done:
                        step["result"] = {"status": "skipped", "duration": 0}
                        if index == record.steps_done:
                            step["result"]["error_message"] = f"NOT VERIFIED: {reason}"
    for key, record in by_key.items():
        if key in seen:
            continue
        status, reason = traceability.outcome_from_reports(record.reports)
        if status in (traceability.PASSED, traceability.NOT_RUN):
            continue
        _add_unreached_scenario(features, record, status, reason)
    path.write_text(json.dumps(features))


def _feature_of(record: _ScenarioRecord) -> Feature:
    return get_features([record.feature_file])[0]


def _add_unreached_scenario(
    features: list[dict[str, Any]], record: _ScenarioRecord, status: str, reason: str
) -> None:
    """A scenario that stopped before its first step: its steps are listed as skipped, the first one failed
    (with the error) if setup failed."""
    feature = _feature_of(record)
    if record.name not in feature.scenarios:
        return
    scenario = feature.scenarios[record.name]
    entry = next((f for f in features if f["uri"] == feature.rel_filename), None)
    if entry is None:
        entry = {
            "keyword": feature.keyword,
            "uri": feature.rel_filename,
            "name": feature.name or feature.rel_filename,
            "id": feature.rel_filename.lower().replace(" ", "-"),
            "line": feature.line_number,
            "description": feature.description,
            "language": feature.language,
            "tags": [{"name": t, "line": feature.line_number - 1} for t in sorted(feature.tags)],
            "elements": [],
        }
        features.append(entry)
    steps = []
    for index, step in enumerate(scenario.steps):
        result: dict[str, Any] = {"status": "skipped", "duration": 0}
        if index == 0:
            result = {
                "status": "failed" if status == traceability.FAILED else "skipped",
                "duration": 0,
                "error_message": reason if status == traceability.FAILED else f"NOT VERIFIED: {reason}",
            }
        steps.append(
            {
                "keyword": step.keyword,
                "name": step.name,
                "line": step.line_number,
                "match": {"location": ""},
                "result": result,
            }
        )
    entry["elements"].append(
        {
            "keyword": scenario.keyword,
            "id": record.item_name,
            "name": scenario.name,
            "line": scenario.line_number,
            "description": scenario.description,
            "type": "scenario",
            "steps": steps,
            "tags": [{"name": t, "line": scenario.line_number - 1} for t in sorted(scenario.tags)],
        }
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("todo-chatbot").addoption(
        "--no-report-check",
        action="store_true",
        help="do not open the written reports in Chromium to check them (saves ~20 s)",
    )


@pytest.hookimpl(tryfirst=True)  # before allure-pytest-bdd reads --alluredir
def pytest_configure(config: pytest.Config) -> None:
    # requirement ids are tags in features/ and so pytest markers: register them for --strict-markers
    for requirement in traceability.load_requirements():
        config.addinivalue_line("markers", f"{requirement.id}: {requirement.text[:100]}")
    if (
        config.option.cucumber_json_path is None
        and _is_acceptance_run(config)
        and not config.option.collectonly
    ):
        config.option.cucumber_json_path = str(report_dir(config) / "cucumber.json")
        report_dir(config).mkdir(parents=True, exist_ok=True)
    if _is_acceptance_run(config) and not config.option.collectonly:
        _configure_progress(config)
        if getattr(config.option, "allure_report_dir", "missing") is None:
            config.option.allure_report_dir = str(report_dir(config) / "allure-results")
            config.option.clean_alluredir = True
    config.pluginmanager.register(TraceabilityRecorder(config), "todo-chatbot-traceability")
