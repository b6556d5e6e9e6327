"""docs/ against the code: the repository's docs match, and each kind of drift is caught (seeded)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from harness import docs_sync
from harness.paths import REPO

VALUES: dict[str, Any] = {
    "image": {"pullPolicy": "IfNotPresent"},
    "backend": {
        "replicaCount": 2,
        "image": {"repository": "r", "tag": ""},
        "resources": {"limits": {"cpu": 1}},
    },
    "secrets": {"betterAuthSecret": "", "postgresPassword": ""},
}
REFERENCE = """
| key | default | meaning |
|---|---|---|
| `image.pullPolicy` | `IfNotPresent` | |
| `backend.replicaCount` | `2` | |
| `backend.image.repository`, `.tag` | | |
| `backend.resources` | | |
| `secrets.*` | | |
"""


def test_the_repository_docs_match_the_chart_and_the_cli() -> None:
    assert docs_sync.repository_value_problems() == []
    assert docs_sync.repository_command_problems() == []


def test_the_repository_docs_match_the_acceptance_options() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "--deploy-timeout" in docs_sync.options_in_help(help_text)
    assert docs_sync.repository_option_problems(help_text) == []


def test_values_reference_shorthand_covers_the_tree() -> None:
    assert docs_sync.value_problems(VALUES, docs_sync.documented_values(REFERENCE), "ref") == []


def test_an_undocumented_value_and_a_stale_one_are_both_caught() -> None:
    values = {**VALUES, "backend": {**VALUES["backend"], "newKnob": True}}
    stale = REFERENCE + "| `backend.oldKnob` | | |\n"
    problems = docs_sync.value_problems(values, docs_sync.documented_values(stale), "ref")
    assert problems == [
        "ref documents `backend.oldKnob`, which chart/values.yaml does not have",
        "ref does not document `backend.newKnob`",
    ]


def test_a_documented_command_or_option_the_cli_lacks_and_an_undocumented_command_are_caught() -> None:
    commands = {"deploy": {"--target", "--namespace", "-n"}, "cluster up": set(), "scale": set()}
    docs = {
        "README.md": (
            "```sh\ntcb deploy --target local -n ns   # install\ntcb cluster up\ntcb deploy --atomic\n```\n"
        ),
        "docs/x.md": "Run `tcb verify -n NS` then `tcb cluster`.",
    }
    assert docs_sync.command_problems(commands, docs) == [
        "README.md: `tcb deploy` has no option --atomic",
        "docs/x.md mentions `tcb verify`, which is no tcb command",
        "no document mentions `tcb scale`",
    ]


def test_acceptance_options_both_ways() -> None:
    help_text = (
        "todo-chatbot:\n  --target={auto,local}\n                        cluster target\n"
        "  --release=NAME\n\nother:\n  --x\n"
    )
    assert docs_sync.options_in_help(help_text) == {"--target", "--release"}
    documented = {"docs": docs_sync.options_in_table("| `--target` | auto | x |\n| `--gone` | | |\n")}
    assert docs_sync.option_problems({"--target", "--release"}, documented) == [
        "docs documents --gone, which `pytest --help` does not offer",
        "docs does not document --release",
    ]
