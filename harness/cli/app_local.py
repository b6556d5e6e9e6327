"""CLI area — dev: run backend, chatbot and frontend as local processes on SQLite."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from harness.components import APP_COMPONENTS, container_port
from harness.log import get_logger
from harness.paths import DEV_STATE_DIR

log = get_logger("dev")


def dev(
    backend_port: Annotated[int, typer.Option(help="Port of the backend API.")] = container_port("backend"),
    chatbot_port: Annotated[int, typer.Option(help="Port of the chatbot API.")] = container_port("chatbot"),
    frontend_port: Annotated[int, typer.Option(help="Port of the web app.")] = container_port("frontend"),
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 to reach it from elsewhere).")] = (
        "127.0.0.1"
    ),
    state_dir: Annotated[Path, typer.Option(help="SQLite files, JWT secret and logs.")] = DEV_STATE_DIR,
    nlu_provider: Annotated[str, typer.Option(help="Chatbot NLU: rules, llm or hybrid.")] = "rules",
    log_level: Annotated[str, typer.Option(help="LOG_LEVEL of the services.")] = "INFO",
    reset: Annotated[bool, typer.Option("--reset", help="Delete the local databases first.")] = False,
) -> None:
    """Start backend, chatbot and frontend on SQLite (no Docker, no cluster); Ctrl-C stops all three."""
    # imported here, not at the top: every other tcb command (and `tcb --help`) starts without it
    from harness.devserver import DevServerError, start_dev_stack

    if reset:
        # Only the databases: --state-dir may point anywhere, so never remove the directory itself.
        for db in [*state_dir.glob("backend.db*"), *state_dir.glob("chatbot.db*")]:
            db.unlink()
            log.info("removed %s", db)
    ports = {"backend": backend_port, "chatbot": chatbot_port, "frontend": frontend_port}
    try:
        stack = start_dev_stack(
            state_dir, ports=ports, host=host, nlu_provider=nlu_provider, log_level=log_level, echo=True
        )
    except DevServerError as exc:
        typer.secho(f"tcb dev: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104 - a display name only
    typer.secho(f"\n  App      http://{shown}:{frontend_port}/", fg=typer.colors.GREEN, bold=True)
    typer.echo(f"  Backend  http://{shown}:{backend_port}/docs")
    typer.echo(f"  Chatbot  http://{shown}:{chatbot_port}/docs")
    typer.echo(f"  Data and logs in {state_dir}; press Ctrl-C to stop.\n")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    exit_code = 0
    try:
        while not stopping.wait(1.0):
            if dead := stack.exited():
                for service in dead:
                    typer.secho(
                        f"{service.name} exited with {service.process.returncode}; last log lines:\n"
                        f"{service.log_tail()}",
                        fg=typer.colors.RED,
                        err=True,
                    )
                exit_code = 1
                break
    except KeyboardInterrupt:
        typer.echo("stopping…")
    finally:
        stack.stop()
    raise typer.Exit(exit_code)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("dev", help=f"Run {', '.join(APP_COMPONENTS)} locally on SQLite (no cluster needed).")(dev)
