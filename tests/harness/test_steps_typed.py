"""steps/ stays typed and on public APIs: no step parameter typed Any (each fixture has a concrete type),
and no private attribute of pytest or pytest-bdd (`item._request`, `config._bddcucumberjson`, `_pytest`)."""

from __future__ import annotations

import ast
import re

from harness.paths import REPO

STEP_SOURCES = sorted((REPO / "steps").glob("*.py"))
# a private attribute of pytest's or pytest-bdd's objects, or their private modules
PRIVATE = re.compile(
    r"[.\"'](_request|_bdd\w*|_fixtureinfo|_fixturemanager|_pyfuncitem|_store)\b|\b_pytest\b"
)


def any_parameters(source: str, name: str = "<source>") -> list[str]:
    """`name:line: function(parameter)` for each function parameter annotated `Any`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None and ast.unparse(arg.annotation) == "Any":
                    found.append(f"{name}:{arg.lineno}: {node.name}({arg.arg})")
    return found


def private_uses(source: str, name: str = "<source>") -> list[str]:
    return [
        f"{name}:{number}: {line.strip()}"
        for number, line in enumerate(source.splitlines(), 1)
        if PRIVATE.search(line.split("#", 1)[0])
    ]


def test_no_step_parameter_is_typed_any():
    found = [hit for p in STEP_SOURCES for hit in any_parameters(p.read_text(), str(p.relative_to(REPO)))]
    assert not found, "give these parameters their fixture's type (Release, K8s, Evidence, …):\n" + "\n".join(
        found
    )


def test_steps_use_no_private_pytest_or_pytest_bdd_attribute():
    found = [hit for p in STEP_SOURCES for hit in private_uses(p.read_text(), str(p.relative_to(REPO)))]
    assert not found, "private pytest/pytest-bdd API (breaks on their next release):\n" + "\n".join(found)


def test_the_checks_find_the_seeded_defects():
    seeded = """
def _scale(release: Any, replicas: int, evidence: Evidence) -> None: ...
def _log(config):
    log = getattr(config, "_bddcucumberjson", None)
    return item._request.getfixturevalue("k8s")
from _pytest.fixtures import FixtureRequest
def _fine(release: Release, k8s: K8s) -> dict[str, Any]: ...
"""
    assert any_parameters(seeded) == ["<source>:2: _scale(release)"]
    assert [hit.split(":")[1] for hit in private_uses(seeded)] == ["4", "5", "6"]
