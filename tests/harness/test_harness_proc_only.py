"""Every long-running process the project starts goes through harness/proc.py (`Daemon`: spawn, pid file,
health, log tail, stop of its group): a `subprocess.Popen`, `asyncio.create_subprocess_*`, `os.fork`,
`os.spawn*`, `os.system` or `os.popen` anywhere else in harness/, steps/, tests/ or benchmarks/ is found,
unless ALLOWED says why that process is not a daemon."""

from __future__ import annotations

import ast

from harness.paths import REPO

LAYERS = ("harness", "steps", "tests", "benchmarks")
PROC = "harness/proc.py"
# path -> why its process is not a daemon the project keeps running (and so not a harness.proc.Daemon)
ALLOWED = {
    "harness/mutants/runner.py": "a nested acceptance run in the foreground, bounded by its run timeout",
    "tests/frontend/test_devserver.py": "`tcb dev` itself, the program under test, run as a user runs it",
    "tests/backend/test_backend_migrations.py": "one-shot `migrate` processes started together to race",
}
SPAWNERS = {
    ("subprocess", "Popen"),
    ("asyncio", "create_subprocess_exec"),
    ("asyncio", "create_subprocess_shell"),
    ("os", "fork"),
    ("os", "forkpty"),
    ("os", "system"),
    ("os", "popen"),
    ("os", "posix_spawn"),
    ("os", "posix_spawnp"),
}


def _spawner(func: ast.expr, imported: dict[str, tuple[str, str]]) -> str | None:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        pair = (func.value.id, func.attr)
        if pair in SPAWNERS or (func.value.id == "os" and func.attr.startswith("spawn")):
            return f"{pair[0]}.{pair[1]}"
    if isinstance(func, ast.Name) and func.id in imported:
        return ".".join(imported[func.id])
    return None


def spawns(source: str, name: str = "<source>") -> list[str]:
    """`name:line: module.function` for each call that starts a process outside harness.proc."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("subprocess", "asyncio", "os")
        for alias in node.names
        if (node.module, alias.name) in SPAWNERS or (node.module == "os" and alias.name.startswith("spawn"))
    }
    calls = sorted(
        (node.lineno, what)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (what := _spawner(node.func, imported))
    )
    return [f"{name}:{line}: {what}" for line, what in calls]


def test_every_process_the_project_keeps_running_is_a_daemon_of_harness_proc() -> None:
    found = [
        hit
        for layer in LAYERS
        for path in sorted((REPO / layer).rglob("*.py"))
        if (rel := str(path.relative_to(REPO))) != PROC and rel not in ALLOWED
        for hit in spawns(path.read_text(), rel)
    ]
    assert not found, (
        "processes started outside harness/proc.py: use harness.proc.Daemon (a server) or harness.proc.run"
        " (a command to completion), or say in ALLOWED why it is neither:\n" + "\n".join(found)
    )


def test_every_allowed_file_still_starts_a_process() -> None:
    """An exception that is no longer needed is removed, so it cannot hide a new spawn later."""
    stale = [rel for rel in ALLOWED if not spawns((REPO / rel).read_text(), rel)]
    assert not stale, f"ALLOWED names files that start no process any more: {stale}"


def test_the_scan_finds_each_way_of_starting_a_process() -> None:
    """The seeded defects the test above catches; a command run to completion is not among them."""
    seeded = """
import asyncio, os, subprocess
from subprocess import Popen as P
server = subprocess.Popen(["uvicorn", "app"])
other = P(["postgres"])
child = os.fork()
os.system("dockerd &")
proc = await asyncio.create_subprocess_exec("helm")
os.spawnlp(os.P_NOWAIT, "etcd", "etcd")
subprocess.run(["helm", "version"], check=True)
"""
    assert spawns(seeded) == [
        "<source>:4: subprocess.Popen",
        "<source>:5: subprocess.Popen",
        "<source>:6: os.fork",
        "<source>:7: os.system",
        "<source>:8: asyncio.create_subprocess_exec",
        "<source>:9: os.spawnlp",
    ]
