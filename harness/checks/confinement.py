"""What confines a running server process, read from the kernel inside its container, not from the pod spec.

`PROBE` runs as `python3 -c` in a container (the images have python, no shell) and prints one JSON line about
PID 1, the server: its mount of `/` (read-only or not, and whether a file can be created in the server's
working directory), its no_new_privs flag, its capability sets and its user id. `problems` judges that line.
The pod spec can say `readOnlyRootFilesystem: true` while the container's root is writable (a template that
drops the field, a mutating webhook, a runtime that ignores it); the kernel's view is what the process gets.
"""

from __future__ import annotations

from typing import Any

PROBE = r"""
import errno, json, os
proc = "/proc/" + os.environ.get("TCB_PROBE_PID", "1")  # the server; another process in tests
status = dict(line.split(":", 1) for line in open(proc + "/status") if ":" in line)
root_options = ""
for line in open(proc + "/mountinfo"):
    fields = line.split()
    if len(fields) > 5 and fields[4] == "/":
        root_options = fields[5]  # the last mount of "/" wins, as in the kernel's view
write = "created"
probe = os.path.join(os.readlink(proc + "/cwd"), ".tcb-write-probe")
try:
    with open(probe, "w") as handle:
        handle.write("x")
    os.remove(probe)
except OSError as error:
    write = errno.errorcode.get(error.errno, str(error.errno))
print(json.dumps({
    "root_options": root_options,
    "cwd": os.readlink(proc + "/cwd"),
    "write_in_cwd": write,
    "no_new_privs": status.get("NoNewPrivs", "").strip(),
    "cap_bounding": status.get("CapBnd", "").strip(),
    "cap_effective": status.get("CapEff", "").strip(),
    "cap_permitted": status.get("CapPrm", "").strip(),
    "uid": status.get("Uid", "").split(),
}))
"""


def problems(found: dict[str, Any]) -> list[str]:
    """What the probe's output shows unconfined: a writable root filesystem, privilege escalation allowed,
    capabilities kept, or root. [] when the process is confined as the chart asks."""
    out = []
    options = str(found.get("root_options", "")).split(",")
    if "ro" not in options:
        out.append(
            f"its root filesystem is mounted {found.get('root_options') or 'with unknown options'} (not ro)"
        )
    if found.get("write_in_cwd") != "EROFS":
        out.append(
            f"creating a file in its working directory {found.get('cwd')} gave {found.get('write_in_cwd')}"
            " (not EROFS, a read-only file system)"
        )
    if found.get("no_new_privs") != "1":
        out.append(f"NoNewPrivs is {found.get('no_new_privs')!r} (privilege escalation allowed)")
    for key in ("cap_bounding", "cap_effective", "cap_permitted"):
        value = str(found.get(key, ""))
        if not value or int(value, 16) != 0:
            out.append(f"{key} is {value or 'unknown'} (capabilities kept)")
    uid = found.get("uid") or []
    if not uid or "0" in uid:
        out.append(f"its user ids are {uid} (root among them)")
    return out
