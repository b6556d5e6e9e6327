"""The local cluster's state dir on a tmpfs: mounted when a cluster starts from nothing, gone at once at
teardown (on this machine's disk, mounted with `discard`, removing it took 6.7-13.6 s)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.clusters import local
from harness.clusters.local import LocalCluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    state = tmp_path / "local-cluster"
    yield LocalCluster(state_dir=state)
    if os.path.ismount(state):
        subprocess.run(["umount", "--lazy", str(state)], check=False)


def test_a_cluster_started_from_nothing_keeps_its_state_on_a_tmpfs(cluster: LocalCluster) -> None:
    cluster._mount_state_dir()
    assert os.path.ismount(cluster.dir)
    assert "tmpfs" in Path("/proc/self/mounts").read_text().split(f" {cluster.dir} ", 1)[1].split()[0]


def test_teardown_leaves_neither_the_mount_nor_the_dir(cluster: LocalCluster) -> None:
    cluster._mount_state_dir()
    (cluster.dir / "data").mkdir()
    (cluster.dir / "data" / "blob").write_bytes(b"x" * 1_000_000)
    cluster._remove_state_dir()
    assert not os.path.ismount(cluster.dir)
    assert not cluster.dir.exists()


def test_seeded_without_the_unmount_the_mount_stays(
    cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shown able to fail: the removal as it was (rmtree alone) leaves the tmpfs mounted on its dir."""
    cluster._mount_state_dir()
    monkeypatch.setattr(local.os.path, "ismount", lambda path: False)
    cluster._remove_state_dir()
    monkeypatch.undo()
    assert os.path.ismount(cluster.dir)


@pytest.mark.parametrize("why", ["state on disk", "opted out", "little memory"])
def test_it_stays_on_disk(cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    if why == "state on disk":
        cluster.dir.mkdir()
        (cluster.dir / "layout").write_text("2")
    elif why == "opted out":
        monkeypatch.setenv(local.TMPFS_ENV, "0")
    else:
        monkeypatch.setattr(local, "_memory_available", lambda: 1 << 30)
    cluster._mount_state_dir()
    assert not os.path.ismount(cluster.dir)


def test_memory_available_is_read() -> None:
    assert local._memory_available() > 0
