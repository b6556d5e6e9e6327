"""The recorded run the report tests read (data/README.md says how it was recorded)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
RUN = DATA / "run"


def attach_load_trace(report_dir: Path) -> str:
    """Give the first passed scenario without a load trace the recorded one, as the load steps record it
    (a `json:load trace` property in junit.xml naming the evidence file); returns the scenario's name."""
    junit = report_dir / "junit.xml"
    tree = ET.parse(junit)  # noqa: S314 - a recorded file of our own
    for case in tree.getroot().iter("testcase"):
        properties = case.find("properties")
        names = {p.get("name") for p in (properties if properties is not None else [])}
        if case.find("failure") is None and case.find("skipped") is None and "json:load trace" not in names:
            break
    else:
        raise AssertionError("the recorded run has no passed scenario")
    target = report_dir / "evidence" / case.get("name", "") / "load_trace.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "load_trace.json", target)
    if properties is None:
        properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="json:load trace", value=str(target))
    tree.write(junit)
    return str(case.get("name"))


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A copy of the recorded run (the report is written into it), one more scenario with a load trace."""
    target = tmp_path / "reports"
    shutil.copytree(RUN, target)
    attach_load_trace(target)
    return target
