"""Checks of the repository itself: layout, git hygiene, secret scans of the files and the history,
the Dockerfiles' shape, and the README (quick-start commands, local links)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.checks import usable_secrets
from harness.paths import CACHE, REPO, ensure
from harness.proc import run
from harness.timeouts import DEFAULT_TIMEOUTS

# values in docs and templates that look like credentials but are placeholders (e.g. user:password@host)
PLACEHOLDER = re.compile(
    r"^(%s|\$\{?\w+\}?|<[^>]*>|\{\{.*\}\}|password|passwd|pass|secret|changeme|change-me|example|x{3,}|\*{3,}|\.{3})$",
    re.I,
)
# detect-secrets findings reviewed as not secret (test-only keys and passwords), by hash
SECRETS_BASELINE = REPO / "specs" / "secrets-reviewed.json"


def missing_paths(paths: Iterable[str], root: Path = REPO) -> list[str]:
    return [p for p in paths if not (root / p).exists()]


def not_ignored(paths: Iterable[str], root: Path = REPO) -> list[str]:
    """The paths git would NOT ignore (each checked as if the file existed)."""
    wanted = list(paths)
    result = run(["git", "-C", str(root), "check-ignore", "--no-index", *wanted], check=False, quiet=True)
    ignored = set(result.stdout.split())
    return [p for p in wanted if p not in ignored]


def tracked_but_ignored(root: Path = REPO) -> list[str]:
    """Tracked files that match an ignore pattern: local-secret files someone force-added."""
    out = run(["git", "-C", str(root), "ls-files", "--cached", "--ignored", "--exclude-standard"], quiet=True)
    return out.stdout.split()


def tracked_files(root: Path = REPO) -> list[str]:
    return run(["git", "-C", str(root), "ls-files", "-z"], quiet=True).stdout.split("\0")[:-1]


def files_holding(secrets: Iterable[str], root: Path = REPO) -> list[str]:
    """Tracked files (their working-tree content) that contain any of the values."""
    values = usable_secrets(secrets)
    if not values:
        return []
    argv = ["git", "-C", str(root), "grep", "--no-color", "-l", "-F", "-I"]
    for value in values:
        argv += ["-e", value]
    return run(argv, check=False, quiet=True).stdout.split()


@dataclass(frozen=True)
class Finding:
    where: str  # file (or "<blob>:<file>" for history)
    line: int
    kind: str  # detect-secrets' name for what it saw
    secret_hash: str = ""  # detect-secrets' SHA-1 of the value: lets a review be recorded without the value

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.kind}"


def scan_for_secret_looking_values(
    files: Iterable[Path], label: dict[Path, str] | None = None
) -> list[Finding]:
    """detect-secrets over the files, minus placeholders (user:password@host in a help text is not a leak).

    What detect-secrets finds in a file depends only on its bytes, the name it is scanned under and the
    plugin settings, so each file's findings (line, kind, hash: never the value) are cached under a key of
    exactly those (`secret_scan_cache`): a file seen before costs a hash, a new or changed one is scanned.
    Reviewed findings are filtered after the cache, so recording a review takes effect at once."""
    label = label or {}
    return _unreviewed(
        (label.get(path, str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)), raw)
        for path, raw in _raw_findings(list(files)).items()
    )


def _unreviewed(raw_by_where: Iterable[tuple[str, list[RawFinding]]]) -> list[Finding]:
    """The findings, sorted, minus the values a person reviewed (`reviewed_values`). Pairs, not a dict: two
    files may be shown under one label (two history blobs whose abbreviated names and paths agree)."""
    reviewed = reviewed_values()
    findings = [
        Finding(where, line, kind, secret_hash)
        for where, raw in raw_by_where
        for line, kind, secret_hash in raw
        if (kind, secret_hash) not in reviewed
    ]
    return sorted(findings, key=str)


# part of every cache key: bump it when what a cached entry means changes
SECRET_SCAN_CACHE_VERSION = 1
RawFinding = tuple[int, str, str]  # line, detect-secrets' kind, its SHA-1 of the value


def secret_scan_cache() -> Path:
    return CACHE / "secret-scan"


def _scan_name(path: Path) -> str:
    """The name a file is scanned under, as detect-secrets' filename heuristics see it (lock files, swagger
    files): its path in the repository, or its own name for a file outside it (a history blob)."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else path.name


def _scan_key(settings: str, name: str, content: bytes) -> str:
    digest = hashlib.sha256(f"{SECRET_SCAN_CACHE_VERSION}\0{settings}\0{name}\0".encode())
    digest.update(content)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)  # fixed for the process: the history scan and its new blobs' scan both ask
def _detect_settings() -> str:
    """detect-secrets' version and its default plugins and filters, as one string for the cache key."""
    from importlib.metadata import version

    from detect_secrets.settings import default_settings, get_settings

    with default_settings():
        return version("detect-secrets") + json.dumps(get_settings().json(), sort_keys=True)


def _raw_findings(files: list[Path]) -> dict[Path, list[RawFinding]]:
    """Each file's findings minus placeholders: from the cache, else from detect-secrets (then cached)."""
    settings = _detect_settings()
    cache = ensure(secret_scan_cache())
    keys = {path: _scan_key(settings, _scan_name(path), path.read_bytes()) for path in files}
    result: dict[Path, list[RawFinding]] = {}
    for path, key in keys.items():
        cached = _cached_findings(cache, key)
        if cached is not None:
            result[path] = cached
    missing = [path for path in files if path not in result]
    if missing:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings

        collection = SecretsCollection()
        with default_settings():
            for path in missing:
                collection.scan_file(str(path))
        found: dict[str, list[RawFinding]] = {}
        for filename, secret in collection:
            if secret.secret_value is not None and PLACEHOLDER.match(secret.secret_value.strip()):
                continue
            found.setdefault(filename, []).append((secret.line_number or 0, secret.type, secret.secret_hash))
        for path in missing:
            result[path] = sorted(found.get(str(path), []))
            entry = cache / keys[path]
            partial = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(result[path]))
            partial.replace(entry)  # atomic: concurrent runs share the cache
    return result


def _cached_findings(cache: Path, key: str) -> list[RawFinding] | None:
    """The cached findings under `key`, or None when there is no entry (or a torn one: scan again)."""
    try:
        return [(int(line), str(kind), str(h)) for line, kind, h in json.loads((cache / key).read_text())]
    except (OSError, ValueError, TypeError):
        return None


def reviewed_values(baseline: Path = SECRETS_BASELINE) -> set[tuple[str, str]]:
    """(kind, secret hash) of values a person reviewed and recorded as not secret (e.g. test-only keys)."""
    if not baseline.is_file():
        return set()
    return {(item["type"], item["hashed_secret"]) for item in json.loads(baseline.read_text())["reviewed"]}


def record_reviewed(findings: Iterable[Finding], reason: str, baseline: Path = SECRETS_BASELINE) -> None:
    """Add findings a person has looked at to the baseline (hashes only, never the values)."""
    data = json.loads(baseline.read_text()) if baseline.is_file() else {"reviewed": []}
    known = {(item["type"], item["hashed_secret"]) for item in data["reviewed"]}
    for finding in findings:
        if (finding.kind, finding.secret_hash) not in known:
            known.add((finding.kind, finding.secret_hash))
            data["reviewed"].append(
                {
                    "type": finding.kind,
                    "hashed_secret": finding.secret_hash,
                    "first_seen": f"{finding.where}:{finding.line}",
                    "reason": reason,
                }
            )
    baseline.write_text(json.dumps(data, indent=2) + "\n")


def secret_scan_tracked(root: Path = REPO) -> list[Finding]:
    # the baseline holds hashes of reviewed values: hex strings by design, not secrets
    files = [root / f for f in tracked_files(root) if (root / f).is_file() and root / f != SECRETS_BASELINE]
    return scan_for_secret_looking_values(files)


def secret_scan_history(root: Path = REPO) -> list[Finding]:
    """Scan every file version in the history that is no longer in the working tree's index."""
    current = set(run(["git", "-C", str(root), "ls-files", "-s"], quiet=True).stdout.split())
    objects = run(["git", "-C", str(root), "rev-list", "--all", "--objects"], quiet=True).stdout.splitlines()
    baseline = str(SECRETS_BASELINE.relative_to(root)) if SECRETS_BASELINE.is_relative_to(root) else None
    # every file name a blob had, not only the first: detect-secrets reads a file by its name (a keyword in a
    # .yaml is found where the same bytes in a .py are not), and rev-list names each object once, so each
    # blob a commit added or changed is taken from the log as well, with its path there
    blobs: dict[str, dict[str, str]] = {}  # blob -> {file name: the first path seen with it}
    named = [tuple(line.partition(" ")[::2]) for line in objects]
    raw_log = ["log", "--all", "-m", "--raw", "-z", "--no-abbrev", "--no-renames", "--format="]
    log = run(["git", "-C", str(root), *raw_log], quiet=True).stdout.split("\0")
    fields = iter(log)  # ":<modes> <old> <new> <status>", then its path, for each file a commit touched
    named += [(meta.split()[3], next(fields, "")) for meta in fields if meta.lstrip().startswith(":")]
    for sha, path in named:
        if path and sha not in current and path != baseline and sha.strip("0"):
            blobs.setdefault(sha, {}).setdefault(Path(path).name, path)
    if not blobs:
        return []
    kinds = run(
        ["git", "-C", str(root), "cat-file", "--batch-check=%(objectname) %(objecttype)"],
        input="\n".join(blobs),
        quiet=True,
    ).stdout.splitlines()
    blob_shas = [k.split()[0] for k in kinds if k.endswith(" blob")]
    # A blob whose findings are cached (the key is made from its bytes here, as `_raw_findings` makes it
    # from a file's) is never written out: only new blobs go to files for detect-secrets, which scans files.
    # Writing all ~2,300 text blobs (85 MB) and removing them again was most of a warm scan's 3.8 s.
    settings = _detect_settings()
    cache = ensure(secret_scan_cache())
    cached: list[tuple[str, list[RawFinding]]] = []
    with tempfile.TemporaryDirectory(prefix="tcb-history-") as tmp:
        label: dict[Path, str] = {}
        for sha, content in _blob_contents(root, blob_shas):
            if b"\0" in content[:BINARY_SNIFF_BYTES]:
                continue  # binary (a screenshot, an archive): detect-secrets scans text
            for index, (name, path) in enumerate(blobs[sha].items()):
                where = f"{sha[:10]}:{path}"
                # `name` is the name `_scan_name` gives the file written below
                raw = _cached_findings(cache, _scan_key(settings, name, content))
                if raw is not None:
                    cached.append((where, raw))
                    continue
                target = Path(tmp) / sha / str(index) / name
                target.parent.mkdir(parents=True)
                target.write_bytes(content)
                label[target] = where
        return sorted(_unreviewed(cached) + scan_for_secret_looking_values(label, label), key=str)


BINARY_SNIFF_BYTES = 8192  # a NUL byte in the first this many bytes: a binary file, as git itself judges


def _blob_contents(root: Path, shas: list[str]) -> Iterator[tuple[str, bytes]]:
    """Every blob's bytes from one `git cat-file --batch` (one process, binary-safe, however many blobs).
    Not harness.proc.run: that decodes output as text, and history holds binary files."""
    if not shas:
        return
    out = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"],
        input="\n".join(shas).encode() + b"\n",
        capture_output=True,
        check=True,
    ).stdout
    at = 0
    while at < len(out):
        end = out.index(b"\n", at)
        sha, _kind, size = out[at:end].decode().split()
        start = end + 1
        yield sha, out[start : start + int(size)]
        at = start + int(size) + 1


ARG_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def dockerfile_problems(service: str, root: Path = REPO) -> list[str]:
    """What keeps services/<service>/Dockerfile from being a multi-stage build whose final stage starts FROM a
    replaceable base (`ARG BASE_IMAGE`) and whose every base, as built by default, is pinned to a version.

    Parsed with the `dockerfile` package (Docker's own Go parser, so continuations, comments and heredocs are
    read as docker reads them), and each FROM is resolved through the ARG defaults it sees: a default of
    `python:latest` (or no tag at all) behind `FROM ${BASE_IMAGE}` is as unpinned as a literal one."""
    import dockerfile

    path = root / "services" / service / "Dockerfile"
    if not path.is_file():
        return [f"{path.relative_to(root)} is missing"]
    try:
        commands = dockerfile.parse_file(str(path))
    except dockerfile.GoParseError as exc:
        return [f"{service}: the Dockerfile does not parse: {exc}"]
    global_args: dict[str, str] = {}
    stages: list[tuple[str, str]] = []  # (FROM as written, resolved with the ARG defaults)
    names: set[str] = set()
    for command in commands:
        if command.cmd.upper() == "ARG" and not stages:
            for word in command.value:
                name, _, default = word.partition("=")
                global_args[name] = default
        elif command.cmd.upper() == "FROM":
            written = command.value[0]
            resolved = ARG_REFERENCE.sub(lambda m: global_args.get(m[1] or m[2], ""), written)
            stages.append((written, resolved))
            if len(command.value) >= 3 and command.value[1].upper() == "AS":
                names.add(command.value[2].lower())
    problems = []
    if len(stages) < 2:
        problems.append(f"{service}: {len(stages)} FROM line(s), a multi-stage build has at least 2")
    if "BASE_IMAGE" not in global_args:
        problems.append(f"{service}: no `ARG BASE_IMAGE` before the first FROM")
    elif stages and not re.fullmatch(r"\$\{?BASE_IMAGE\}?", stages[-1][0]):
        problems.append(f"{service}: the final stage is FROM {stages[-1][0]}, not FROM ${{BASE_IMAGE}}")
    for written, resolved in stages:
        if resolved.lower() in names:
            continue  # FROM an earlier stage of this file
        shown = written if written == resolved else f"{written} (= {resolved} by default)"
        if not resolved:
            problems.append(f"{service}: FROM {written} has no default: the build needs a --build-arg")
        elif "@sha256:" in resolved:
            continue
        elif ":" not in resolved.rsplit("/", 1)[-1]:
            problems.append(f"{service}: FROM {shown} names no tag (that is :latest, unpinned)")
        elif resolved.rsplit(":", 1)[1].lower() == "latest":
            problems.append(f"{service}: FROM {shown} is tagged :latest (unpinned)")
    return problems


# ---- README ----


def readme_section(title: str, readme: Path = REPO / "README.md") -> str:
    text = readme.read_text()
    match = re.search(rf"^##+\s+{re.escape(title)}\s*$(.*?)(?=^##+\s|\Z)", text, re.M | re.S | re.I)
    return match.group(1) if match else ""


def shell_commands(markdown: str) -> list[str]:
    """The commands of the fenced sh/bash/console blocks, without comments, prompts and continuations."""
    commands = []
    for block in re.findall(r"```(?:sh|bash|shell|console)?\n(.*?)```", markdown, re.S):
        for raw in block.splitlines():
            line = raw.split(" #", 1)[0].strip().removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def command_problems(command: str, root: Path = REPO) -> list[str]:
    """Does each program of a quick-start command line (split on && ; |) exist, and answer --help?

    Programs in the repo (scripts/…, .venv/bin/…) must exist and be executable; shell scripts must parse
    (`bash -n`); console scripts must answer `<the command> --help` with exit 0. Nothing is actually run: the
    quick start builds and deploys, which is what the acceptance run itself does.
    """
    problems = []
    for part in re.split(r"\s*(?:&&|;|\|\|?)\s*", command):
        argv = shlex.split(part)
        if not argv:
            continue
        program = argv[0]
        path = root / program if "/" in program else None
        if path is None:
            if run(["bash", "-c", f"command -v {shlex.quote(program)}"], check=False, quiet=True).returncode:
                problems.append(f"`{program}` is not on PATH")
            continue
        if not path.is_file() or not path.stat().st_mode & 0o111:
            problems.append(f"{program} does not exist or is not executable")
            continue
        head = path.read_bytes()[:200]
        if (
            head.startswith(b"#!")
            and b"sh" in head.split(b"\n", 1)[0]
            and b"python" not in head.split(b"\n")[0]
        ):
            check = run(["bash", "-n", str(path)], check=False, quiet=True)
            if check.returncode:
                problems.append(f"{program} does not parse: {check.stderr.strip()[:300]}")
        else:
            check = run(
                [str(path), *argv[1:], "--help"],
                check=False,
                quiet=True,
                cwd=root,
                timeout=DEFAULT_TIMEOUTS.command,
            )
            if check.returncode:
                problems.append(
                    f"`{part} --help` exited {check.returncode}: {(check.stderr or check.stdout)[-300:]}"
                )
    return problems


def broken_links(markdown_file: Path = REPO / "README.md") -> list[str]:
    text = markdown_file.read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    return [
        t
        for t in targets
        if "://" not in t and not t.startswith("mailto:") and not (markdown_file.parent / t).exists()
    ]
