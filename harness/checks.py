"""Checks the acceptance scenarios make that are not about driving the app: the repository (layout, git
hygiene, secret scans of files and history), the images (users, tags, layers), rendered manifests, the
release's objects (probes, ConfigMaps, secret references) and the README's quick start.

Each check returns what it found (empty when all is well) so a step can assert on it and show it.
"""

from __future__ import annotations

import json
import re
import shlex
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.paths import REPO
from harness.proc import run

APP_COMPONENTS = ("backend", "chatbot", "frontend")
# names of settings that hold secrets (ACCESS_TOKEN_EXPIRE_MINUTES merely mentions a token: a setting)
SECRET_NAME = re.compile(r"(secret|password|passwd|api[_-]?key|database_url|credential|token$)", re.I)
CONTENT_HASH_TAG = re.compile(r"(^|-)[0-9a-f]{12,64}$")  # e.g. 3f2a…, or 15-3f2a… (version-hash)
# values in docs and templates that look like credentials but are placeholders (e.g. user:password@host)
PLACEHOLDER = re.compile(
    r"^(%s|\$\{?\w+\}?|<[^>]*>|\{\{.*\}\}|password|passwd|pass|secret|changeme|change-me|example|x{3,}|\*{3,}|\.{3})$",
    re.I,
)
# detect-secrets findings reviewed as not secret (test-only keys and passwords), by hash
SECRETS_BASELINE = REPO / "specs" / "secrets-reviewed.json"
MIN_SECRET_LENGTH = 8  # shorter values (e.g. "INFO") would match everywhere and prove nothing


# ---- repository ----


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


def _usable(secrets: Iterable[str]) -> list[str]:
    return sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH})


def files_holding(secrets: Iterable[str], root: Path = REPO) -> list[str]:
    """Tracked files (their working-tree content) that contain any of the values."""
    values = _usable(secrets)
    if not values:
        return []
    argv = ["git", "-C", str(root), "grep", "--no-color", "-l", "-F", "-I"]
    for value in values:
        argv += ["-e", value]
    return run(argv, check=False, quiet=True).stdout.split()


def commits_holding(secrets: Iterable[str], root: Path = REPO) -> list[str]:
    """Commits in any branch whose diff adds or removes any of the values (git's pickaxe, -S)."""
    found: list[str] = []
    for value in _usable(secrets):
        out = run(
            ["git", "-C", str(root), "log", "--all", "--format=%h %s", "-S", value], check=False, quiet=True
        )
        found += out.stdout.splitlines()
    return sorted(set(found))


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
    """detect-secrets over the files, minus placeholders (user:password@host in a help text is not a leak)."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    collection = SecretsCollection()
    with default_settings():
        for path in files:
            collection.scan_file(str(path))
    label = label or {}
    reviewed = reviewed_values()
    findings: list[Finding] = []
    for filename, secret in collection:
        if secret.secret_value is not None and PLACEHOLDER.match(secret.secret_value.strip()):
            continue
        where = label.get(
            Path(filename),
            str(Path(filename).relative_to(REPO)) if filename.startswith(str(REPO)) else filename,
        )
        finding = Finding(where, secret.line_number, secret.type, secret.secret_hash)
        if (finding.kind, finding.secret_hash) not in reviewed:
            findings.append(finding)
    return sorted(findings, key=str)


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
    blobs: dict[str, str] = {}
    for line in objects:
        sha, _, path = line.partition(" ")
        if (
            path
            and sha not in current
            and sha not in blobs
            and path != str(SECRETS_BASELINE.relative_to(root))
        ):
            blobs[sha] = path
    if not blobs:
        return []
    kinds = run(
        ["git", "-C", str(root), "cat-file", "--batch-check=%(objectname) %(objecttype)"],
        input="\n".join(blobs),
        quiet=True,
    ).stdout.splitlines()
    blob_shas = [k.split()[0] for k in kinds if k.endswith(" blob")]
    with tempfile.TemporaryDirectory(prefix="tcb-history-") as tmp:
        label: dict[Path, str] = {}
        for sha in blob_shas:
            target = Path(tmp) / sha / Path(blobs[sha]).name
            target.parent.mkdir()
            content = run(["git", "-C", str(root), "cat-file", "blob", sha], check=False, quiet=True).stdout
            target.write_text(content)
            label[target] = f"{sha[:10]}:{blobs[sha]}"
        return scan_for_secret_looking_values(label, label)


def dockerfile_problems(service: str, root: Path = REPO) -> list[str]:
    """What keeps services/<service>/Dockerfile from being a multi-stage build with a replaceable base."""
    path = root / "services" / service / "Dockerfile"
    if not path.is_file():
        return [f"{path.relative_to(root)} is missing"]
    lines = [line.strip() for line in path.read_text().splitlines()]
    stages = [line for line in lines if line.upper().startswith("FROM ")]
    problems = []
    if len(stages) < 2:
        problems.append(f"{service}: {len(stages)} FROM line(s), a multi-stage build has at least 2")
    if not any(re.match(r"ARG\s+BASE_IMAGE\b", line, re.I) for line in lines):
        problems.append(f"{service}: no `ARG BASE_IMAGE`")
    if any(re.search(r":latest\b", line) for line in stages):
        problems.append(f"{service}: a stage is FROM an image tagged :latest")
    return problems


# ---- images ----


def secret_named_env(ref: str) -> list[str]:
    """Environment variables baked into the image whose name says secret and which carry a value."""
    from harness.images import ensure_docker_engine

    env = (ensure_docker_engine().images.get(ref).attrs.get("Config") or {}).get("Env") or []
    return [
        item.split("=", 1)[0]
        for item in env
        if SECRET_NAME.search(item.split("=", 1)[0]) and item.partition("=")[2].strip()
    ]


def image_places_holding(ref: str, secrets: Iterable[str]) -> list[str]:
    """Where in the image (layer commands, env, labels, cmd, every file of every layer) any value occurs."""
    from harness.images import image_history_text, save_image

    values = [v.encode() for v in _usable(secrets)]
    if not values:
        return []
    found = [
        f"{ref} history/config: {line.split(' ', 1)[0]}"
        for line in image_history_text(ref).splitlines()
        if any(v in line.encode() for v in values)
    ]
    with tempfile.TemporaryDirectory(prefix="tcb-image-") as tmp:
        archive = save_image(ref, Path(tmp) / "image.tar")
        with tarfile.open(archive) as outer:
            found += [f"{ref} {where}" for where in _archive_files_holding(outer, values)]
    return found


def _archive_files_holding(outer: tarfile.TarFile, values: list[bytes]) -> Iterator[str]:
    """`docker save` output is a tar of layer tars and JSON files: search every file inside each."""
    for member in outer:
        if not member.isfile():
            continue
        handle = outer.extractfile(member)
        if handle is None:
            continue
        try:
            with tarfile.open(fileobj=handle) as layer:
                yield from (f"layer {member.name}: {name}" for name in _tar_files_holding(layer, values))
            continue
        except tarfile.TarError:
            pass  # not a layer: a config or manifest JSON, searched as it is
        handle = outer.extractfile(member)
        if handle is not None and any(v in handle.read() for v in values):
            yield member.name


def _tar_files_holding(layer: tarfile.TarFile, values: list[bytes]) -> Iterator[str]:
    for member in layer:
        if member.isfile():
            handle = layer.extractfile(member)
            if handle is not None and any(v in handle.read() for v in values):
                yield member.name


def is_content_hash_tag(ref: str) -> bool:
    tag = ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else ""
    return bool(CONTENT_HASH_TAG.search(tag))


USER_INSTRUCTION = re.compile(r"^(?:/bin/sh -c )?(?:#\(nop\)\s+)?USER\s+(\S+)", re.I)
BASE_LABEL = "org.opencontainers.image.base.name"


def own_user_problems(ref: str, uid: str = "1001") -> list[str]:
    """Whether the image's own Dockerfile (its final stage, not the base it starts FROM) sets `USER uid`.

    The image's config alone cannot tell: every app image inherits the base's user, so a service Dockerfile
    whose USER line was deleted still reports 1001 on the local base (and root on python:3.11-slim). The
    final stage's instructions are the image's history entries above the base's (the base is named by the
    `org.opencontainers.image.base.name` label every service Dockerfile sets)."""
    from harness.images import ensure_docker_engine

    client = ensure_docker_engine()
    image = _engine_image(client, ref)
    if image is None:
        return [f"{ref}: not in the Docker engine, so its user cannot be read"]
    config = image.attrs.get("Config") or {}
    base_ref = (config.get("Labels") or {}).get(BASE_LABEL, "")
    if not base_ref:
        return [f"{ref}: no {BASE_LABEL} label, so its own instructions cannot be told from its base's"]
    base = _engine_image(client, base_ref)
    if base is None:
        return [f"{ref}: its base {base_ref} is not in the Docker engine"]
    history, base_history = image.history(), base.history()  # newest first
    if len(history) <= len(base_history) or history[-len(base_history) :] != base_history:
        return [f"{ref}: its history does not end with its base {base_ref}'s"]
    own = [str(entry.get("CreatedBy", "")) for entry in history[: len(history) - len(base_history)]]
    users = [m[1] for line in own if (m := USER_INSTRUCTION.match(line.strip()))]
    problems = []
    if not users:
        problems.append(
            f"{ref}: its Dockerfile's final stage has no USER instruction (the user is inherited)"
        )
    elif users[0].split(":")[0] != uid:  # history is newest first: users[0] is the last USER
        problems.append(f"{ref}: its Dockerfile's last USER is {users[0]}, not {uid}")
    user = str(config.get("User") or "")
    if user.split(":")[0] != uid:
        problems.append(f"{ref}: runs as {user or 'root'}, not {uid}")
    return problems


def image_size_problems(refs: dict[str, str], max_mb: float) -> tuple[dict[str, float], list[str]]:
    """({name: MB}, problems): each image's size as the Docker engine reports it now. An image the engine
    does not hold is a problem (its size is unknown), never a pass with size 0."""
    from harness.images import ensure_docker_engine

    client = ensure_docker_engine()
    sizes: dict[str, float] = {}
    problems = []
    for name, ref in refs.items():
        image = _engine_image(client, ref)
        if image is None:
            problems.append(f"{name}: {ref} is not in the Docker engine, so its size is unknown")
            continue
        sizes[name] = int(image.attrs["Size"]) / 1e6
        if sizes[name] > max_mb:
            problems.append(f"{name}: {ref} is {sizes[name]:.1f} MB, over {max_mb:.0f} MB")
    return sizes, problems


def content_tag_problems(refs: dict[str, str], expected_tags: dict[str, str] | None = None) -> list[str]:
    """Whether each image is tagged by its content. Observed, not taken from the build's return value: the
    tag must look like a hash (never `latest`), the engine must hold the image under it with its own version
    label stamped to the same tag at build time, and, where `expected_tags` gives what the tree's content
    hashes to now (recomputed from the sources and wheels, without building), the tag must equal it."""
    from harness.images import ensure_docker_engine

    client = ensure_docker_engine()
    problems = []
    for name, ref in refs.items():
        tag = ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else ""
        if not is_content_hash_tag(ref):
            problems.append(f"{name}: {ref} is not tagged with a content hash")
            continue
        image = _engine_image(client, ref)
        if image is None:
            problems.append(f"{name}: {ref} is not in the Docker engine")
            continue
        version = ((image.attrs.get("Config") or {}).get("Labels") or {}).get(
            "org.opencontainers.image.version"
        )
        if version != tag.rpartition("-")[2] and version != tag:
            problems.append(f"{name}: {ref} carries version label {version!r}, built for another tag")
        if expected_tags and name in expected_tags and expected_tags[name] != tag:
            problems.append(f"{name}: tagged {tag}, but its content hashes to {expected_tags[name]} now")
    return problems


def _engine_image(client: Any, ref: str) -> Any:
    from docker.errors import ImageNotFound

    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None


# ---- manifests and release objects ----


def parse_manifests(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict) and doc.get("kind")]


def invalid_manifests(manifests: list[dict[str, Any]], kubernetes_version: str | None = None) -> list[str]:
    """Objects that do not validate against the Kubernetes OpenAPI schema (kubernetes-validate)."""
    import kubernetes_validate

    version = kubernetes_version or kubernetes_validate.latest_version()
    problems = []
    for doc in manifests:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            continue  # custom resources have no schema to check against
    return problems


def component_of(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/component", ""))


def find_objects(manifests: list[dict[str, Any]], kind: str, component: str = "") -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind and (not component or component_of(m) == component)]


def containers_of(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workload["spec"]["template"]["spec"].get("containers") or [])


def missing_probes(workloads: Iterable[dict[str, Any]]) -> list[str]:
    problems = []
    for workload in workloads:
        for container in containers_of(workload):
            lacking = [p for p in ("livenessProbe", "readinessProbe", "startupProbe") if not container.get(p)]
            if lacking:
                problems.append(
                    f"{workload['metadata']['name']}/{container['name']}: no {', '.join(lacking)}"
                )
    return problems


def missing_resources(workloads: Iterable[dict[str, Any]]) -> list[str]:
    problems = []
    for workload in workloads:
        for container in containers_of(workload):
            resources = container.get("resources") or {}
            for part in ("requests", "limits"):
                if not (resources.get(part) or {}).get("memory"):
                    problems.append(f"{workload['metadata']['name']}/{container['name']}: no memory {part}")
    return problems


def env_sources(container: dict[str, Any]) -> dict[str, str]:
    """Where each environment variable of a container comes from: 'secret', 'configmap' or 'literal'.

    Variables from envFrom are named '<secret:NAME>' / '<configmap:NAME>' since their keys are not listed.
    """
    sources: dict[str, str] = {}
    for item in container.get("env") or []:
        ref = item.get("valueFrom") or {}
        sources[item["name"]] = (
            "secret" if "secretKeyRef" in ref else "configmap" if "configMapKeyRef" in ref else "literal"
        )
    for item in container.get("envFrom") or []:
        if "secretRef" in item:
            sources[f"<secret:{item['secretRef']['name']}>"] = "secret"
        if "configMapRef" in item:
            sources[f"<configmap:{item['configMapRef']['name']}>"] = "configmap"
    return sources


def secret_keys(secret: dict[str, Any]) -> set[str]:
    return set((secret.get("data") or {}) | (secret.get("stringData") or {}))


def configmap_secret_problems(configmaps: Iterable[dict[str, Any]], secrets: Iterable[str]) -> list[str]:
    """ConfigMap keys named like secrets, and ConfigMap values holding any secret value."""
    values = _usable(secrets)
    problems = []
    for cm in configmaps:
        name = cm["metadata"]["name"]
        for key, value in (cm.get("data") or {}).items():
            if SECRET_NAME.search(key):
                problems.append(f"configmap {name} has a secret-named key {key}")
            if any(v in str(value) for v in values):
                problems.append(f"configmap {name} key {key} holds a secret value")
    return problems


# ---- README quick start ----


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
            check = run([str(path), *argv[1:], "--help"], check=False, quiet=True, cwd=root, timeout=60)
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


# ---- release objects and actions ----


def statefulset_name(k8s: Any, namespace: str, selector: str) -> str:
    items = k8s.apps.list_namespaced_stateful_set(namespace, label_selector=selector).items
    if not items:
        raise LookupError(f"no StatefulSet matches {selector} in {namespace}")
    return str(items[0].metadata.name)


def scale_statefulset(k8s: Any, namespace: str, name: str, replicas: int) -> None:
    k8s.apps.patch_namespaced_stateful_set_scale(name, namespace, {"spec": {"replicas": replicas}})


def restart_deployment(k8s: Any, namespace: str, name: str) -> None:
    """What `kubectl rollout restart` does: a new pod-template annotation starts a rolling update."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).isoformat()
    patch = {
        "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}
    }
    k8s.apps.patch_namespaced_deployment(name, namespace, patch)


def workload_status(k8s: Any, namespace: str, selector: str) -> list[tuple[str, str, int, int]]:
    """(kind, name, ready replicas, wanted replicas) of every Deployment and StatefulSet."""
    rows = []
    for kind, name in k8s.workloads(namespace, selector):
        obj = (
            k8s.apps.read_namespaced_deployment(name, namespace)
            if kind == "Deployment"
            else k8s.apps.read_namespaced_stateful_set(name, namespace)
        )
        rows.append((kind, name, int(obj.status.ready_replicas or 0), int(obj.spec.replicas or 0)))
    return rows


def resolved_env(k8s: Any, namespace: str, pod: Any) -> dict[str, dict[str, str]]:
    """Each container's non-secret environment as the kubelet gives it: literals, ConfigMap keys and whole
    ConfigMaps (envFrom). Read from the API because the images have no shell to ask the process."""
    configmaps: dict[str, dict[str, str]] = {}

    def configmap(name: str) -> dict[str, str]:
        if name not in configmaps:
            configmaps[name] = dict(k8s.core.read_namespaced_config_map(name, namespace).data or {})
        return configmaps[name]

    result = {}
    for container in pod.spec.containers:
        env: dict[str, str] = {}
        for source in container.env_from or []:  # envFrom first: explicit env entries override it
            if source.config_map_ref is not None:
                prefix = source.prefix or ""
                env.update({prefix + k: v for k, v in configmap(source.config_map_ref.name).items()})
        for item in container.env or []:
            if item.value is not None:
                env[item.name] = item.value
            elif item.value_from is not None and item.value_from.config_map_key_ref is not None:
                ref = item.value_from.config_map_key_ref
                env[item.name] = configmap(ref.name).get(ref.key, "")
        result[container.name] = env
    return result


# ---- the verify checks (verify.sh's six points) ----


VERIFY_CHECKS = (
    "pods running",
    "services present",
    "frontend reachable",
    "backend health",
    "api docs",
    "signup and login",
)


def verify_release(k8s: Any, namespace: str, selector: str, frontend: str, backend: str) -> dict[str, str]:
    """The six checks of the original verify.sh against an installed release: check name -> problem
    ("" when it passed). Each check runs even if an earlier one failed, so the result names every problem."""
    import httpx

    from harness.app_client import AppClient
    from harness.k8s import pod_ready, pod_summary

    def pods_running() -> str:
        pods = [p for p in k8s.pods(namespace, selector) if p.status.phase != "Succeeded"]
        bad = [pod_summary(p) for p in pods if p.status.phase != "Running" or not pod_ready(p)]
        return "no pods" if not pods else "; ".join(bad)

    def services_present() -> str:
        components = {
            (s.metadata.labels or {}).get("app.kubernetes.io/component")
            for s in k8s.services(namespace, selector)
        }
        missing = [c for c in APP_COMPONENTS if c not in components]
        return f"no Service for {missing}" if missing else ""

    def answers(url: str, expect: str = "") -> str:
        response = httpx.get(url, timeout=10, follow_redirects=True)
        if response.status_code != 200:
            return f"{url} answered {response.status_code}"
        return "" if expect.lower() in response.text.lower() else f"{url} does not show {expect!r}"

    def backend_health() -> str:
        body = AppClient(backend).health()
        return "" if body.get("status") == "ok" else f"/api/health said {body}"

    def signup_and_login() -> str:
        with AppClient(backend) as client:
            email, password = client.signup_new_user("Verify User")
            client.login(email, password)
            me = client.me()
        return "" if me.get("email") == email else f"/api/auth/me returned {me}"

    checks = {
        "pods running": pods_running,
        "services present": services_present,
        "frontend reachable": lambda: answers(f"{frontend}/", "<html"),
        "backend health": backend_health,
        "api docs": lambda: answers(f"{backend}/docs", "swagger"),
        "signup and login": signup_and_login,
    }
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that cannot even run has failed: say why
            results[name] = f"{type(exc).__name__}: {exc}"
    return results
