"""The one subprocess helper: logs the command, captures output, and on failure raises with its stderr."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.log import get_logger

log = get_logger("proc")


class CommandError(RuntimeError):
    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        tail = (stderr or stdout).strip().splitlines()[-25:]
        super().__init__(
            f"`{shlex.join(self.argv)}` exited {returncode}:\n" + "\n".join(f"    {line}" for line in tail)
        )


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    input: str | bytes | None = None,  # mirrors subprocess.run
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    quiet: bool = False,
    stream: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run argv (never through a shell); `stream=True` shows the output live (long builds show progress).

    `env` is merged over os.environ. Raises CommandError (with the stderr tail) when check and exit != 0,
    FileNotFoundError with a hint when the program is missing.
    """
    args = [str(a) for a in argv]
    if not quiet:
        log.info("$ %s", shlex.join(args))
    full_env = {**os.environ, **env} if env else None
    text_input = input.decode() if isinstance(input, bytes) else input
    try:
        proc = subprocess.run(
            args,
            input=text_input,
            env=full_env,
            cwd=str(cwd) if cwd else None,
            timeout=timeout,
            text=True,
            capture_output=not stream,
            check=False,
        )
    except FileNotFoundError as exc:
        hint = "run `scripts/setup` to install the tools"
        raise FileNotFoundError(f"{args[0]} not found on PATH: {hint}") from exc
    if check and proc.returncode != 0:
        raise CommandError(args, proc.returncode, proc.stdout or "", proc.stderr or "")
    return proc


def which(program: str, *extra_dirs: Path) -> str | None:
    """Find a program on PATH or in the given directories (tool caches)."""
    import shutil

    path = os.pathsep.join([*(str(d) for d in extra_dirs), os.environ.get("PATH", "")])
    return shutil.which(program, path=path)


def running_program(pid: int | None) -> str | None:
    """The program (basename of argv[0]) that pid runs, or None if it is gone or a zombie — so a pid file
    left by a killed daemon, or its pid reused by another process, is not mistaken for the daemon."""
    if pid is None:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    if state == "Z" or not cmdline or not cmdline[0]:
        return None
    return Path(cmdline[0].decode(errors="replace")).name
