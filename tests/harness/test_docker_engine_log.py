"""A running engine is reported once per process, not at every image check (the progress showed the same line
a dozen times a second while the images were listed)."""

from __future__ import annotations

import logging

import pytest

from harness import docker_engine


def test_a_running_engine_is_said_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docker_engine, "_REPORTED", set())
    with caplog.at_level(logging.DEBUG, logger=docker_engine.log.name):
        for _ in range(3):
            docker_engine.ensure_docker_engine().close()
    said = [r for r in caplog.records if "is running" in r.getMessage()]
    assert len(said) == 3, "each call still leaves a (debug) record"
    assert [r.levelno for r in said] == [logging.INFO, logging.DEBUG, logging.DEBUG]
