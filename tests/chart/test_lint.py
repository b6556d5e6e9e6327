"""`helm lint --strict` of the chart with the dev example values and the values every install supplies."""

from __future__ import annotations

from pathlib import Path

import pytest
from chart_manifests import DEV_EXAMPLE, IMAGE_TAGS, PROD, PROD_SECRETS, SECRETS

from harness import helm
from harness.proc import CommandError


@pytest.mark.parametrize(
    ("values_file", "set_values"),
    [(DEV_EXAMPLE, {**IMAGE_TAGS, **SECRETS}), (PROD, {**IMAGE_TAGS, **PROD_SECRETS})],
    ids=["dev-example", "prod"],
)
def test_lint_strict_passes(helm_binary: Path, values_file: Path, set_values: dict[str, str]) -> None:
    output = helm.lint(values_files=[values_file], set_values=set_values, strict=True)
    assert "1 chart(s) linted, 0 chart(s) failed" in output


def test_lint_fails_on_the_dev_example_placeholders(helm_binary: Path) -> None:
    """Copying the example without replacing its placeholder secret is caught before anything is installed."""
    with pytest.raises(CommandError, match="betterAuthSecret"):
        helm.lint(values_files=[DEV_EXAMPLE], set_values=IMAGE_TAGS, strict=True)


def test_helm_is_the_pinned_version(helm_binary: Path) -> None:
    from harness.proc import run

    assert run([helm_binary, "version", "--template", "{{ .Version }}"]).stdout.strip() == helm.HELM_VERSION
    assert helm.ensure_helm() == helm_binary  # cached: the second call returns the same binary
