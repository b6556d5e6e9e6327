"""Wiring only: the acceptance plugin (options, fixtures, diagnostics) and the step definitions live in steps/."""

pytest_plugins = ["steps.plugin", "steps.reporting"]
