"""Run the catalogue: a baseline acceptance run of the unchanged tree, then for each defect a scratch copy
with the defect committed and the scenarios of its criterion run against the cluster in a namespace of
their own.

Images are tagged by the content hash of their build context, so a defect in a Dockerfile or in service code
builds (and loads) its own images while unchanged services reuse the cached ones.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import components
from harness.log import get_logger
from harness.mutants import outcomes, report, scratch
from harness.mutants.catalogue import Defect, StaleDefect, apply_defect
from harness.paths import REPO, REPORTS

log = get_logger("prove")

BASELINE_FILE = "baseline.json"
ENTRY_FILE = (
    "entry.json"  # a defect's result beside its run's reports (rejudge reads it if mutants.json lost it)
)
# criteria whose scenarios reach the app through NodePorts 30080/30081, which are cluster-wide: while another
# namespace holds them the install moves to other ports and those scenarios cannot prove anything
NODEPORT_CRITERIA = {"SC-019", "SC-020", "SC-021", "SC-023", "SC-024", "SC-025"}  # SC-025: the NOTES
NODE_PORTS = tuple(components.node_ports().values())  # the chart's defaults


@dataclass
class ProveOptions:
    source: Path = REPO
    report_dir: Path = REPORTS
    target: str = "auto"
    # tcb prove's options, given to each nested run as --deploy-timeout (not a wait of this process):
    # a broken rollout is the defect's doing, so do not wait the default 900 s
    deploy_timeout: float = 300.0  # not a wait here: an option of the nested run
    run_timeout: float = 1800.0  # one defect's whole acceptance run (a process bound, not a wait)
    jobs: int = 1
    fresh_baseline: bool = False
    skip_baseline: bool = False
    keep_scratch: bool = False
    resume: bool = False  # keep the caught/survived/stale results of the last run on the same tree
    baseline_from: Path | None = None  # cucumber.json of an acceptance run of the same tree, as the baseline
    cluster_free: bool = False  # run only the scenarios that need no cluster (a quick first pass)
    node_port_wait: float = 900.0  # before a defect of a NodePort criterion: wait for 30080/30081 to be free
    extra_pytest_args: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the nested runs work in scratch clones: a relative --report-dir would land inside each clone (the
        # baseline's results were then looked for here and reported missing)
        self.report_dir = self.report_dir.absolute()

    @property
    def work_dir(self) -> Path:
        return self.report_dir / "mutants"


@dataclass
class RunResult:
    exit_status: int
    results: list[outcomes.ScenarioResult]
    seconds: float
    log_path: Path
    timed_out: bool = False

    def log_text(self) -> str:
        """pytest's output and the HTML report's summary (which names NodePorts moved because another
        namespace held them; pytest shows captured logs only for failed tests)."""
        return _run_text(self.log_path.parent)


# A pytest plugin written into the scratch copy for --cluster-free runs (the engine itself imports no pytest):
# it deselects the scenarios with a step that needs the cluster, and ends as NOT VERIFIED any scenario whose
# step asks for it anyway (e.g. the image scenario that also looks at the running containers).
CLUSTER_FREE_PLUGIN = """
import pytest
from pytest_bdd.feature import get_features

NEEDS_CLUSTER = ("the release is installed", "the cluster chosen for this run")


def _needs_cluster(item):
    path, _, name = (getattr(getattr(item, "function", None), "__doc__", None) or "").partition(": ")
    if not name:
        return False
    scenario = get_features([path])[0].scenarios.get(name)
    return scenario is None or any(step.name in NEEDS_CLUSTER for step in scenario.steps)


def pytest_collection_modifyitems(config, items):
    drop = [item for item in items if _needs_cluster(item)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if item not in drop]


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.argname in ("cluster_target", "cluster_info", "k8s", "release"):
        pytest.skip("NOT VERIFIED: tcb prove --cluster-free runs no cluster")
"""
CLUSTER_FREE_MODULE = "_tcb_prove_cluster_free"


def _run_text(out_dir: Path) -> str:
    files = [out_dir / "pytest.log", out_dir / "acceptance.html"]
    return "\n".join(f.read_text(errors="replace") for f in files if f.is_file())


def marker_expression(criteria: Iterable[str]) -> str:
    """pytest -m expression selecting the scenarios tagged with any of the criteria (tags become markers)."""
    return " or ".join(sorted(set(criteria)))


def run_acceptance(
    repo: Path, criteria: Iterable[str], out_dir: Path, options: ProveOptions, label: str
) -> RunResult:
    """`pytest features/ -m <criteria>` inside repo (its own harness, chart and services), reports in out_dir,
    in a fresh namespace; the cluster is reused and never stopped."""
    out_dir.mkdir(parents=True, exist_ok=True)
    namespace = f"tcb-prove-{label[:30].strip('-')}-{secrets.token_hex(2)}"
    argv = [
        sys.executable, "-m", "pytest", "features/", "-m", marker_expression(criteria),
        "--target", options.target, "--reuse-cluster", "--namespace", namespace,
        "--deploy-timeout", str(int(options.deploy_timeout)), "--report-dir", str(out_dir),
        "-p", "no:cacheprovider", "-q", *options.extra_pytest_args,
    ]  # fmt: skip
    if options.cluster_free:
        (repo / f"{CLUSTER_FREE_MODULE}.py").write_text(CLUSTER_FREE_PLUGIN)
        with (repo / ".git" / "info" / "exclude").open("a") as exclude:
            exclude.write(f"/{CLUSTER_FREE_MODULE}.py\n")
        argv += ["-p", CLUSTER_FREE_MODULE]
    # the scratch copy's harness and steps, not the source's (the installed package points at the source)
    env = {**os.environ, "PYTHONPATH": str(repo), "TCB_KEEP_CLUSTER": "1", "TCB_REPORTS": str(out_dir)}
    log_path = out_dir / "pytest.log"
    started = time.monotonic()
    timed_out = False
    with log_path.open("w") as handle:
        handle.write(f"$ {' '.join(argv)}\n(cwd {repo})\n")
        handle.flush()
        # a session of its own: on timeout the whole run (pytest and anything it started) is ended together
        proc = subprocess.Popen(
            argv, cwd=repo, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            exit_status = proc.wait(timeout=options.run_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _end_session(proc)
            exit_status = -1
            _delete_namespace(namespace, options.target)
        except BaseException:  # tcb prove itself is stopped (Ctrl-C, SIGTERM): end its run with it
            _end_session(proc)
            raise
    cucumber = out_dir / "cucumber.json"
    results = outcomes.read_cucumber(cucumber) if cucumber.is_file() else []
    return RunResult(exit_status, results, time.monotonic() - started, log_path, timed_out)


def wait_for_node_ports(target: str, timeout: float, progress: Callable[[str], None]) -> str:
    """Wait until no Service in the cluster holds NodePorts 30080/30081; '' when free, else who holds them."""
    from harness.clusters.select import choose_target
    from harness.k8s import K8s

    info = choose_target(target, reuse=True).cluster.ensure_up()
    k8s = K8s(info.kubeconfig, info.context)
    deadline = time.monotonic() + timeout
    said = False
    while True:
        held = {
            port.node_port: f"{svc.metadata.namespace}/{svc.metadata.name}"
            for svc in k8s.core.list_service_for_all_namespaces().items
            for port in svc.spec.ports or []
            if port.node_port in NODE_PORTS
        }
        if not held:
            return ""
        if time.monotonic() > deadline:
            return f"NodePorts still held after {timeout:.0f}s: {held}"
        if not said:
            progress(f"  waiting up to {timeout:.0f}s for NodePorts {NODE_PORTS} (held by {held})")
            said = True
        time.sleep(10)


def _end_session(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM to the run's own process group (pytest's finalizers uninstall the release), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 60.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _delete_namespace(namespace: str, target: str) -> None:
    """After a killed run: remove the namespace it created (only that one), if it is still there."""
    try:
        from harness.clusters.select import choose_target
        from harness.k8s import K8s

        info = choose_target(target, reuse=True).cluster.ensure_up()
        k8s = K8s(info.kubeconfig, info.context)
        if k8s.namespace_exists(namespace):
            k8s.delete_namespace(namespace, wait=False)
    except Exception as exc:  # cleanup after a timeout must not hide the timeout
        log.warning(
            "could not delete namespace %s: %s (delete it with `tcb down -n %s`)", namespace, exc, namespace
        )


# ---- baseline ---------------------------------------------------------------------------------------------


def baseline(repo: Path, criteria: set[str], options: ProveOptions) -> dict[str, Any]:
    """Scenario outcomes of the unchanged tree for these criteria: reused from the last baseline when the tree
    is the same and it covered them, else run now."""
    path = options.work_dir / BASELINE_FILE
    tree = scratch.tree_id(repo)
    if options.baseline_from is not None:
        return _save_baseline(path, tree, criteria, outcomes.read_cucumber(options.baseline_from), 0.0, 0)
    if options.skip_baseline:
        return {"tree": tree, "criteria": sorted(criteria), "scenarios": {}, "seconds": 0.0, "skipped": True}
    if path.is_file() and not options.fresh_baseline:
        saved = json.loads(path.read_text())
        same_scope = bool(saved.get("cluster_free")) == options.cluster_free
        if saved.get("tree") == tree and criteria <= set(saved.get("criteria", [])) and same_scope:
            log.info("baseline: reusing %s (same tree %s)", path, tree[:12])
            return dict(saved)
    if criteria & NODEPORT_CRITERIA and not options.cluster_free and options.node_port_wait > 0:
        held = wait_for_node_ports(options.target, options.node_port_wait, log.info)
        if held:
            log.warning("baseline: %s; running anyway", held)
    log.info("baseline: running the scenarios of %s on the unchanged tree", ", ".join(sorted(criteria)))
    result = run_acceptance(repo, criteria, options.work_dir / "baseline", options, "baseline")
    if not result.results:
        raise RuntimeError(
            f"the baseline run produced no scenario results (exit {result.exit_status}):"
            f" see {result.log_path}"
        )
    data = _save_baseline(path, tree, criteria, result.results, result.seconds, result.exit_status)
    if options.cluster_free:  # only a cluster-free pass may reuse it
        path.write_text(json.dumps(data | {"cluster_free": True}, indent=2) + "\n")
    return data


def _save_baseline(
    path: Path,
    tree: str,
    criteria: set[str],
    results: list[outcomes.ScenarioResult],
    seconds: float,
    exit_status: int,
) -> dict[str, Any]:
    data = {
        "tree": tree,
        "criteria": sorted(criteria),
        "generated": datetime.now().isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "exit_status": exit_status,
        "scenarios": {r.key: r.status for r in results},
        "not_passing": [r.to_json() for r in results if r.status != outcomes.PASSED],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return data


# ---- one defect -------------------------------------------------------------------------------------------


def prove_defect(
    defect: Defect,
    baseline_data: dict[str, Any],
    options: ProveOptions,
    snapshot: Path,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Apply one defect to a fresh clone of the snapshot, run its criterion's scenarios, judge the outcome."""
    started = time.monotonic()
    entry = _defect_fields(defect, options.cluster_free) | {"tree": scratch.tree_id(snapshot)}
    repo = scratch.make_scratch(snapshot)
    try:
        try:
            apply_defect(defect, repo)
        except StaleDefect as exc:
            return entry | _verdict(outcomes.Verdict(outcomes.STALE, reason=str(exc)), started)
        commit = scratch.commit_all(repo, f"seeded defect {defect.id}: {defect.description}")
        out_dir = options.work_dir / defect.id
        if defect.criterion in NODEPORT_CRITERIA and not options.cluster_free and options.node_port_wait > 0:
            held = wait_for_node_ports(options.target, options.node_port_wait, progress)
            if held:
                log.warning("%s: %s; running anyway", defect.id, held)
        result = run_acceptance(repo, [defect.criterion], out_dir, options, defect.id)
        if result.timed_out:
            verdict = outcomes.Verdict(
                outcomes.ERROR,
                reason=f"the run did not end within {options.run_timeout:.0f}s and was stopped",
            )
        else:
            verdict = outcomes.judge(
                result.results, baseline_data.get("scenarios", {}), result.exit_status, result.log_text()
            )
        return (
            entry
            | _verdict(verdict, started)
            | {
                "scenarios_run": len(result.results),
                "exit_status": result.exit_status,
                "commit": commit,
                "report_dir": str(out_dir),
            }
        )
    except Exception as exc:  # one broken defect run must not end the whole catalogue
        log.exception("%s: could not be proven", defect.id)
        return entry | _verdict(
            outcomes.Verdict(outcomes.ERROR, reason=f"{type(exc).__name__}: {exc}"), started
        )
    finally:
        if not options.keep_scratch:
            scratch.remove_scratch(repo)


def _earlier_entries(options: ProveOptions) -> dict[str, dict[str, Any]]:
    path = options.report_dir / "mutants.json"
    return {d["id"]: d for d in json.loads(path.read_text()).get("defects", [])} if path.is_file() else {}


def _earlier_results(options: ProveOptions, base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Results of the last run worth keeping: caught and stale ones, and survivors of a run as complete as
    this one (the entry records the tree it was proven on)."""
    path = options.report_dir / "mutants.json"
    if not path.is_file():
        return {}
    kept = {}
    for entry in json.loads(path.read_text()).get("defects", []):
        partial = entry.get("scope") == "cluster-free scenarios" and not options.cluster_free
        if entry.get("outcome") == outcomes.ERROR or (entry.get("outcome") == outcomes.SURVIVED and partial):
            continue  # redone: an error, or a survivor of the cluster-free pass when all scenarios run now
        if entry.get("tree") not in (None, base.get("tree")):
            log.warning("resume: %s was proven on tree %s, not this one", entry["id"], entry["tree"][:12])
        kept[entry["id"]] = entry
    return kept


def _defect_fields(defect: Defect, cluster_free: bool) -> dict[str, Any]:
    """What a result entry says about the defect itself (the catalogue's fields and the run's scope)."""
    return {
        "id": defect.id,
        "criterion": defect.criterion,
        "file": defect.file,
        "description": defect.description,
        "expected": defect.expected,
        "should_catch": defect.should_catch,
        "scope": "cluster-free scenarios" if cluster_free else "all scenarios",
    }


def _verdict_fields(verdict: outcomes.Verdict) -> dict[str, Any]:
    return {
        "outcome": verdict.outcome,
        "scenario": verdict.scenario,
        "step": verdict.step,
        "reason": verdict.reason,
    }


def _verdict(verdict: outcomes.Verdict, started: float) -> dict[str, Any]:
    return _verdict_fields(verdict) | {"seconds": round(time.monotonic() - started, 1)}


# ---- the catalogue ----------------------------------------------------------------------------------------


def prove(
    defects: list[Defect], options: ProveOptions, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """Prove every defect; writes report_dir/mutants.json (after each defect, so a long run can be read while
    it goes) and mutants.html / mutants.md at the end. Returns the report data."""
    started = time.monotonic()
    criteria = {d.criterion for d in defects}
    progress(
        f"prove: {len(defects)} defects over {', '.join(sorted(criteria))}; reports in {options.work_dir}"
    )
    # one snapshot of the tree for the whole run: edits to the source meanwhile change nothing here
    snapshot = scratch.make_scratch(options.source)
    try:
        return _prove_snapshot(defects, options, progress, snapshot, started)
    finally:
        scratch.remove_scratch(snapshot)


def _prove_snapshot(
    defects: list[Defect],
    options: ProveOptions,
    progress: Callable[[str], None],
    snapshot: Path,
    started: float,
) -> dict[str, Any]:
    criteria = {d.criterion for d in defects}
    repo = scratch.make_scratch(snapshot)
    try:
        base = baseline(repo, criteria, options)
    finally:
        scratch.remove_scratch(repo)
    failing = [f"{s['feature']}: {s['scenario']} ({s['status']})" for s in base.get("not_passing", [])]
    progress(
        f"baseline: {len(base.get('scenarios', {}))} scenarios, {base.get('seconds', 0)}s"
        + (f"; not passing on the unchanged tree: {failing}" if failing else "")
    )
    data = report.new_report(base, options, sys.argv)
    done = _earlier_results(options, base) if options.resume else {}
    if done:
        progress(f"resume: keeping {len(done)} results of the last run on this tree: {', '.join(done)}")
    results: list[dict[str, Any]] = [done[d.id] for d in defects if d.id in done]
    # with --resume, earlier results (of these defects until redone, and of any other) stay in the report
    earlier = _earlier_entries(options) if options.resume else {}
    lock = threading.Lock()  # --jobs > 1: defects finish on several threads

    def shown(proven: list[dict[str, Any]]) -> list[dict[str, Any]]:
        have = {e["id"] for e in proven}
        return proven + [e for i, e in earlier.items() if i not in have]

    def one(numbered: tuple[int, Defect]) -> dict[str, Any]:
        number, defect = numbered
        if defect.id in done:
            return done[defect.id]
        progress(f"[{number}/{len(defects)}] {defect.criterion} {defect.id}: {defect.description}")
        entry = prove_defect(defect, base, options, snapshot, progress)
        if entry["outcome"] == outcomes.ERROR and entry["reason"].startswith(outcomes.INCONCLUSIVE):
            progress(f"[{number}/{len(defects)}] {defect.id}: {entry['reason'][:200]}; once more")
            entry = prove_defect(defect, base, options, snapshot, progress)
        where = f" — {entry['scenario']} → {entry['step']}" if entry.get("scenario") else ""
        progress(
            f"[{number}/{len(defects)}] {defect.criterion} {defect.id}: {entry['outcome'].upper()}"
            f" in {entry['seconds']:.0f}s{where}: {entry['reason'][:300]}"
        )
        (options.work_dir / defect.id).mkdir(parents=True, exist_ok=True)
        (options.work_dir / defect.id / ENTRY_FILE).write_text(json.dumps(entry, indent=2) + "\n")
        with lock:
            results.append(entry)
            report.write(data, shown(results), options.report_dir, time.monotonic() - started, final=False)
        return entry

    if options.jobs <= 1:  # in the main thread, so Ctrl-C / SIGTERM reach the waiting run and end it
        ordered = [one(numbered) for numbered in enumerate(defects, 1)]
    else:
        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            ordered = list(pool.map(one, enumerate(defects, 1)))
    return report.write(data, shown(ordered), options.report_dir, time.monotonic() - started, final=True)


def rejudge(
    defects: list[Defect], options: ProveOptions, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """Judge the defect runs already on disk (reports/mutants/<id>/) again, against the baseline in
    reports/mutants/baseline.json (or --baseline-from); nothing is run (a baseline taken after the runs)."""
    path = options.report_dir / "mutants.json"
    earlier = json.loads(path.read_text()) if path.is_file() else {}
    previous = {d["id"]: d for d in earlier.get("defects", [])}
    base_path = options.work_dir / BASELINE_FILE
    if options.baseline_from is not None:
        base = _save_baseline(
            base_path,
            earlier.get("baseline", {}).get("tree", ""),
            {d.criterion for d in defects},
            outcomes.read_cucumber(options.baseline_from),
            0.0,
            0,
        )
    elif base_path.is_file():
        base = json.loads(base_path.read_text())
    else:
        raise FileNotFoundError(f"no baseline: {base_path} is missing; pass --baseline-from CUCUMBER_JSON")
    results = []
    for defect in defects:
        entry = previous.get(defect.id) or _entry_on_disk(defect, options.work_dir / defect.id)
        cucumber = options.work_dir / defect.id / "cucumber.json"
        if entry is None or entry["outcome"] == outcomes.STALE or not cucumber.is_file():
            if entry is not None:
                results.append(entry)
            continue
        verdict = outcomes.judge(
            outcomes.read_cucumber(cucumber),
            base.get("scenarios", {}),
            int(entry.get("exit_status", 0)),
            _run_text(cucumber.parent),
        )
        entry = entry | _verdict_fields(verdict)
        progress(f"{defect.criterion} {defect.id}: {verdict.outcome.upper()}: {verdict.reason[:200]}")
        results.append(entry)
    data = report.new_report(base, options, sys.argv) | {"judged_again": True}
    return report.write(data, results, options.report_dir, float(earlier.get("seconds", 0.0)), final=True)


def run_baseline(defects: list[Defect], options: ProveOptions) -> dict[str, Any]:
    """Only the baseline of the defects' criteria (run, or reused for the same tree), saved in
    reports/mutants/baseline.json for a later --rejudge."""
    snapshot = scratch.make_scratch(options.source)
    try:
        repo = scratch.make_scratch(snapshot)
        try:
            return baseline(repo, {d.criterion for d in defects}, options)
        finally:
            scratch.remove_scratch(repo)
    finally:
        scratch.remove_scratch(snapshot)


def _entry_on_disk(defect: Defect, out_dir: Path) -> dict[str, Any] | None:
    """A defect's result from its run directory: entry.json, else rebuilt from its pytest.log (the scope from
    the command line, the exit status and seconds from pytest's last line)."""
    if (out_dir / ENTRY_FILE).is_file():
        return dict(json.loads((out_dir / ENTRY_FILE).read_text()))
    log_path = out_dir / "pytest.log"
    if not log_path.is_file() or not (out_dir / "cucumber.json").is_file():
        return None
    text = log_path.read_text(errors="replace")
    last = [line for line in text.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    summary = last[-1] if last else ""
    seconds = re.search(r" in ([0-9.]+)s", summary)
    return _defect_fields(defect, CLUSTER_FREE_MODULE in text.split("\n", 1)[0]) | {
        "outcome": outcomes.ERROR,
        "seconds": float(seconds.group(1)) if seconds else 0.0,
        "exit_status": 1 if re.search(r"\d+ (failed|error)", summary) else 0,
        "report_dir": str(out_dir),
    }
