"""The subprocess helpers: `run` (a command to completion: logs it, captures output, raises with its stderr)
and `Daemon` (a long-running process: spawn, pid file, health, log tail, stop its process group)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from harness.log import get_logger
from harness.timeouts import DEFAULT_TIMEOUTS

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


class DaemonError(RuntimeError):
    """A managed process exited while starting or never got healthy; the message ends with its log tail."""


@dataclass
class Daemon:
    """One long-running process the project starts: the one place that spawns, records, probes and stops them
    (cluster components, dockerd, dev servers, the LLM server, test and benchmark servers).

    Spawned in its own session (its own process group: Ctrl-C in the caller does not reach it, and `stop`
    signals the whole group, workers included), output to `log_path` (and, with `echo`, to stderr with that
    prefix), pid in `pid_file` if given, so another process finds it again (`pid()` accepts a recorded pid
    only while it runs `program`, not a zombie or a reused pid). `health` says whether it serves.
    """

    name: str
    argv: Sequence[str | os.PathLike[str]]
    log_path: Path
    health: Callable[[], tuple[bool, str]] | None = None
    pid_file: Path | None = None
    write_pid_file: bool = True  # False for a program that writes `pid_file` itself (dockerd)
    env: Mapping[str, str] | None = None  # merged over os.environ
    cwd: Path | None = None
    program: str | None = None  # what /proc/<pid>/cmdline[0] is named; default: argv[0]'s basename
    echo: str | None = None
    append_log: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _pump: threading.Thread | None = field(default=None, init=False, repr=False)

    def pid(self) -> int | None:
        """The pid while it runs: our child's exact state, else the pid file checked against /proc (also once
        our child has died: another process may have started it again since, as `ensure_up` from another
        harness instance does, and stopping must reach that one)."""
        if self.process is not None and self.process.poll() is None:
            return self.process.pid
        if self.pid_file is None:
            return None
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if running_program(pid) == (self.program or Path(str(self.argv[0])).name) else None

    def running(self) -> bool:
        return self.pid() is not None

    def start(self) -> bool:
        """Spawn it unless it runs already; True if this call started it."""
        if self.running():
            return False
        args = [str(a) for a in self.argv]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting %s: %s (log: %s)", self.name, shlex.join(args), self.log_path)
        full_env = {**os.environ, **self.env} if self.env else None
        with open(self.log_path, "ab" if self.append_log else "wb") as sink:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.echo else sink,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=self.cwd,
                start_new_session=True,
            )
        if self.echo:
            assert self.process.stdout is not None
            self._pump = threading.Thread(target=self._copy_output, args=(self.process.stdout,), daemon=True)
            self._pump.start()
        if self.pid_file is not None and self.write_pid_file:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(str(self.process.pid))
        return True

    def _copy_output(self, stream: IO[bytes]) -> None:
        with self.log_path.open("ab") as sink:
            for line in stream:
                sink.write(line)
                sink.flush()
                sys.stderr.write(f"[{self.echo:8}] {line.decode(errors='replace')}")

    def exit_status(self) -> str:
        if self.process is not None and self.process.returncode is not None:
            return f"exited with status {self.process.returncode}"
        return "exited"

    def wait_healthy(self, timeout: float, interval: float = 0.2) -> str:
        """Wait until `health` says yes; stop early, with the log tail, when the process exits."""
        from harness.waits import StopWaiting, WaitStopped, WaitTimeout, wait_until

        def probe() -> tuple[bool, str]:
            if not self.running():  # it cannot become healthy any more: the wait ends now
                raise StopWaiting(f"{self.name} {self.exit_status()} while starting")
            return self.health() if self.health else (True, "running")

        try:
            seen = wait_until(f"{self.name} to be healthy", probe, timeout=timeout, interval=interval)
        except WaitStopped as exc:
            raise DaemonError(f"{exc.reason}; last lines of {self.log_path}:\n{self.log_tail()}") from exc
        except WaitTimeout as exc:
            raise DaemonError(f"{exc}\nlast lines of {self.log_path}:\n{self.log_tail()}") from exc
        return str(seen)

    def stop(self, timeout: float = DEFAULT_TIMEOUTS.daemon_stop, *, warn: bool = True) -> None:
        """SIGTERM its process group, SIGKILL it after `timeout`; reap it and remove the pid file.
        `warn=False`: being killed is expected (its state is discarded), so it is not a warning."""
        pid = self.pid()
        if pid is not None:
            log.info("stopping %s (pid %d)", self.name, pid)
            _signal_group(pid, signal.SIGTERM)
            if not self._wait_gone(timeout, group=pid):
                (log.warning if warn else log.info)(
                    "%s did not stop within %.0f s: killing it", self.name, timeout
                )
                _signal_group(pid, signal.SIGKILL)
                # SIGKILL cannot be ignored: a bound on the kernel's reaping, not a wait on the daemon
                self._wait_gone(10, group=pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        if self._pump is not None:
            self._pump.join(timeout=2)  # the log pump drains what is left (the daemon is gone): not a wait
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def _wait_gone(self, timeout: float, group: int | None = None) -> bool:
        """Wait until it has exited and, with `group`, every live member of that process group too (its
        workers get the same signal but may outlive the leader by a moment)."""

        def gone() -> bool:
            return not self.running() and (group is None or not group_members(group))

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.2)  # one poll step of this wait, not a wait
            if gone():
                return True
            time.sleep(0.1)
        return gone()

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is `pgid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            members.append(int(stat.parent.name))
    return members


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group `pid` leads (a Daemon is its group's leader); the process alone otherwise."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    except PermissionError:
        os.kill(pid, sig)


def uvicorn_argv(
    app: str, host: str, port: int, *extra: str, python: str | None = None, workers: int | None = None
) -> list[str]:
    """The one uvicorn command line: the way the images run the services (`python -m uvicorn app`)."""
    argv = [python or sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return [*argv, *extra]
