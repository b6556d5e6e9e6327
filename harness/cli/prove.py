"""CLI area — prove: seed the catalogue's defects one at a time, report which the acceptance run catches."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.paths import REPO, REPORTS


def prove(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="prove only this defect id (repeatable)")
    ] = None,
    criterion: Annotated[
        list[str] | None,
        typer.Option("--criterion", help="prove only the defects of this success criterion, e.g. SC-022"),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, help="defects proven at once (each installs its own release)")
    ] = 1,
    target: Annotated[
        str, typer.Option("--target", help="auto | kubeconfig | kind | minikube | local")
    ] = "auto",
    deploy_timeout: Annotated[
        float, typer.Option("--deploy-timeout", help="seconds each run waits for the chart's rollouts")
    ] = 300.0,  # ProveOptions.deploy_timeout: an option of each nested run, not a wait here
    run_timeout: Annotated[
        float, typer.Option("--run-timeout", help="seconds one defect's acceptance run may take in all")
    ] = 1800.0,  # ProveOptions.run_timeout: one nested run's process bound, not a wait
    report_dir: Annotated[
        Path, typer.Option("--report-dir", help="where mutants.json/.html/.md and each run's reports go")
    ] = REPORTS,
    fresh_baseline: Annotated[
        bool, typer.Option("--fresh-baseline", help="rerun the baseline even if one exists for this tree")
    ] = False,
    skip_baseline: Annotated[
        bool,
        typer.Option(
            "--skip-baseline", help="no baseline run: assume every scenario passes on the clean tree"
        ),
    ] = False,
    keep_scratch: Annotated[
        bool, typer.Option("--keep-scratch", help="leave each scratch copy in /tmp for inspection")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="keep the results of the last run on this same tree (errors are redone)"
        ),
    ] = False,
    baseline_from: Annotated[
        Path | None,
        typer.Option(
            "--baseline-from",
            help="use this cucumber.json (an acceptance run of the same tree) as the baseline",
        ),
    ] = None,
    baseline_only: Annotated[
        bool,
        typer.Option("--baseline-only", help="only run (or reuse) the baseline, for a later --rejudge"),
    ] = False,
    rejudge: Annotated[
        bool,
        typer.Option("--rejudge", help="judge the runs already in reports/mutants/ again; runs nothing"),
    ] = False,
    cluster_free: Annotated[
        bool,
        typer.Option(
            "--cluster-free",
            help="a quick first pass: only the scenarios that need no cluster (a survivor is redone by"
            " a later --resume run)",
        ),
    ] = False,
    list_: Annotated[bool, typer.Option("--list", help="list the catalogue and exit")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="only check that every entry applies to this tree; no cluster")
    ] = False,
) -> None:
    """Apply each seeded defect to a scratch copy of the repository, run the scenarios of the success
    criterion it should break, and report caught / survived / stale / error (reports/mutants.json, .html,
    .md)."""
    from harness.mutants.catalogue import CATALOGUE, catalogue_problems, check_applies, select
    from harness.mutants.runner import ProveOptions, run_baseline
    from harness.mutants.runner import prove as run_prove
    from harness.mutants.runner import rejudge as run_rejudge

    try:
        defects = select(CATALOGUE, only, criterion)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if list_:
        for d in defects:
            typer.echo(f"{d.id:40} {d.criterion}  {d.expected:8}  {d.file}: {d.description}")
        return
    if check:
        problems = catalogue_problems(CATALOGUE, REPO)
        for problem in problems:
            typer.echo(problem)
        stale = sum(bool(check_applies(d, REPO)) for d in CATALOGUE)
        typer.echo(f"{len(CATALOGUE) - stale} of {len(CATALOGUE)} catalogue entries apply to {REPO}")
        raise typer.Exit(1 if problems else 0)
    options = ProveOptions(
        source=REPO,
        report_dir=report_dir,
        target=target,
        deploy_timeout=deploy_timeout,
        run_timeout=run_timeout,
        jobs=jobs,
        fresh_baseline=fresh_baseline,
        skip_baseline=skip_baseline,
        keep_scratch=keep_scratch,
        resume=resume,
        baseline_from=baseline_from,
        cluster_free=cluster_free,
    )
    if baseline_only:
        base = run_baseline(defects, options)
        not_passing = [f"{n['scenario']} ({n['status']})" for n in base.get("not_passing", [])]
        typer.echo(f"baseline: {len(base['scenarios'])} scenarios; not passing: {not_passing or 'none'}")
        return
    # SIGTERM ends `tcb prove` like Ctrl-C: the running acceptance run is ended and scratch copies removed
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    if rejudge:
        data = run_rejudge(defects, options, progress=typer.echo)
    else:
        data = run_prove(defects, options, progress=typer.echo)
    s = data["summary"]
    typer.echo(
        f"prove: {s['caught']} caught, {s['survived']} survived, {s['stale']} stale, {s['error']} error"
        f" of {s['total']} in {data['seconds']:.0f}s — {report_dir / 'mutants.html'}"
    )
    raise typer.Exit(0 if s["caught"] == s["total"] else 1)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("prove")(prove)
