"""Wiring only: the acceptance plugin (options, fixtures, diagnostics) and the steps live in steps/."""

from harness import pycache

# before the steps are imported: their bytecode (and that of every nested pytest and tcb) is reused
pycache.enable()

# pytester: the plugin's own tests run pytest in-process
pytest_plugins = ["pytester", "steps.plugin", "steps.reporting"]
