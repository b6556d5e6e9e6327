"""Teardown's removal of a pod's pinned network namespace file, on real mounts in a scratch tmpfs (never
/run/netns): a pin mounted twice (what a recursive self-bind of the directory, as `ip netns add` makes,
leaves behind) is unmounted to the last copy and removed, where one `umount` and an unlink failed with EBUSY
(the fresh-clone CI of 2026-12-01 errored at teardown on exactly that); a copy hidden beneath a self-bind
cannot be reached, and teardown logs it and goes on instead of failing."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.clusters import local_host

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")


def _mount(*argv: str) -> None:
    subprocess.run(["mount", *argv], check=True, capture_output=True, timeout=30)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A private tmpfs with a "pin" file and a "source" file to bind onto it."""
    root = tmp_path / "netns"
    root.mkdir()
    _mount("-t", "tmpfs", "tcb-test-netns", str(root))
    try:
        (root / "pin").touch()
        (root / "source").touch()
        yield root
    finally:  # a self-bind stacks a second tree on `root`: detach until nothing is mounted there (bounded)
        for _ in range(4):
            if not local_host._mounted_at(str(root)):
                break
            subprocess.run(["umount", "--recursive", "--lazy", str(root)], check=False, capture_output=True)
        assert not local_host._mounted_at(str(root)), f"{root} is still mounted after the test"


def test_a_pin_mounted_twice_is_unmounted_to_the_last_copy_and_removed(scratch: Path) -> None:
    pin = scratch / "pin"
    _mount("--bind", str(scratch / "source"), str(pin))
    _mount("--bind", str(scratch / "source"), str(pin))
    assert local_host._mounted_at(str(pin)) == 2

    assert local_host.release_netns(pin) is True
    assert not pin.exists()
    assert local_host._mounted_at(str(pin)) == 0


def test_one_umount_then_unlink_fails_on_a_pin_mounted_twice(scratch: Path) -> None:
    """The seeded defect: the teardown before the fix (one umount, then unlink) fails on the same mounts."""
    pin = scratch / "pin"
    _mount("--bind", str(scratch / "source"), str(pin))
    _mount("--bind", str(scratch / "source"), str(pin))
    subprocess.run(["umount", str(pin)], check=True, capture_output=True)
    with pytest.raises(OSError, match="busy"):
        pin.unlink()


def test_a_copy_hidden_beneath_a_self_bind_is_logged_and_teardown_goes_on(
    scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pin = scratch / "pin"
    _mount("--bind", str(scratch / "source"), str(pin))
    _mount("--rbind", str(scratch), str(scratch))  # what `ip netns add` does to /run/netns

    with caplog.at_level(logging.WARNING, logger="tcb.local-cluster"):
        assert local_host.release_netns(pin) is False
    assert f"left {pin} in place" in caplog.text
    assert "busy" in caplog.text.lower()


def test_a_pin_that_is_already_gone_is_fine(scratch: Path) -> None:
    assert local_host.release_netns(scratch / "missing") is True


def test_a_pin_named_through_a_symlinked_directory_is_released(scratch: Path) -> None:
    """containerd names pins /var/run/netns/… where /var/run links to /run; mountinfo lists the real path."""
    pin = scratch / "pin"
    _mount("--bind", str(scratch / "source"), str(pin))
    _mount("--bind", str(scratch / "source"), str(pin))
    link = scratch.parent / "linked"
    link.symlink_to(scratch)
    assert local_host._mounted_at(str(link / "pin")) == 2

    assert local_host.release_netns(link / "pin") is True
    assert not pin.exists()


def test_a_mount_point_with_a_blank_in_its_name_is_counted(scratch: Path) -> None:
    pin = scratch / "a pin"  # mountinfo writes the blank as \040
    pin.touch()
    _mount("--bind", str(scratch / "source"), str(pin))
    assert local_host._mounted_at(str(pin)) == 1
    assert local_host.release_netns(pin) is True
    assert not pin.exists()


def _raw_mount_points() -> list[str]:
    """The reading before mount_points(): the kernel's escaped form (`a\\040b`), which no umount accepts."""
    return [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]


@pytest.mark.parametrize("reader", ["decoded", "raw"])
def test_teardown_unmounts_a_blank_named_mount_under_the_state_dir(
    scratch: Path, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LocalCluster._unmount_all reads mounts through local_host.mount_points(); with the raw reading it
    passed `…/a\\040volume` to umount, which failed, and the volume stayed mounted (the seeded defect)."""
    from harness.clusters.local import LocalCluster

    state = scratch / "state"
    volume = state / "a volume"
    volume.mkdir(parents=True)
    _mount("--bind", str(scratch / "source"), str(scratch / "pin"))  # outside the state dir: left alone
    _mount("-t", "tmpfs", "tcb-test-volume", str(volume))
    if reader == "raw":
        monkeypatch.setattr(local_host, "mount_points", _raw_mount_points)

    LocalCluster._unmount_all(SimpleNamespace(dir=state))  # type: ignore[arg-type]

    monkeypatch.undo()
    assert local_host._mounted_at(str(volume)) == (0 if reader == "decoded" else 1)
    assert local_host._mounted_at(str(scratch / "pin")) == 1
    if reader == "raw":
        subprocess.run(["umount", str(volume)], check=True, capture_output=True)
