"""Wiring only: the acceptance plugin (options, fixtures, diagnostics) and the steps live in steps/."""

# pytester: the plugin's own tests run pytest in-process
pytest_plugins = ["pytester", "steps.plugin", "steps.reporting"]
