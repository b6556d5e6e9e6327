"""Every deadline of steps/ and harness/ comes from harness/timeouts.py: a number given to a timeout where a
wait is written (`timeout=90`, `def start(timeout=120)`) is found, unless its comment says why it is not a
wait (one probe's or one request's bound, a setting of a service)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from harness import timeouts as timeouts_module
from harness.paths import REPO

TIMEOUT_NAME = re.compile(r"timeout", re.IGNORECASE)
MARKER = "not a wait"  # the comment that explains a literal which is not a wait's deadline
SOURCES = [
    path
    for layer in ("harness", "steps")
    for path in sorted((REPO / layer).rglob("*.py"))
    if path != Path(timeouts_module.__file__)
]


def _number(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def literal_timeouts(source: str, name: str = "<source>") -> list[str]:
    """Each timeout given as a number (keyword argument, parameter default, class field) whose line and the
    line above it have no `not a wait` comment: `name:line: what`."""
    lines = source.splitlines()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and TIMEOUT_NAME.search(node.arg or "") and _number(node.value):
            found.append((node.value.lineno, f"{node.arg}={ast.unparse(node.value)}"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
            found += [
                (default.lineno, f"def {node.name}({arg.arg}={ast.unparse(default)})")
                for arg, default in pairs
                if TIMEOUT_NAME.search(arg.arg) and _number(default)
            ]
        elif (
            isinstance(node, ast.AnnAssign | ast.Assign)
            and _number(node.value)
            and any(
                isinstance(t, ast.Name) and TIMEOUT_NAME.search(t.id)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        ):
            assert node.value is not None
            found.append((node.value.lineno, ast.unparse(node).split("\n")[0]))
    return [
        f"{name}:{line}: {what}"
        for line, what in sorted(found)
        if MARKER not in lines[line - 1] and (line < 2 or MARKER not in lines[line - 2])
    ]


def test_every_wait_takes_its_deadline_from_the_timeouts_object():
    found = [
        hit for path in SOURCES for hit in literal_timeouts(path.read_text(), str(path.relative_to(REPO)))
    ]
    assert not found, (
        "timeouts written where the wait is: give each a named, documented field of harness/timeouts.py "
        "(steps take it from the `timeouts` fixture, the harness from DEFAULT_TIMEOUTS or its caller), or, "
        "if it is not a wait, say why in a `# … not a wait` comment on its line:\n" + "\n".join(found)
    )


def test_a_literal_timeout_is_found_unless_its_comment_says_it_is_not_a_wait():
    """The seeded defects the test above catches: a deadline written as a number in each form."""
    seeded = """
wait_until("the Postgres pod to be gone", probe, timeout=90, interval=0.5)
k8s.wait_for_rollout("StatefulSet", name, namespace, timeout=180.0)

def start(self, timeout: float = 120) -> None: ...

DENIED_TIMEOUT = 4

@dataclass
class Component:
    start_timeout: float = 60

httpx.get(url, timeout=2.0)  # one probe of a wait, not a wait
# each request's bound, not a wait
client = httpx.Client(timeout=600)
wait_until("x", probe, timeout=timeouts.pods_gone)
"""
    assert literal_timeouts(seeded) == [
        "<source>:2: timeout=90",
        "<source>:3: timeout=180.0",
        "<source>:5: def start(timeout=120)",
        "<source>:7: DENIED_TIMEOUT = 4",
        "<source>:11: start_timeout: float = 60",
    ]


def test_every_timeout_is_documented_where_it_is_defined():
    """Each field of Timeouts has a comment above it saying which wait it bounds."""
    source = Path(timeouts_module.__file__).read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Timeouts"]
    fields = [n for n in cls.body if isinstance(n, ast.AnnAssign)]
    assert len(fields) > 20
    undocumented = [ast.unparse(f.target) for f in fields if not lines[f.lineno - 2].strip().startswith("#")]
    assert not undocumented, f"Timeouts fields without a comment saying what they bound: {undocumented}"
