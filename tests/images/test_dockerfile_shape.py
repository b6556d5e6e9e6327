"""The Dockerfile shape check behind SC-016: multi-stage, a replaceable final base, every default base
pinned. Each seeded defect is a Dockerfile a contributor could plausibly write; each must be reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checks.repository import dockerfile_problems
from harness.paths import REPO

GOOD = """\
# syntax note: a comment with FROM python:latest in it is not an instruction
ARG BASE_IMAGE=python:3.11-slim
ARG BUILD_IMAGE=python:3.11-slim
FROM ${BUILD_IMAGE} AS build
RUN echo build \\
    && echo more
FROM ${BASE_IMAGE}
COPY --from=build /app /app
USER 1001:1001
"""


def problems_of(text: str, tmp_path: Path) -> list[str]:
    (tmp_path / "services" / "svc").mkdir(parents=True, exist_ok=True)
    (tmp_path / "services" / "svc" / "Dockerfile").write_text(text)
    return dockerfile_problems("svc", root=tmp_path)


@pytest.mark.parametrize("service", ["backend", "chatbot", "frontend"])
def test_the_services_dockerfiles_pass(service: str) -> None:
    assert dockerfile_problems(service, root=REPO) == []


def test_a_well_formed_dockerfile_passes(tmp_path: Path) -> None:
    assert problems_of(GOOD, tmp_path) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("BASE_IMAGE=python:3.11-slim", "BASE_IMAGE=python:latest"), "is tagged :latest"),
        (("BASE_IMAGE=python:3.11-slim", "BASE_IMAGE=python"), "names no tag"),
        (("BUILD_IMAGE=python:3.11-slim", "BUILD_IMAGE"), "has no default"),
        (("FROM ${BASE_IMAGE}\n", "FROM python:3.11-slim\n"), "not FROM ${BASE_IMAGE}"),
        (("ARG BASE_IMAGE=python:3.11-slim\n", ""), "no `ARG BASE_IMAGE`"),
        (("FROM ${BUILD_IMAGE} AS build\n", "FROM ${BUILD_IMAGE}:latest AS build\n"), ":latest"),
    ],
    ids=[
        "default-latest",
        "default-untagged",
        "no-default",
        "final-not-replaceable",
        "no-arg",
        "literal-latest",
    ],
)
def test_each_seeded_defect_is_reported(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in GOOD
    problems = problems_of(GOOD.replace(old, new, 1), tmp_path)
    assert any(expected in p for p in problems), problems


def test_a_single_stage_build_is_reported(tmp_path: Path) -> None:
    text = "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\nUSER 1001\n"
    assert any("a multi-stage build has at least 2" in p for p in problems_of(text, tmp_path))


def test_from_an_earlier_stage_and_a_digest_are_pinned(tmp_path: Path) -> None:
    text = GOOD.replace("BASE_IMAGE=python:3.11-slim", "BASE_IMAGE=python@sha256:" + "a" * 64).replace(
        "COPY --from=build", "COPY --from=build"
    )
    text += "FROM build AS again\nFROM ${BASE_IMAGE}\n"
    assert problems_of(text, tmp_path) == []
