"""checkov on the rendered manifests: no failed check. Offline checkov reports no severities, so every
failure counts; accepted exceptions are `checkov.io/skip` annotations whose reasons docs/chart.md lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chart_manifests import IMAGE_TAGS, PROD, PROD_SECRETS, SECRETS

from harness import helm
from harness.chart_checks import CheckovReport, run_checkov
from harness.paths import REPO

pytestmark = pytest.mark.slow  # installs checkov into its own cached venv on first use (~75 s)


@pytest.fixture(scope="module")
def checkov_report(helm_binary: Path) -> CheckovReport:
    # One scan of three renders: each in its own namespace, so checkov's resource ids stay distinct.
    renders = [
        helm.template(set_values={**IMAGE_TAGS, **SECRETS}, namespace="default-values"),
        helm.template(
            values_files=[PROD], set_values={**IMAGE_TAGS, **PROD_SECRETS}, namespace="prod-values"
        ),
        helm.template(
            set_values={
                **IMAGE_TAGS,
                **SECRETS,
                "llmRuntime.enabled": True,
                "chatbot.nlu.provider": "hybrid",
            },
            namespace="llm-values",
        ),
    ]
    return run_checkov("\n---\n".join(renders))


def test_checkov_finds_no_failed_check(checkov_report: CheckovReport) -> None:
    assert checkov_report.passed > 100, "checkov ran no Kubernetes checks: is the framework name right?"
    assert not checkov_report.failed, "checkov failures:\n" + "\n".join(map(str, checkov_report.failed))


def test_every_skip_has_a_reason_listed_in_the_docs(checkov_report: CheckovReport) -> None:
    docs = (REPO / "docs" / "chart.md").read_text()
    documented = set(re.findall(r"CKV2?_K8S_\d+", docs))
    for skip in checkov_report.skipped:
        assert skip.reason, f"{skip.check_id} on {skip.resource} is skipped without a reason"
        assert skip.check_id in documented, f"{skip.check_id} is skipped but not explained in docs/chart.md"
