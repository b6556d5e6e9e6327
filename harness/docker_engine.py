"""The Docker engine: find a running one, or start Debian's dockerd by hand (no systemd on these machines)."""

from __future__ import annotations

import os
from pathlib import Path

import docker
from docker.errors import DockerException

from harness.log import get_logger
from harness.paths import STATE, ensure
from harness.proc import Daemon, DaemonError, run, running_program, which
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("docker")

# What scripts/setup installs for the engine; dockerd starts its own managed containerd with runc.
ENGINE_PACKAGES = ("docker.io", "containerd", "runc")
DOCKERD_LOG = STATE / "dockerd.log"
DOCKERD_PID = STATE / "dockerd.pid"


class DockerEngineError(RuntimeError):
    """The engine is not reachable and cannot be started here; the message says why and what to do."""


def docker_client(timeout: int = 1800) -> docker.DockerClient:  # each call's read bound, not a wait
    """A client for the engine named by DOCKER_HOST (default: the local socket); long read timeout because
    a build step can run minutes without output."""
    return docker.from_env(timeout=timeout)


_REPORTED: set[str] = set()  # engines this process has said are running


def engine_status() -> tuple[bool, str]:
    """(answers, what was seen): whether the engine's API answers a ping."""
    try:
        client = docker_client(timeout=5)  # the ping's bound (a probe, not a wait)
        try:
            version = client.version()
        finally:
            client.close()
    except DockerException as exc:
        return False, str(exc).splitlines()[0]
    return True, f"engine {version.get('Version')} (API {version.get('ApiVersion')})"


def missing_engine_packages() -> list[str]:
    missing = []
    for package in ENGINE_PACKAGES:
        proc = run(["dpkg-query", "-W", "-f=${Status}", package], check=False, quiet=True)
        if "install ok installed" not in proc.stdout:
            missing.append(package)
    return missing


def ensure_docker_engine(timeout: float = DEFAULT_TIMEOUTS.docker_engine) -> docker.DockerClient:
    """Return a client for a running engine, starting dockerd detached if none answers. Idempotent."""
    answers, seen = engine_status()
    if answers:
        # said once per process: every image check asks, and the same line each time is noise in the progress
        (log.info if seen not in _REPORTED else log.debug)("docker: %s is running", seen)
        _REPORTED.add(seen)
        return docker_client()
    if os.environ.get("DOCKER_HOST"):
        raise DockerEngineError(
            f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer ({seen}): "
            "start that engine or unset DOCKER_HOST"
        )
    missing = missing_engine_packages()
    if missing:
        raise DockerEngineError(f"Docker engine packages missing ({', '.join(missing)}): run scripts/setup")
    if os.geteuid() != 0:
        raise DockerEngineError("dockerd is not running and only root can start it: start it or run as root")
    dockerd = which("dockerd", Path("/usr/sbin"), Path("/usr/bin"))
    if dockerd is None:
        raise DockerEngineError(
            "dockerd not found although docker.io is installed: reinstall it (scripts/setup)"
        )
    ensure(STATE)
    if _pid() is not None and not _dockerd_alive():
        # left by a dockerd that was killed (its pid may even belong to another process by now): dockerd
        # refuses to start over it, and read before the new one writes its own it looks like a failed start
        DOCKERD_PID.unlink(missing_ok=True)
    log.info("docker: engine not answering (%s); starting %s detached", seen, dockerd)
    # dockerd writes its own pid file (and refuses to start if it names a live process: so not us)
    daemon = Daemon(
        "dockerd",
        [dockerd, "--pidfile", DOCKERD_PID],
        DOCKERD_LOG,
        health=engine_status,
        pid_file=DOCKERD_PID,
        write_pid_file=False,
    )
    daemon.start()
    try:
        daemon.wait_healthy(timeout, interval=0.5)
    except DaemonError as exc:
        raise DockerEngineError(f"the Docker engine did not start: {exc}") from exc
    log.info("docker: %s started (pid %s)", engine_status()[1], _pid())
    return docker_client()


def _dockerd_alive() -> bool:
    """Whether the pid file names a running dockerd (not a zombie, not a reused pid)."""
    return running_program(_pid()) == "dockerd"


def _pid() -> int | None:
    try:
        return int(DOCKERD_PID.read_text().strip())
    except (OSError, ValueError):
        return None
