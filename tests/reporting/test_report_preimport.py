"""The report's modules are imported in the background once the run's last scenarios start, not before (they
would compete with the install and the disruptive scenarios) and not after the last one (the run waits)."""

from __future__ import annotations

from typing import Any

import pytest

from steps import reporting


def _recorder(count: int) -> reporting.TraceabilityRecorder:
    recorder = reporting.TraceabilityRecorder(config=None)  # type: ignore[arg-type]
    for n in range(count):
        nodeid = f"features/x.feature::test_{n}"
        recorder.scenarios[nodeid] = reporting._ScenarioRecord(
            nodeid, "x.feature", "X", f"s{n}", f"test_{n}", []
        )
        recorder.order.append(nodeid)
    return recorder


@pytest.mark.parametrize("count", [40, 15, 3])
def test_the_imports_start_with_the_fifteenth_scenario_from_the_end(
    monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    started: list[int] = []
    recorder = _recorder(count)
    for n, nodeid in enumerate(recorder.order):
        monkeypatch.setattr(reporting, "_preimport_report", lambda n=n: started.append(n))
        recorder.pytest_runtest_logstart(nodeid)
        if recorder.preimport is not None:
            recorder.preimport.join(5)
    assert started == [max(0, count - reporting.PREIMPORT_WITH_SCENARIOS_LEFT)]


def test_the_modules_it_imports_are_the_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    imported: list[str] = []

    def fake_import(name: str) -> Any:
        imported.append(name)
        if name.endswith("allure"):
            raise ImportError("seeded: a module that fails is left to the report's own build")

    monkeypatch.setattr(reporting.importlib, "import_module", fake_import)
    reporting._preimport_report()
    assert imported == list(reporting.REPORT_MODULES)
    assert "harness.report.html" in imported  # it imports the plots (matplotlib)
