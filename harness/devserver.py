"""Run backend, chatbot and frontend as local uvicorn processes on SQLite: `tcb dev` and the browser tests.

No Docker, no cluster, no Postgres: each service gets ENVIRONMENT=development, its own SQLite file under the
state directory, and the URLs of the others. Output of each goes to <state>/logs/<service>.log (and, for
`tcb dev`, to the terminal with a `[service]` prefix).
"""

from __future__ import annotations

import secrets
import shlex
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import components, http_client
from harness.log import get_logger
from harness.paths import DEV_STATE_DIR, ensure
from harness.proc import Daemon, DaemonError, uvicorn_argv
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("dev")

DEFAULT_STATE_DIR = DEV_STATE_DIR
SERVICES = components.APP_COMPONENTS
APP_MODULES = {name: str(components.component(name).app_module) for name in SERVICES}


class DevServerError(RuntimeError):
    pass


@dataclass
class DevService:
    name: str
    port: int
    host: str
    daemon: Daemon

    @property
    def process(self) -> subprocess.Popen[bytes]:
        assert self.daemon.process is not None
        return self.daemon.process

    @property
    def log_path(self) -> Path:
        return self.daemon.log_path

    @property
    def url(self) -> str:
        return f"http://{connect_host(self.host)}:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return self.daemon.log_tail(lines)


@dataclass
class DevStack:
    services: dict[str, DevService]
    state_dir: Path

    @property
    def backend_url(self) -> str:
        return self.services["backend"].url

    @property
    def chatbot_url(self) -> str:
        return self.services["chatbot"].url

    @property
    def frontend_url(self) -> str:
        return self.services["frontend"].url

    def __enter__(self) -> DevStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def exited(self) -> list[DevService]:
        return [s for s in self.services.values() if s.process.poll() is not None]

    def stop(self, timeout: float = DEFAULT_TIMEOUTS.daemon_stop) -> None:
        """SIGTERM each service's process group, SIGKILL what is still running after `timeout`."""
        for service in self.services.values():
            service.daemon.stop(timeout)
        log.info("stopped %s", ", ".join(self.services))


def connect_host(listen_host: str) -> str:
    """Where to reach a server listening on listen_host: loopback for the wildcard addresses."""
    return "127.0.0.1" if listen_host in ("0.0.0.0", "", "::") else listen_host  # noqa: S104 - compared, not bound


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def dev_secret(state_dir: Path) -> str:
    """A random JWT secret kept in the state dir, so logins survive a restart of `tcb dev`."""
    path = state_dir / "jwt-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


# One developer (or a test or benchmark session) on one loopback address signs up and chats far more than
# the production limits allow; the limits themselves are probed by tests/security.
DEV_ABUSE_LIMITS = {
    "backend": {"SIGNUP_LIMIT_PER_ADDRESS": "100000/3600", "LOGIN_LIMIT_PER_ADDRESS": "100000/60"},
    "chatbot": {"CHAT_LIMIT_PER_ACCOUNT": "100000/60", "CHAT_LIMIT_PER_ADDRESS": "100000/60"},
}


def service_environments(
    state_dir: Path,
    ports: Mapping[str, int],
    host: str,
    *,
    nlu_provider: str = "rules",
    log_level: str = "INFO",
) -> dict[str, dict[str, str]]:
    """The environment each service starts with (the same variables the Helm chart sets)."""
    backend_url = f"http://{connect_host(host)}:{ports['backend']}"
    chatbot_url = f"http://{connect_host(host)}:{ports['chatbot']}"
    common = {"ENVIRONMENT": "development", "LOG_LEVEL": log_level, "PYTHONUNBUFFERED": "1"}
    return {
        "backend": {
            **common,
            "DATABASE_URL": f"sqlite+aiosqlite:///{state_dir / 'backend.db'}",
            "BETTER_AUTH_SECRET": dev_secret(state_dir),
            **DEV_ABUSE_LIMITS["backend"],
        },
        "chatbot": {
            **common,
            "DATABASE_URL": f"sqlite+aiosqlite:///{state_dir / 'chatbot.db'}",
            "BACKEND_URL": backend_url,
            "NLU_PROVIDER": nlu_provider,
            **DEV_ABUSE_LIMITS["chatbot"],
        },
        "frontend": {**common, "BACKEND_URL": backend_url, "CHATBOT_URL": chatbot_url},
    }


def start_dev_stack(
    state_dir: Path = DEFAULT_STATE_DIR,
    *,
    ports: Mapping[str, int] | None = None,
    host: str = "127.0.0.1",
    nlu_provider: str = "rules",
    log_level: str = "INFO",
    extra_env: Mapping[str, Mapping[str, str]] | None = None,
    only: Sequence[str] = SERVICES,
    echo: bool = False,
    timeout: float = DEFAULT_TIMEOUTS.dev_servers,
) -> DevStack:
    """Start the three services and wait until each answers GET /api/health; stop them all on failure.

    Use as `with start_dev_stack(tmp, ports=...) as stack:` to stop them on exit, or call stack.stop().

    `ports` defaults to the chart's container ports (8000/8001/3000); `extra_env` adds or overrides variables
    per service (e.g. an LLM URL); `only` starts a subset (e.g. just the backend, for tests of the frontend
    app in-process).
    """
    ports = {**{name: components.container_port(name) for name in SERVICES}, **(ports or {})}
    unknown = set(only) - set(SERVICES)
    if unknown:
        raise DevServerError(f"unknown service(s) {sorted(unknown)}: choose from {', '.join(SERVICES)}")
    busy = [f"{name} port {ports[name]}" for name in only if port_in_use(connect_host(host), ports[name])]
    if busy:
        raise DevServerError(
            f"{', '.join(busy)} already in use on {host}: stop what listens there or pick other ports "
            "(--backend-port, --chatbot-port, --frontend-port)"
        )
    ensure(state_dir)
    logs = ensure(state_dir / "logs")
    envs = service_environments(state_dir, ports, host, nlu_provider=nlu_provider, log_level=log_level)
    stack = DevStack(services={}, state_dir=state_dir)
    try:
        for name in [n for n in SERVICES if n in only]:
            env = {**envs[name], **((extra_env or {}).get(name, {}))}
            stack.services[name] = _spawn(name, host, ports[name], env, state_dir, logs / f"{name}.log", echo)
        for service in stack.services.values():
            _wait_healthy(service, timeout)
    except BaseException:
        stack.stop()
        raise
    return stack


def _spawn(
    name: str, host: str, port: int, env: Mapping[str, str], cwd: Path, log_path: Path, echo: bool
) -> DevService:
    argv = uvicorn_argv(APP_MODULES[name], host, port)
    shown_env = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k != "BETTER_AUTH_SECRET")
    log.info("%s environment: %s", name, shown_env)
    # own process group: Ctrl-C reaches only `tcb dev`, which then stops the services in order
    url = f"http://{connect_host(host)}:{port}/api/health"

    def health() -> tuple[bool, str]:
        response = http_client.get(url, timeout=2.0)  # one probe of the health wait, not a wait itself
        return response.status_code == 200, f"GET {url}: HTTP {response.status_code} {response.text[:200]}"

    daemon = Daemon(name, argv, log_path, health=health, env=env, cwd=cwd, echo=name if echo else None)
    daemon.start()
    return DevService(name=name, port=port, host=host, daemon=daemon)


def _wait_healthy(service: DevService, timeout: float) -> None:
    try:
        service.daemon.wait_healthy(timeout, interval=0.5)
    except DaemonError as exc:
        raise DevServerError(f"{service.name} failed to start: {exc}") from exc
    log.info("%s is up at %s", service.name, service.url)
