"""Steps bound their waits and commands by the run's `timeouts` (built from --deploy-timeout and
--timeout-scale), never by a harness function's default: a call in steps/ that leaves a parameter defaulting
to `DEFAULT_TIMEOUTS.<field>` unset is found. Callees are resolved from the module's names and from the
calling function's parameter annotations (`k8s: K8s` → `K8s.wait_for_rollout`)."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.paths import REPO

STEP_MODULES = sorted(f"steps.{p.stem}" for p in (REPO / "steps").glob("*.py") if p.stem != "__init__")


def default_timeouts(func: Callable[..., Any]) -> list[tuple[str, bool]]:
    """(parameter, takes it by position) of each parameter that defaults to a DEFAULT_TIMEOUTS field, in
    the order of the signature (without self); empty when there is none or no source to read."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return []
    node = ast.parse(source).body[0]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    args = node.args
    positional = args.posonlyargs + args.args
    defaults: dict[str, ast.expr] = dict(
        zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults, strict=True)
    )
    defaults |= {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    names = [a.arg for a in positional if a.arg not in ("self", "cls")] + [a.arg for a in args.kwonlyargs]
    positional_names = {a.arg for a in positional}
    return [
        (name, name in positional_names)
        for name in names
        if name in defaults and ast.unparse(defaults[name]).startswith("DEFAULT_TIMEOUTS.")
    ]


def _callee(module: ModuleType, func: ast.expr, annotated: dict[str, Any]) -> Any:
    if isinstance(func, ast.Name):
        target = getattr(module, func.id, None)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = annotated.get(func.value.id, getattr(module, func.value.id, None))
        target = getattr(owner, func.attr, None) if owner is not None else None
    else:
        return None
    return target.__init__ if inspect.isclass(target) else target


def defaults_left(module: ModuleType) -> list[str]:
    """`file:line: call leaves parameter=DEFAULT_TIMEOUTS…` for each such call in the module's functions."""
    path = Path(str(module.__file__))
    found = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        annotated = {}
        for arg in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs:
            if arg.annotation is not None:
                owner = getattr(module, ast.unparse(arg.annotation).split("|")[0].strip(), None)
                if inspect.isclass(owner):
                    annotated[arg.arg] = owner
        for call in ast.walk(fn):
            if not isinstance(call, ast.Call):
                continue
            target = _callee(module, call.func, annotated)
            if (
                target is None
                or any(k.arg is None for k in call.keywords)
                or any(isinstance(a, ast.Starred) for a in call.args)
            ):
                continue  # unknown callee, or **kwargs / *args: cannot tell what is passed
            passed = {k.arg for k in call.keywords}
            for name, by_position in default_timeouts(target):
                if name in passed or (by_position and _positional_index(target, name) < len(call.args)):
                    continue
                found.append(
                    f"{path.name}:{call.lineno}: {ast.unparse(call.func)}() leaves {name} at its default"
                )
    return sorted(set(found), key=lambda hit: int(hit.split(":")[1]))  # a nested function is walked twice


def _positional_index(func: Callable[..., Any], name: str) -> int:
    params = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
    return params.index(name)


@pytest.mark.parametrize("module_name", STEP_MODULES)
def test_steps_bound_waits_by_the_runs_timeouts(module_name: str) -> None:
    found = defaults_left(importlib.import_module(module_name))
    assert not found, (
        "pass the run's deadline (`timeouts: Timeouts` fixture, e.g. timeout=timeouts.command), or"
        " --timeout-scale does not reach it:\n" + "\n".join(found)
    )


LIB = """
from harness.timeouts import DEFAULT_TIMEOUTS


def run_sql(rel, sql, timeout=DEFAULT_TIMEOUTS.command):
    return sql


class Cluster:
    def wait_for_rollout(self, name, timeout: float = DEFAULT_TIMEOUTS.rollout, interval: float = 0.5):
        return name

    def request(self, path, timeout: float = 10.0):  # a request's bound, not a wait
        return path
"""
STEPS = """
from seeded_lib import Cluster, run_sql


def _refuse(release, timeouts):
    run_sql(release, "ALTER ROLE x")                        # 6: left at its default
    run_sql(release, "ALTER ROLE x", timeouts.command)      # passed by position
    run_sql(release, "ALTER ROLE x", timeout=timeouts.command)


def _rollout(k8s: Cluster, timeouts):
    k8s.wait_for_rollout("backend")                         # 12: left at its default
    k8s.wait_for_rollout("backend", timeout=timeouts.rollout)
    k8s.request("/api/health")                              # not a DEFAULT_TIMEOUTS default
"""


def test_the_scan_finds_a_step_that_leaves_a_timeout_at_its_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "seeded_lib.py").write_text(LIB)
    (tmp_path / "seeded_steps.py").write_text(STEPS)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("seeded_steps")
        assert defaults_left(module) == [
            "seeded_steps.py:6: run_sql() leaves timeout at its default",
            "seeded_steps.py:12: k8s.wait_for_rollout() leaves timeout at its default",
        ]
    finally:
        for name in ("seeded_steps", "seeded_lib"):
            sys.modules.pop(name, None)
