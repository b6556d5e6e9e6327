"""The acceptance plugin and the step definitions."""

import pytest

# steps.plugin imports these before pytest loads them as plugins: have their asserts rewritten all the same
pytest.register_assert_rewrite("steps.options", "steps.session", "steps.fixtures", "steps.evidence")
