"""The three service Dockerfiles, generated from one template (service.Dockerfile.in beside this file).

    .venv/bin/python -m harness.images_recipes.dockerfiles          # rewrite services/*/Dockerfile
    .venv/bin/python -m harness.images_recipes.dockerfiles --check  # exit 1 when one differs

The generated files are committed (so `docker build` works on a context without the harness);
tests/images/test_dockerfiles.py fails when a Dockerfile drifts from what the template renders. What differs
between the services is this table and nothing else; each service's package and container port come from the
component registry (harness.components: the port from chart/values.yaml), so a port changed in the chart makes
the committed Dockerfiles drift until they are generated again.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import components

TEMPLATE = Path(__file__).with_name("service.Dockerfile.in")
SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
PLACEHOLDER = re.compile(r"@[A-Z_]+@")


@dataclass(frozen=True)
class ServiceDockerfile:
    service: str  # a component of harness.components: its package and container port are read from there
    description: str
    access_log: bool  # uvicorn's per-request access log line
    cmd_note: str

    def render(self, template: str, chart: Path = components.CHART) -> str:
        component = components.component(self.service)
        if component.package is None:
            raise ValueError(
                f"{self.service} is not a Python service of harness.components: no package to run"
            )
        extra = "" if self.access_log else ', "--no-access-log"'
        values = {
            "SERVICE": self.service,
            "PACKAGE": component.package,
            "PORT": str(component.container_port(chart)),
            "DESCRIPTION": self.description,
            "EXTRA_ARGS": extra,
            "CMD_NOTE": self.cmd_note,
        }
        text = template
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        leftover = sorted(set(PLACEHOLDER.findall(text)))
        if leftover:
            raise ValueError(f"{self.service}: template placeholders without a value: {leftover}")
        return text

    def path(self, services_dir: Path = SERVICES_DIR) -> Path:
        return services_dir / self.service / "Dockerfile"


DOCKERFILES = (
    ServiceDockerfile(
        "backend", "FastAPI backend: accounts and numbered tasks", access_log=False,
        cmd_note="no access log: the backend is the hot path (a log line costs CPU on every request); "
        "requests are counted in /metrics",
    ),
    ServiceDockerfile(
        "chatbot", "Chat service: plain English to task operations", access_log=True,
        cmd_note="with uvicorn's access log: one line per chat request",
    ),
    ServiceDockerfile(
        "frontend", "Server-rendered web frontend and /api proxy", access_log=True,
        cmd_note="with uvicorn's access log: one line per page or /api request",
    ),
)  # fmt: skip


def rendered(services_dir: Path = SERVICES_DIR, chart: Path = components.CHART) -> dict[Path, str]:
    template = TEMPLATE.read_text()
    return {spec.path(services_dir): spec.render(template, chart) for spec in DOCKERFILES}


def drifted(services_dir: Path = SERVICES_DIR, chart: Path = components.CHART) -> list[Path]:
    """The Dockerfiles whose text differs from what the template renders (or that are missing)."""
    return [
        path
        for path, text in rendered(services_dir, chart).items()
        if not path.is_file() or path.read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1), write nothing")
    args = parser.parse_args(argv)
    if args.check:
        stale = drifted()
        for path in stale:
            print(f"{path} differs from the template: run python -m harness.images_recipes.dockerfiles")
        return 1 if stale else 0
    for path, text in rendered().items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
