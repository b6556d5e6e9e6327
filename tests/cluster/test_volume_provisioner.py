"""The local cluster's volume provisioner (harness/clusters/gobuild/provisioner), without a cluster: its Go
tests pass; each of them fails on a seeded defect of the source (a copy of the module, edited); and its
dependencies stay at the Kubernetes build's versions (a go.mod without the pins is caught).

The same behaviour on a real cluster (a claim's directory, writable by a non-root pod, removed with the
claim; a PV whose path is outside the volumes root refused) is in test_local_cluster.py."""

from __future__ import annotations

import shutil
from pathlib import Path

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
