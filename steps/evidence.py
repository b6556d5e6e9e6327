"""Evidence: what a test saw (texts, JSON, screenshots, figures), attached to the HTML report and junit."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from steps.session import HarnessSession


@dataclass
class EvidenceItem:
    kind: str  # text, json, image, figure
    name: str
    path: Path | None = None
    value: object = None  # the text, the JSON-able object or the figure
    unit: str | None = None


EVIDENCE = pytest.StashKey[list[EvidenceItem]]()


def evidence_of(item: pytest.Item) -> list[EvidenceItem]:
    """The evidence a test recorded (for reports)."""
    return item.stash.get(EVIDENCE, [])


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120] or "item"


class Evidence:
    """Attach what a test saw to the HTML report (and junit properties): texts, JSON, screenshots, figures."""

    def __init__(self, item: pytest.Item, directory: Path) -> None:
        self.item = item
        self.directory = directory
        item.stash[EVIDENCE] = []

    def names(self) -> set[str]:
        """The names of what was recorded so far."""
        return {entry.name for entry in self.item.stash[EVIDENCE]}

    def _add(self, entry: EvidenceItem) -> None:
        self.item.stash[EVIDENCE].append(entry)
        shown = str(entry.path) if entry.path else f"{entry.value} {entry.unit or ''}".strip()
        self.item.user_properties.append((f"{entry.kind}:{entry.name}", shown))

    def _file(self, name: str, suffix: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{safe_name(name)}{suffix}"

    def text(self, name: str, content: str) -> Path:
        path = self._file(name, ".txt")
        path.write_text(content)
        self._add(EvidenceItem("text", name, path, content))
        return path

    def json(self, name: str, obj: object) -> Path:
        path = self._file(name, ".json")
        path.write_text(json.dumps(obj, indent=2, default=str))
        self._add(EvidenceItem("json", name, path, obj))
        return path

    def image(self, name: str, png_path: Path) -> Path:
        path = self._file(name, ".png")
        if Path(png_path).resolve() != path.resolve():
            shutil.copyfile(png_path, path)
        self._add(EvidenceItem("image", name, path))
        return path

    def figure(self, name: str, value: float | int | str, unit: str = "") -> None:
        self._add(EvidenceItem("figure", name, None, value, unit))


@pytest.fixture
def evidence(request: pytest.FixtureRequest, harness_session: HarnessSession) -> Evidence:
    return Evidence(request.node, harness_session.report_dir / "evidence" / safe_name(request.node.name))
