"""The second release's background install (steps/tls_steps.py) without a cluster: it starts once, its result
or its error reaches the scenario that asks, and its namespace is deleted at the end whatever happened."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import harness.release
from harness.clusters.base import ClusterInfo
from harness.timeouts import DEFAULT_TIMEOUTS
from steps import second_release as tls_steps

GENERATED = "generated-by-the-install"
OVERLAY = Path("/reports/acceptance-values.yaml")


class _K8s:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_namespace(self, name: str, wait: bool = True) -> None:
        self.deleted.append(name)


def _session() -> Any:
    return SimpleNamespace(
        namespace="tcb-run",
        timeouts=DEFAULT_TIMEOUTS,
        secret_values=set(),
        deleting_namespaces=[],
        keep_everything=lambda session: False,
        acceptance_overlay=lambda: OVERLAY,
    )


@pytest.fixture
def installs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    gate = threading.Event()

    def install_release(info: Any, images: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        gate.wait(5)
        if kwargs["set_values"].get("fail"):
            raise RuntimeError("helm: the chart did not install")
        return SimpleNamespace(
            secret_values=[GENERATED], node_port=lambda c: {"frontend": 1, "backend": 2}[c]
        )

    monkeypatch.setattr(harness.release, "install_release", install_release)
    monkeypatch.setattr(tls_steps, "prepare_release_tls", lambda *a: "bundle")
    calls.append({"gate": gate})
    return calls


def _install(k8s: _K8s, hs: Any) -> tls_steps.SecondReleaseInstall:
    info = ClusterInfo("local", Path("/k"), None, "127.0.0.1", True)
    return tls_steps.SecondReleaseInstall(hs, info, k8s, {})  # type: ignore[arg-type]


def test_started_early_it_installs_once_and_the_scenario_gets_that_release(installs: list[Any]) -> None:
    k8s, hs = _K8s(), _session()
    second = _install(k8s, hs)
    second.start()
    second.start()  # the fixture asking again starts nothing new
    installs[0]["gate"].set()
    got = second.result()
    assert got.frontend == "https://127.0.0.1:1" and got.backend == "http://127.0.0.1:2"
    assert [c["namespace"] for c in installs[1:]] == ["tcb-run-2"]
    # the run's raised abuse limits: it is restored from the run's backup, whose rate counters hold every
    # sign-up the run made from this one address (with the chart's 30/3600 its own sign-up got a 429)
    assert installs[1]["values_files"] == [OVERLAY]
    assert GENERATED in hs.secret_values  # the leak scans look for its secrets too
    second.cleanup(pytest.Session)  # type: ignore[arg-type]
    assert k8s.deleted == ["tcb-run-2"] and hs.deleting_namespaces == ["tcb-run-2"]


def test_a_failed_background_install_fails_the_scenario_and_its_namespace_still_goes(
    installs: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls_steps, "SECOND_RELEASE_VALUES", {"fail": True})
    k8s, hs = _K8s(), _session()
    second = _install(k8s, hs)
    second.start()
    installs[0]["gate"].set()
    with pytest.raises(RuntimeError, match="did not install"):
        second.result()
    second.cleanup(pytest.Session)  # type: ignore[arg-type]
    assert k8s.deleted == ["tcb-run-2"]


def test_never_started_it_cleans_up_nothing(installs: list[Any]) -> None:
    k8s, hs = _K8s(), _session()
    _install(k8s, hs).cleanup(pytest.Session)  # type: ignore[arg-type]
    assert k8s.deleted == [] and len(installs) == 1


def _scenario_item(feature: str, scenario: str) -> Any:
    def test() -> None:
        pass

    test.__doc__ = f"{Path('features', feature).resolve()}: {scenario}"
    return SimpleNamespace(function=test)


def test_the_run_installs_it_early_only_when_a_selected_scenario_uses_it() -> None:
    restore = _scenario_item(
        "durability.feature",
        "A backup restored into a fresh release holds every task and the chat's conversations",
    )
    https = _scenario_item(
        "tls.feature", "A user logs in over HTTPS with the certificate from the release's Secret"
    )
    other = _scenario_item("access.feature", "The frontend answers at NodePort 30080")
    assert tls_steps.needed_by([other, restore]) and tls_steps.needed_by([https])
    not_a_scenario: Any = SimpleNamespace(function=None)
    assert not tls_steps.needed_by([other]) and not tls_steps.needed_by([not_a_scenario])
