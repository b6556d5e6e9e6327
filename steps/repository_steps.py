"""Steps about the repository itself: layout, git hygiene, secret scans, README and docs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from pytest_bdd import parsers, then

from harness.checks import repository
from harness.paths import REPO
from steps.evidence import Evidence


def _column(datatable: list[list[str]], name: str) -> list[str]:
    header, *rows = datatable
    index = header.index(name)
    return [row[index].strip() for row in rows]


@then("these paths exist in the repository:")
def _paths_exist(datatable: list[list[str]]) -> None:
    missing = repository.missing_paths(_column(datatable, "path"))
    assert not missing, f"missing from the repository: {missing}"


@then("git ignores these paths:")
def _git_ignores(datatable: list[list[str]]) -> None:
    not_ignored = repository.not_ignored(_column(datatable, "path"))
    assert not not_ignored, (
        f"git would commit these local-secret files: {not_ignored} — add them to .gitignore"
    )


@then("git tracks no file with local secrets")
def _no_tracked_ignored() -> None:
    tracked = repository.tracked_but_ignored()
    assert not tracked, f"tracked although .gitignore excludes them: {tracked}"


@then(parsers.parse('"{path}" sets every secret the chart needs'))
def _example_sets_secrets(path: str) -> None:
    values = yaml.safe_load((REPO / path).read_text()) or {}
    keys = set((values.get("secrets") or {}).keys())
    missing = {"betterAuthSecret", "postgresPassword"} - keys
    assert not missing, f"{path} does not show how to set secrets.{', secrets.'.join(sorted(missing))}"


@then(parsers.parse('"{path}" holds no secret-looking value'))
def _file_holds_no_secret(path: str) -> None:
    findings = repository.scan_for_secret_looking_values([REPO / path])
    assert not findings, "secret-looking values: " + "; ".join(map(str, findings))


@then("a secret scan of the tracked files finds nothing")
def _scan_tracked(evidence: Evidence) -> None:
    findings = repository.secret_scan_tracked()
    evidence.figure("tracked files scanned", len(repository.tracked_files()))
    assert not findings, "detect-secrets findings: " + "; ".join(map(str, findings))


@then("a secret scan of the git history finds nothing")
def _scan_history() -> None:
    findings = repository.secret_scan_history()
    assert not findings, "detect-secrets findings in earlier file versions: " + "; ".join(map(str, findings))


# ---- README and docs ----


@then(parsers.parse('the README has a "{title}" section with commands'))
def _readme_section(title: str) -> None:
    section = repository.readme_section(title)
    assert section, f"README.md has no '## {title}' section"
    assert repository.shell_commands(section), f"README.md's {title} section has no shell commands"


@then("every local link in the README points to an existing file")
def _readme_links() -> None:
    broken = repository.broken_links()
    assert not broken, f"README.md links to files that do not exist: {broken}"


def _quick_start() -> list[str]:
    commands = repository.shell_commands(repository.readme_section("Quick start"))
    assert commands, "README.md has no quick start commands"
    return commands


@pytest.fixture
def quick_start_problems() -> list[str]:
    """Every quick-start command checked once per scenario (both steps read the result), the commands side by
    side: each check is a `--help` process that spends most of its time importing."""
    commands = _quick_start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        return [p for found in pool.map(repository.command_problems, commands) for p in found]


@then("every command of the README's quick start exists")
def _quick_start_exists(evidence: Evidence, quick_start_problems: list[str]) -> None:
    evidence.text("quick start", "\n".join(_quick_start()))
    problems = [p for p in quick_start_problems if "--help" not in p]
    assert not problems, "; ".join(problems)


@then("every tcb command of the quick start answers --help")
def _quick_start_help(quick_start_problems: list[str]) -> None:
    problems = [p for p in quick_start_problems if "--help" in p]
    assert not problems, "; ".join(problems)


@then("the CLI offers these commands:")
def _cli_commands(datatable: list[list[str]]) -> None:
    tcb = REPO / ".venv" / "bin" / "tcb"
    problems = [
        p for name in _column(datatable, "command") for p in repository.command_problems(f"{tcb} {name}")
    ]
    assert not problems, "; ".join(problems)


@then(parsers.parse('"{path}" names each AI tool with its CLI fallback:'))
def _ai_tools_documented(path: str, datatable: list[list[str]]) -> None:
    file = REPO / path
    assert file.is_file(), f"{path} is missing"
    text = file.read_text().lower()
    assert "fallback" in text, f"{path} does not describe the CLI fallbacks"
    missing = [tool for tool in _column(datatable, "tool") if tool.lower() not in text]
    assert not missing, f"{path} does not mention {missing}"
