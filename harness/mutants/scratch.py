"""Scratch copies of the repository: a local clone of the tree on disk (committed state plus uncommitted
changes to tracked files), in which one defect is committed and the acceptance run happens.

A clone, not a `git worktree`: commits made in a worktree share the main repository's refs and objects, so a
seeded secret committed there could show up in every other checkout's history scan. The clone borrows the
source's objects (--shared) and writes its own; deleting the directory removes every trace.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.proc import run

GIT_IDENTITY = ["-c", "user.name=tcb prove", "-c", "user.email=prove@localhost", "-c", "commit.gpgsign=false"]


def _git(repo: Path, *args: str, input: str | None = None) -> str:
    return run(["git", "-C", str(repo), *GIT_IDENTITY, *args], quiet=True, input=input).stdout


def source_state(source: Path) -> tuple[str, str]:
    """(HEAD commit, diff of tracked files against HEAD) of the tree to prove."""
    head = _git(source, "rev-parse", "HEAD").strip()
    return head, _git(source, "diff", "HEAD", "--binary")


def make_scratch(source: Path, parent: Path | None = None) -> Path:
    """A clone of source's tree as it is on disk, with source's .venv linked in (the harness runs
    `.venv/bin/tcb` from the repository it proves). Returns the clone's path (remove_scratch removes it)."""
    source = source.resolve()
    head, diff = source_state(source)
    holder = Path(tempfile.mkdtemp(prefix="tcb-prove-", dir=parent))
    repo = holder / "repo"
    run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(source), str(repo)], quiet=True)
    _git(repo, "checkout", "--quiet", "--detach", head)
    if diff.strip():
        _git(repo, "apply", "--index", "--whitespace=nowarn", input=diff)
        _git(repo, "commit", "--quiet", "--no-verify", "-m", f"uncommitted changes of {source}")
    venv = source / ".venv"
    if venv.is_dir():
        (repo / ".venv").symlink_to(venv)
        # `.venv/` in .gitignore matches a directory, not this link: keep it out of the defect's commit
        with (repo / ".git" / "info" / "exclude").open("a") as exclude:
            exclude.write("/.venv\n")
    return repo


def commit_all(repo: Path, message: str) -> str:
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "--no-verify", "-m", message)
    return _git(repo, "rev-parse", "--short", "HEAD").strip()


def tree_id(repo: Path) -> str:
    """The id of the tree at HEAD: equal trees, equal content (baselines are reused by it)."""
    return _git(repo, "rev-parse", "HEAD^{tree}").strip()


def remove_scratch(repo: Path) -> None:
    holder = repo.parent
    if holder.name.startswith("tcb-prove-"):
        shutil.rmtree(holder, ignore_errors=True)
