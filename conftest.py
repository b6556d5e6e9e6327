"""Wiring only: the harness's pytest plugin lives in steps/plugin.py."""

pytest_plugins = ["steps.plugin"]
