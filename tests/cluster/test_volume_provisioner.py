"""The local cluster's volume provisioner (harness/clusters/gobuild/provisioner), without a cluster: its Go
tests pass; each of them fails on a seeded defect of the source (a copy of the module, edited); and its
dependencies stay at the Kubernetes build's versions (a go.mod without the pins is caught).

The same behaviour on a real cluster (a claim's directory, writable by a non-root pod, removed with the
claim; a PV whose path is outside the volumes root refused) is in test_local_cluster.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from harness.clusters import local_build
from harness.proc import run, which

needs_go = pytest.mark.skipif(
    which("go", Path("/usr/local/go/bin")) is None and not (local_build.CACHE / "go-toolchain").exists(),
    reason="no Go toolchain (the cluster build installs one)",
)
MODULE = local_build.PROVISIONER_MODULE


def _go_test(module: Path) -> tuple[int, str]:
    proc = run(
        [local_build._go(), "test", "-count=1", "-trimpath", "."],
        cwd=module,
        env=local_build._go_env({"GOPROXY": "off"}),
        check=False,
        quiet=True,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _seeded(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the module with one edit of hostpath.go (which must apply exactly once)."""
    copy = tmp_path / "provisioner"
    shutil.copytree(MODULE, copy)
    source = copy / "hostpath.go"
    text = source.read_text()
    assert text.count(old) == 1, f"the seeded defect no longer applies: {old!r} is not in hostpath.go once"
    source.write_text(text.replace(old, new))
    return copy


@needs_go
def test_the_provisioners_go_tests_pass() -> None:
    code, output = _go_test(MODULE)
    assert code == 0, output
    assert "ok" in output


SEEDED = {
    # Delete trusts any absolute path a PV names: host directories outside the root would be removed
    "delete-anywhere": (
        "if !filepath.IsAbs(path) || filepath.Dir(clean) != p.root || clean == p.root {",
        "if !filepath.IsAbs(path) {",
        "TestDeleteRefusesEveryPathThatIsNotAVolumeDirectoryUnderTheRoot",
    ),
    # Delete follows a symlink under the root to a directory elsewhere
    "follow-symlink": (
        "if !info.IsDir() {",
        "if info.Mode().IsRegular() {",
        "TestDeleteRefusesEveryPathThatIsNotAVolumeDirectoryUnderTheRoot",
    ),
    # the directory keeps the umask's 0755: a non-root pod cannot write its volume
    "not-world-writable": (
        "if err := os.Chmod(dir, volumeMode); err != nil {",
        "if err := error(nil); err != nil {",
        "TestProvisionMakesAWorldWritableDirectoryAndAPinnedHostPathVolume",
    ),
    # Delete reports success and leaves the directory (and the claim's data) behind
    "delete-leaves-directory": (
        "if err := os.RemoveAll(dir); err != nil {",
        "if err := error(nil); err != nil {",
        "TestDeleteRemovesTheDirectoryAndItsContents",
    ),
}


@needs_go
@pytest.mark.parametrize("defect", sorted(SEEDED))
def test_each_seeded_defect_fails_the_go_tests(tmp_path: Path, defect: str) -> None:
    old, new, catching_test = SEEDED[defect]
    code, output = _go_test(_seeded(tmp_path, old, new))
    assert code != 0, f"seeded defect {defect} passed the Go tests:\n{output}"
    assert f"--- FAIL: {catching_test}" in output, output


@needs_go
def test_the_provisioner_compiles_client_go_api_and_apimachinery_at_the_kubernetes_builds_version() -> None:
    skew = local_build.provisioner_version_skew()
    assert [line for line in skew if line.startswith("k8s.io/")] == [], skew


@needs_go
def test_a_client_go_other_than_the_kubernetes_builds_is_reported_as_skewed(tmp_path: Path) -> None:
    kubernetes = tmp_path / "k8s"
    shutil.copytree(local_build.K8S_MODULE, kubernetes)
    go_mod = (kubernetes / "go.mod").read_text()
    pinned = "k8s.io/client-go => k8s.io/client-go v0.35.4"
    assert pinned in go_mod
    # the seeded defect: Kubernetes built against another client-go (a local copy: no network needed)
    (kubernetes / "client-go").mkdir()
    (kubernetes / "client-go" / "go.mod").write_text("module k8s.io/client-go\n\ngo 1.25.0\n")
    (kubernetes / "go.mod").write_text(go_mod.replace(pinned, "k8s.io/client-go => ./client-go"))
    skew = local_build.provisioner_version_skew(kubernetes=kubernetes)
    assert "k8s.io/client-go v0.35.4, kubernetes v0.35.4=>./client-go" in skew, skew


# ---- taking over a state dir where local-path-provisioner ran (LocalCluster._retire_local_path_provisioner)


class _Recorder:
    """A LocalCluster with its API calls, kubectl and daemon stops recorded instead of made."""

    def __init__(self, tmp_path: Path, storage_class: dict[str, str] | None, legacy_log: bool) -> None:
        from harness.clusters.local import LocalCluster

        self.cluster = LocalCluster(state_dir=tmp_path / "local-cluster")
        (self.cluster.dir / "logs").mkdir(parents=True)
        self.legacy_log = self.cluster.dir / "logs" / "local-path-provisioner.log"
        if legacy_log:
            self.legacy_log.write_text("old provisioner\n")
        self.calls: list[str] = []
        self.storage_class = storage_class

        def api_get(path: str) -> dict[str, str]:
            if self.storage_class is None:
                request = httpx.Request("GET", f"https://node{path}")
                raise httpx.HTTPStatusError(
                    "404", request=request, response=httpx.Response(404, request=request)
                )
            return self.storage_class

        self.cluster._api_get = api_get  # type: ignore[method-assign,assignment]
        self.cluster.kubectl = lambda *args, **_: self.calls.append("kubectl " + " ".join(args)) or ""  # type: ignore[method-assign,func-returns-value]
        self.cluster._stop = lambda name, *a, **k: self.calls.append(f"stop {name}")  # type: ignore[method-assign,func-returns-value]


def test_a_state_dir_of_the_old_provisioner_is_taken_over(tmp_path: Path) -> None:
    r = _Recorder(tmp_path, {"provisioner": local_build.LEGACY_PROVISIONER_NAME}, legacy_log=True)
    r.cluster._retire_local_path_provisioner()
    assert r.calls[0] == "stop local-path-provisioner"
    assert (
        "namespace/local-path-storage" in r.calls[1]
        and "clusterrole/local-path-provisioner-role" in r.calls[1]
    )
    # the StorageClass's provisioner field is immutable: apply would fail, so it is deleted and re-applied
    assert r.calls[2] == "kubectl delete storageclass standard --ignore-not-found"
    assert not r.legacy_log.exists() and r.legacy_log.with_name("local-path-provisioner.log.old").exists()


def test_a_storage_class_of_ours_or_none_is_left_alone(tmp_path: Path) -> None:
    ours = _Recorder(tmp_path / "a", {"provisioner": local_build.PROVISIONER_NAME}, legacy_log=False)
    ours.cluster._retire_local_path_provisioner()
    fresh = _Recorder(tmp_path / "b", None, legacy_log=False)
    fresh.cluster._retire_local_path_provisioner()
    assert ours.calls == [] and fresh.calls == []


def test_a_storage_class_of_another_provisioner_is_recreated_without_the_old_log(tmp_path: Path) -> None:
    r = _Recorder(tmp_path, {"provisioner": "example.com/other"}, legacy_log=False)
    r.cluster._retire_local_path_provisioner()
    assert r.calls == ["kubectl delete storageclass standard --ignore-not-found"]
