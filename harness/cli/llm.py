"""CLI area — llm build|serve|eval: the optional local model server and the NLU evaluation. The engine is
imported by each command, so `tcb` (and every other command's --help) does not load the chatbot's NLU."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from harness.log import get_logger

log = get_logger("llm")
llm_app = typer.Typer(no_args_is_help=True, help="The optional local LLM for NLU_PROVIDER=llm|hybrid.")


@llm_app.command()
def build() -> None:
    """Build llama-cpp-python once (about 5 min on 2 cores) and fetch the server's wheels and the model."""
    from harness import llm_server

    runtime = llm_server.ensure_llm_runtime()
    typer.echo(f"wheels: {llm_server.WHEELHOUSE}\nserver: {runtime.python}\nmodel:  {runtime.model}")


@llm_app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 8090,
    threads: Annotated[int, typer.Option(help="CPU threads for inference.")] = 2,
) -> None:
    """Serve SmolLM2-135M-Instruct on an OpenAI-compatible API on loopback until Ctrl-C."""
    from harness import llm_server

    with llm_server.LLMServer(port=port or None, threads=threads) as server:
        typer.secho(f"\n  LLM_BASE_URL={server.base_url}", fg=typer.colors.GREEN, bold=True)
        typer.echo(f"  LLM_MODEL={server.model_id}")
        typer.echo(
            "  e.g. `tcb dev --nlu-provider hybrid` with these two in the environment; Ctrl-C stops.\n"
        )
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        try:
            while not stopping.wait(1.0):
                if server.process is not None and server.process.poll() is not None:
                    typer.secho(f"the LLM server exited:\n{server.log_tail()}", fg=typer.colors.RED, err=True)
                    raise typer.Exit(1)
        except KeyboardInterrupt:
            pass


@llm_app.command("eval")
def evaluate(
    modes: Annotated[
        str, typer.Option(help="Comma-separated NLU providers to compare.")
    ] = "rules,llm,hybrid",
    base_url: Annotated[
        str | None,
        typer.Option(help="An OpenAI-compatible API (LLM_BASE_URL); default: start the local one."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="LLM_MODEL for --base-url.")] = None,
    # a setting the chatbot is started with, not a wait of the harness
    timeout: Annotated[float, typer.Option(help="LLM_TIMEOUT_SECONDS of the chatbot.")] = 10.0,
    limit: Annotated[int | None, typer.Option(help="Only the first N cases of the table.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write per-case results here.")] = None,
    show_failures: Annotated[bool, typer.Option("--failures", help="List the failed cases.")] = False,
) -> None:
    """Run the chatbot's NLU table through each provider; print accuracy per intent and latency p50/p95."""
    from harness import llm_eval, llm_server

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers it started are stopped too
    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = set(chosen) - set(llm_eval.MODES)
    if unknown:
        raise typer.BadParameter(
            f"unknown mode(s) {sorted(unknown)}; choose from {', '.join(llm_eval.MODES)}"
        )
    needs_llm = any(m != "rules" for m in chosen)
    local = llm_server.LLMServer(port=None) if needs_llm and not base_url else nullcontext(None)
    with local as server, tempfile.TemporaryDirectory(prefix="tcb-llm-eval-") as state:
        if server is not None:
            base_url, model = server.base_url, server.model_id
            _warm_up(base_url)
        outcomes = llm_eval.evaluate(
            chosen,
            llm_base_url=base_url,
            llm_model=model,
            llm_timeout=timeout,
            state_dir=Path(state),
            limit=limit,
        )
    typer.echo(f"\nNLU table through POST /api/chat (LLM: {model or '-'} at {base_url or '-'})\n")
    typer.echo(llm_eval.format_table(outcomes))
    if show_failures:
        for mode, lines in llm_eval.failures(outcomes).items():
            typer.echo(f"\n{mode}: {len(lines)} failed\n  " + "\n  ".join(lines))
    if json_out:
        data = {o.mode: [vars(r) for r in o.results] for o in outcomes}
        json_out.write_text(json.dumps(data, indent=1))


def _warm_up(base_url: str) -> None:
    """One request first, so the prompt prefix is cached and latency figures are of a warm server."""
    import anyio
    from todo_chatbot.nlu.llm import ChatCompletionsClient, LLMUnavailable

    try:
        anyio.run(ChatCompletionsClient(base_url, None, None, 60).ask, "hello")
    except LLMUnavailable as exc:
        log.warning("warm-up request failed: %s", exc)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(llm_app, name="llm")
