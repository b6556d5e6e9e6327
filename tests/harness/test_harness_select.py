"""Target selection: explicit and auto order, and the recorded reasons (with fake targets)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from harness.clusters.base import ClusterInfo
from harness.clusters.select import AUTO_ORDER, TargetChoice, choose_target


@dataclass
class FakeTarget:
    name: str
    ok: bool
    why: str

    def available(self) -> tuple[bool, str]:
        return self.ok, self.why


def factory_for(**availability: tuple[bool, str]):
    built: list[str] = []

    def factory(name: str) -> FakeTarget:
        built.append(name)
        if name not in availability:
            raise FileNotFoundError(f"{name} is not installed")
        return FakeTarget(name, *availability[name])

    return factory, built


def test_auto_order_is_kubeconfig_kind_minikube_local():
    assert AUTO_ORDER == ("kubeconfig", "kind", "minikube", "local")


def test_auto_prefers_a_reachable_kubeconfig_and_builds_nothing_else():
    factory, built = factory_for(kubeconfig=(True, "context dev answers /version"), local=(True, "ok"))
    choice = choose_target("auto", factory=factory)
    assert choice.cluster.name == "kubeconfig"
    assert choice.reason == "context dev answers /version"
    assert choice.skipped == {}
    assert built == ["kubeconfig"]


def test_auto_falls_through_to_local_recording_why_each_target_was_skipped():
    factory, built = factory_for(
        kubeconfig=(False, "no kubeconfig at /root/.kube/config"),
        kind=(False, "kind not found on PATH"),
        minikube=(False, "minikube not found on PATH"),
        local=(True, "Kubernetes binaries cached"),
    )
    choice = choose_target("auto", factory=factory, reuse=True)
    assert choice.cluster.name == "local"
    assert list(choice.skipped) == ["kubeconfig", "kind", "minikube"]
    assert choice.skipped["kind"] == "kind not found on PATH"
    assert choice.reuse is True
    text = choice.describe()
    assert text.startswith("local: Kubernetes binaries cached; skipped kubeconfig (no kubeconfig")
    assert "minikube (minikube not found on PATH)" in text
    assert built == ["kubeconfig", "kind", "minikube", "local"]


def test_auto_skips_a_target_that_cannot_even_be_constructed():
    factory, _ = factory_for(kubeconfig=(False, "unreachable"), minikube=(True, "minikube found on PATH"))
    choice = choose_target("auto", factory=factory)
    assert choice.cluster.name == "minikube"
    assert choice.skipped["kind"] == "FileNotFoundError: kind is not installed"


def test_auto_with_no_usable_target_names_every_reason():
    factory, _ = factory_for(
        kubeconfig=(False, "unreachable"),
        kind=(False, "no kind"),
        minikube=(False, "no minikube"),
        local=(False, "not root"),
    )
    with pytest.raises(RuntimeError) as err:
        choose_target("auto", factory=factory)
    message = str(err.value)
    for reason in ("unreachable", "no kind", "no minikube", "not root"):
        assert reason in message


def test_an_explicit_target_that_is_not_usable_fails_with_its_reason():
    factory, built = factory_for(kind=(False, "kind not found on PATH"), local=(True, "ok"))
    with pytest.raises(RuntimeError, match="target kind is not usable here: kind not found on PATH"):
        choose_target("kind", factory=factory)
    assert built == ["kind"]


def test_an_explicit_target_is_used_without_trying_the_others():
    factory, built = factory_for(kubeconfig=(True, "reachable"), local=(True, "binaries cached"))
    choice = choose_target("local", factory=factory)
    assert choice.cluster.name == "local"
    assert choice.reason == "asked for with --target local; binaries cached"
    assert built == ["local"]


def test_unknown_target_name_is_rejected():
    with pytest.raises(ValueError, match="unknown target 'k3s'"):
        choose_target("k3s")


def test_kubeconfig_target_without_a_file_says_so(tmp_path):
    from harness.clusters.kubeconfig import KubeconfigCluster

    ok, why = KubeconfigCluster(tmp_path / "missing").available()
    assert not ok and why == f"no kubeconfig at {tmp_path / 'missing'}"


def test_kubeconfig_target_with_an_unreachable_server_is_skipped_quickly(tmp_path):
    import time

    import yaml

    from harness.clusters.kubeconfig import KubeconfigCluster

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "x"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    started = time.monotonic()
    ok, why = KubeconfigCluster(path).available()
    assert not ok
    assert "not reachable" in why
    assert time.monotonic() - started < 5


def _info(target: str = "local", started_by_us: bool = True) -> ClusterInfo:
    return ClusterInfo(target, Path("/nonexistent/kubeconfig"), None, "127.0.0.1", started_by_us)


@pytest.mark.parametrize(
    ("started_by_us", "reuse", "keep_local", "stops"),
    [
        (True, False, None, True),  # a cluster this run started goes with it
        (False, False, None, False),  # one it found stays
        (True, True, None, False),  # --reuse-cluster keeps it
        (True, False, "1", False),  # TCB_KEEP_CLUSTER=1 keeps the local cluster
        (True, False, "0", True),  # .ci/run's "0" does not
        (True, False, "", True),
    ],
)
def test_the_run_stops_only_a_cluster_it_started_and_was_not_told_to_keep(
    monkeypatch: pytest.MonkeyPatch, started_by_us: bool, reuse: bool, keep_local: str | None, stops: bool
) -> None:
    if keep_local is None:
        monkeypatch.delenv("TCB_KEEP_CLUSTER", raising=False)
    else:
        monkeypatch.setenv("TCB_KEEP_CLUSTER", keep_local)
    choice = TargetChoice(cluster=FakeTarget("local", True, "ok"), reason="ok", reuse=reuse)  # type: ignore[arg-type]
    assert choice.stops_at_end(_info(started_by_us=started_by_us)) is stops


def test_tcb_keep_cluster_keeps_only_the_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TCB_KEEP_CLUSTER", "1")
    choice = TargetChoice(cluster=FakeTarget("kind", True, "ok"), reason="ok")  # type: ignore[arg-type]
    assert choice.stops_at_end(_info(target="kind")) is True


@pytest.mark.parametrize(
    ("value", "keeps"), [("1", True), ("0", False), ("", False), ("yes", False), (None, False)]
)
def test_keep_local_cluster_reads_only_1_as_keep(
    monkeypatch: pytest.MonkeyPatch, value: str | None, keeps: bool
) -> None:
    """One reading for the acceptance fixtures and tests/cluster's fixture (the latter took any non-empty
    value, "0" included, as "keep", so CI left its cluster running)."""
    from harness.clusters.select import keep_local_cluster

    if value is None:
        monkeypatch.delenv("TCB_KEEP_CLUSTER", raising=False)
    else:
        monkeypatch.setenv("TCB_KEEP_CLUSTER", value)
    assert keep_local_cluster() is keeps


class _RecordingK8s:
    waited: ClassVar[list[list[str]]] = []

    def __init__(self, kubeconfig: Path, context: str | None) -> None:
        pass

    def wait_namespaces_gone(self, names: list[str], timeout: float) -> None:
        self.waited.append(list(names))


@pytest.mark.parametrize(("reuse", "waits"), [(True, True), (False, False)])
def test_the_run_waits_for_its_deleted_namespaces_only_on_a_cluster_that_stays(
    monkeypatch: pytest.MonkeyPatch, reuse: bool, waits: bool
) -> None:
    """The k8s fixture's teardown: the wait for terminating namespaces (tens of seconds: their pods drain)
    is for the next run on the same cluster; a cluster stopped next takes them with it."""
    import harness.k8s
    from harness.timeouts import DEFAULT_TIMEOUTS
    from steps import fixtures

    monkeypatch.delenv("TCB_KEEP_CLUSTER", raising=False)
    monkeypatch.setattr(harness.k8s, "K8s", _RecordingK8s)
    _RecordingK8s.waited = []
    session = SimpleNamespace(
        deleting_namespaces=["tcb-x", "tcb-x-2"], timeouts=DEFAULT_TIMEOUTS, k8s=None, early=None
    )
    choice = TargetChoice(cluster=FakeTarget("local", True, "ok"), reason="ok", reuse=reuse)  # type: ignore[arg-type]
    fixture = fixtures.k8s.__wrapped__  # type: ignore[attr-defined]
    teardown = fixture(session, choice, _info())
    next(teardown)
    with pytest.raises(StopIteration):
        next(teardown)
    assert _RecordingK8s.waited == ([["tcb-x", "tcb-x-2"]] if waits else [])
