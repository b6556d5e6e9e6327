"""harness.proc.Daemon, the one managed-process helper: spawn detached, pid file, health, log tail on failure,
stop of the whole process group; and the one uvicorn command line."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from harness.proc import Daemon, DaemonError, running_program, uvicorn_argv
from harness.waits import wait_until

# a daemon that forks a child (like uvicorn workers or dockerd's containerd), then becomes healthy; the child
# takes a moment to shut down on SIGTERM (as a worker draining its requests does), so it outlives the leader
SERVER = """
import os, signal, sys, time, pathlib
child = os.fork()
if child == 0:
    signal.signal(signal.SIGTERM, lambda *_: (time.sleep(0.7), os._exit(0)))
    time.sleep(600)
    os._exit(0)
pathlib.Path(sys.argv[1]).write_text(str(child))
print("serving", flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    return running_program(pid) is not None


def test_daemon_starts_is_found_again_and_stops_its_whole_group(tmp_path: Path) -> None:
    ready = tmp_path / "child.pid"
    daemon = Daemon(
        "server",
        [sys.executable, "-c", SERVER, str(ready)],
        tmp_path / "logs" / "server.log",
        health=lambda: (ready.exists(), "no child yet"),
        pid_file=tmp_path / "run" / "server.pid",
    )
    assert daemon.start() is True
    daemon.wait_healthy(timeout=20)
    pid, child = daemon.pid(), int(ready.read_text())
    assert pid is not None and int((tmp_path / "run" / "server.pid").read_text()) == pid
    # another process (a second harness run) finds it by its pid file and does not start a second copy
    again = Daemon("server", [sys.executable], daemon.log_path, pid_file=daemon.pid_file)
    assert again.pid() == pid and again.start() is False
    again.stop(timeout=5)
    assert not _alive(pid) and not _alive(child), "stop must signal the whole process group"
    assert daemon.pid_file is not None and not daemon.pid_file.exists()
    assert "serving" in daemon.log_tail()


def test_a_daemon_restarted_by_another_instance_is_stopped_by_the_first(tmp_path: Path) -> None:
    """The instance that started it (and holds its dead child) stops the copy another instance started again
    since, found by the pid file: the local cluster's teardown left a restarted kube-scheduler running, and
    every later cluster start failed on its port."""
    pid_file = tmp_path / "run" / "sleeper.pid"

    def sleeper() -> Daemon:
        argv = [sys.executable, "-c", "import time; time.sleep(600)"]
        return Daemon(
            "sleeper", argv, tmp_path / "sleeper.log", pid_file=pid_file, program=Path(argv[0]).name
        )

    first = sleeper()
    assert first.start() is True
    first_pid = first.pid()
    assert first_pid is not None
    os.kill(first_pid, 9)
    deadline = time.monotonic() + 10
    while first.process is not None and first.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the kill's delivery: a bound, not a wait on the daemon
    second = sleeper()
    assert second.start() is True  # another instance: the first's child is dead
    restarted = second.pid()
    assert restarted is not None and restarted != first_pid
    # /proc names the new program a moment after Popen returns: until then no pid-file lookup can see it
    wait_until("the restarted copy to run its program", lambda: (_alive(restarted), "not yet"), timeout=10)
    first.stop(timeout=5)
    assert not _alive(restarted), "the restarted copy outlived the stop"
    assert not pid_file.exists()


def test_a_daemon_that_exits_while_starting_fails_fast_with_its_log(tmp_path: Path) -> None:
    daemon = Daemon(
        "broken",
        [sys.executable, "-c", "import sys; print('config error: no such file'); sys.exit(3)"],
        tmp_path / "broken.log",
        health=lambda: (False, "not yet"),
    )
    daemon.start()
    started = time.monotonic()
    with pytest.raises(DaemonError, match=r"broken exited with status 3 while starting(.|\n)*config error"):
        daemon.wait_healthy(timeout=60)
    assert time.monotonic() - started < 10  # did not wait out the timeout


def test_a_daemon_that_never_gets_healthy_times_out_with_what_it_saw(tmp_path: Path) -> None:
    daemon = Daemon(
        "slow",
        [sys.executable, "-c", "import time; print('still booting', flush=True); time.sleep(60)"],
        tmp_path / "slow.log",
        health=lambda: (False, "port 1 refused"),
    )
    daemon.start()
    try:
        with pytest.raises(DaemonError, match=r"port 1 refused(.|\n)*still booting"):
            daemon.wait_healthy(timeout=1.5)
    finally:
        daemon.stop(timeout=5)
    assert daemon.pid() is None


def test_a_pid_file_naming_another_program_is_not_the_daemon(tmp_path: Path) -> None:
    pid_file = tmp_path / "dockerd.pid"
    pid_file.write_text(str(os.getpid()))  # a reused pid: this pytest process, not dockerd
    assert Daemon("dockerd", ["dockerd"], tmp_path / "d.log", pid_file=pid_file).pid() is None
    pid_file.write_text("not a pid")
    assert Daemon("dockerd", ["dockerd"], tmp_path / "d.log", pid_file=pid_file).pid() is None


def test_uvicorn_command_line_runs_the_module_like_the_images() -> None:
    argv = uvicorn_argv("todo_backend.main:app", "127.0.0.1", 8000, "--no-access-log", workers=2)
    assert argv[:3] == [sys.executable, "-m", "uvicorn"]
    assert argv[3:] == [
        "todo_backend.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        "--workers",
        "2",
        "--no-access-log",
    ]
