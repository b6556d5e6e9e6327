"""Does what docs/ and the README say match the code? Three comparisons, each both ways:

- the acceptance options `pytest --help` lists in its "todo-chatbot" group, and docs/harness.md's option table
  plus the README's option list;
- the `tcb` commands and their options (read from the CLI itself), and every `tcb …` the docs mention;
- the keys of chart/values.yaml, and docs/chart.md's values reference.

Each function returns problems as sentences (empty: the docs match); a stale doc and an undocumented feature
are both problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.paths import REPO

OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
TCB_MENTION = re.compile(r"(?:^|[\s/`(])tcb((?:\s+[a-z][a-z-]*)+)((?:\s+\S+)*)")


# ---- acceptance options ------------------------------------------------------------------------------------


def options_in_help(help_text: str, group_title: str = "todo-chatbot") -> set[str]:
    """The long options of one group of `pytest --help`."""
    lines = help_text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip().startswith(group_title))
    except StopIteration:
        return set()
    found: set[str] = set()
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break  # the next group
        stripped = line.strip()
        if stripped.startswith("--"):
            found.add(stripped.split()[0].split("=")[0].rstrip(","))
    return found


def options_in_table(markdown: str) -> set[str]:
    """Long options in the first column of a markdown table (`| `--target` | … |`)."""
    found: set[str] = set()
    for line in markdown.splitlines():
        if line.startswith("| `--"):
            found.add(CODE_SPAN.findall(line.split("|")[1])[0].split()[0].split("=")[0])
    return found


def options_in_paragraph(markdown: str, starts_with: str) -> set[str]:
    """Long options in code spans of the paragraph that begins with `starts_with`."""
    start = markdown.find(starts_with)
    if start < 0:
        return set()
    paragraph = markdown[start:].split("\n\n", 1)[0]
    return {span.split()[0].split("=")[0] for span in CODE_SPAN.findall(paragraph) if span.startswith("--")}


def option_problems(actual: set[str], documented: Mapping[str, set[str]]) -> list[str]:
    problems = []
    for where, names in documented.items():
        problems += [
            f"{where} documents {o}, which `pytest --help` does not offer" for o in sorted(names - actual)
        ]
        problems += [f"{where} does not document {o}" for o in sorted(actual - names)]
    return problems


# ---- tcb commands ------------------------------------------------------------------------------------------


def cli_commands() -> dict[str, set[str]]:
    """Every leaf command of `tcb` ("cluster up", "deploy", …) with its options, read from the CLI itself."""
    import typer

    from harness.cli import app

    found: dict[str, set[str]] = {}

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
            return
        found[" ".join(path)] = {
            opt
            for param in command.params
            if getattr(param, "param_type_name", "") == "option"
            for opt in [*param.opts, *param.secondary_opts]
        }

    walk(typer.main.get_group(app), [])
    return found


def tcb_mentions(markdown: str) -> Iterator[tuple[str, set[str]]]:
    """("cluster up", {"--target"}) for each `tcb …` in code spans and code blocks of a markdown text."""
    texts = CODE_SPAN.findall(markdown)
    in_block = False
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            in_block = not in_block
        elif in_block:
            texts.append(line.split("#", 1)[0])
    for text in texts:
        for match in TCB_MENTION.finditer(" " + text):
            words = match.group(1).split()
            yield " ".join(words), set(OPTION.findall(match.group(2)))


def command_problems(commands: Mapping[str, set[str]], docs: Mapping[str, str]) -> list[str]:
    """Documented commands or options the CLI lacks, and commands no document mentions."""
    problems = []
    mentioned: set[str] = set()
    for where, markdown in docs.items():
        for words, options in tcb_mentions(markdown):
            command = _longest_command(words, commands)
            if command is None:
                group = words.split()[0]
                if not any(c.startswith(group + " ") for c in commands):
                    problems.append(f"{where} mentions `tcb {words}`, which is no tcb command")
                continue
            mentioned.add(command)
            unknown = {o for o in options if o not in commands[command] and o not in ("-h", "--help")}
            problems += [f"{where}: `tcb {command}` has no option {o}" for o in sorted(unknown)]
    problems += [f"no document mentions `tcb {c}`" for c in sorted(set(commands) - mentioned)]
    return problems


def _longest_command(words: str, commands: Iterable[str]) -> str | None:
    parts = words.split()
    for n in range(len(parts), 0, -1):
        candidate = " ".join(parts[:n])
        if candidate in commands:
            return candidate
    return None


# ---- chart values ------------------------------------------------------------------------------------------


def value_paths(values: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every key path of a values tree (inner keys too): backend, backend.image, backend.image.tag, …"""
    found: set[str] = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        found.add(path)
        if isinstance(value, Mapping) and value:
            found |= value_paths(value, f"{path}.")
    return found


def leaf_paths(values: Mapping[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            found |= leaf_paths(value, f"{path}.")
        else:
            found.add(path)
    return found


def documented_values(markdown: str) -> list[str]:
    """Keys in the first column of the values tables: `a.b.c`, `.d` (a sibling of c), `a.b.*` (all of b)."""
    keys: list[str] = []
    for line in markdown.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        spans = CODE_SPAN.findall(cell)
        if not spans or spans[0].startswith((".", "-")) or " " in spans[0]:
            continue
        first = spans[0]
        parts = first.split(".")
        parent = ".".join(parts[:-2] if parts[-1] == "*" else parts[:-1])
        for span in spans:
            if span.startswith("."):
                keys.append(f"{parent}{span}" if parent else span.lstrip("."))
            elif " " not in span:
                keys.append(span)
    return keys


def value_problems(values: Mapping[str, Any], documented: list[str], where: str) -> list[str]:
    paths = value_paths(values)
    problems = []
    for key in documented:
        base = key[:-2] if key.endswith(".*") else key
        if base not in paths:
            problems.append(f"{where} documents `{key}`, which chart/values.yaml does not have")
    covered = [k[:-2] if k.endswith(".*") else k for k in documented]
    for leaf in sorted(leaf_paths(values)):
        if not any(leaf == k or leaf.startswith(k + ".") for k in covered):
            problems.append(f"{where} does not document `{leaf}`")
    return problems


def repository_value_problems(root: Path = REPO) -> list[str]:
    values = yaml.safe_load((root / "chart" / "values.yaml").read_text())
    return value_problems(
        values, documented_values((root / "docs" / "chart.md").read_text()), "docs/chart.md"
    )


def repository_option_problems(pytest_help: str, root: Path = REPO) -> list[str]:
    """The acceptance options `pytest --help` offers against docs/harness.md's table and the README."""
    return option_problems(
        options_in_help(pytest_help),
        {
            "docs/harness.md": options_in_table((root / "docs" / "harness.md").read_text()),
            "README.md": options_in_paragraph((root / "README.md").read_text(), "Acceptance options"),
        },
    )


def repository_command_problems(root: Path = REPO) -> list[str]:
    docs = {
        str(p.relative_to(root)): p.read_text()
        for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    }
    return command_problems(cli_commands(), docs)
