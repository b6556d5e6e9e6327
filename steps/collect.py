"""Collect Gherkin-only features/: each .feature file becomes a pytest module whose tests are its scenarios.

pytest-bdd binds scenarios with `scenarios(path)` called from a Python module; features/ holds no Python, so
each feature gets a synthetic module in which that call runs. Step definitions come from steps/*_steps.py,
loaded as plugins (steps/reporting.py), which makes them visible to every feature.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"
_BIND_SCENARIOS = (
    "from pytest_bdd import scenarios\nscenarios(__feature_path__, features_base_dir=__feature_dir__)\n"
)


class FeatureModule(pytest.Module):
    """A module built from a .feature file instead of imported from a .py file."""

    def _getobj(self) -> types.ModuleType:
        module = types.ModuleType(f"features.{self.path.stem.replace('-', '_')}")
        module.__file__ = str(self.path)
        module.__dict__.update(__feature_path__=str(self.path), __feature_dir__=str(self.path.parent))
        # scenarios() puts one test function per scenario into its caller's namespace: the module's dict
        exec(compile(_BIND_SCENARIOS, str(self.path), "exec"), module.__dict__)  # noqa: S102 - fixed code
        return module


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if file_path.suffix == ".feature" and FEATURES_DIR in file_path.parents:
        return FeatureModule.from_parent(parent, path=file_path)
    return None
