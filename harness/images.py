"""The application images: build each service's Dockerfile from an offline context, tagged by content hash.

The only step that needs a package index is `pip download` on the host into a wheelhouse cached by the
service's dependency list (CACHE/wheels/<service>-<hash>); the Docker build itself installs with `--no-index`.
Without a registry the bases are the locally built ones (harness.baseimages); with `python:3.11-slim` present
in the engine, that is used instead (the Dockerfile's default).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, BuildError, ImageNotFound

from harness import baseimages, components, llm_server
from harness.baseimages import ImageRef
from harness.docker_engine import ensure_docker_engine
from harness.log import get_logger, phase
from harness.paths import CACHE, REPO, ensure
from harness.proc import run
from harness.timeouts import DEFAULT_TIMEOUTS
from harness.waits import wait_until

log = get_logger("images")

REGISTRY_BASE = "python:3.11-slim"  # the Dockerfiles' default base, used when the engine already has it
WHEELS = CACHE / "wheels"
CONTEXTS = CACHE / "contexts"
PYPACK = REPO / "harness" / "images_recipes" / "pypack.py"
# Wheels for the runtime image's platform: CPython 3.11 on glibc x86_64 (bookworm has glibc 2.36).
WHEEL_PLATFORMS = (
    "manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64",
    *(f"manylinux_2_{minor}_x86_64" for minor in (17, 24, 26, 27, 28, 31, 34, 35, 36)),
)  # fmt: skip
# Never part of a build context: caches, local databases, virtualenvs, build output.
CONTEXT_IGNORE = ("__pycache__", "*.pyc", "*.egg-info", ".venv", "build", "dist", "*.db", ".pytest_cache",
                  "tests", ".mypy_cache", ".ruff_cache", "wheels")  # fmt: skip


@dataclass(frozen=True)
class ServiceImage:
    """How one service's image is built: services/<name>/Dockerfile with the service's pyproject.toml."""

    name: str
    port: int

    @property
    def repository(self) -> str:
        return f"todo-chatbot/{self.name}"

    @property
    def source_dir(self) -> Path:
        return REPO / "services" / self.name


# The registry of images the harness builds; "postgres" is the base-image recipe in harness.baseimages.
# llm-runtime is optional; its wheels come from harness.llm_server
SERVICES: dict[str, ServiceImage] = {
    c.image: ServiceImage(c.image, c.container_port()) for c in components.COMPONENTS if c.name != "postgres"
}
DEFAULT_IMAGES = components.DEFAULT_IMAGES


def build_images(
    services: Iterable[str] = DEFAULT_IMAGES,
    *,
    progress: bool = True,
    base_image: str | None = None,
    build_image: str | None = None,
) -> dict[str, ImageRef]:
    """Build (or find, when the content is unchanged) each image; returns name -> ImageRef.

    base_image/build_image override the bases (e.g. "python:3.11-slim"); by default the registry base is used
    when the engine has it, else the locally built ones.
    """
    client = ensure_docker_engine()
    wanted = list(services)
    unknown = [s for s in wanted if s not in SERVICES and s != "postgres"]
    if unknown:
        raise ValueError(f"unknown image(s) {unknown}: choose from {[*SERVICES, 'postgres']}")
    results: dict[str, ImageRef] = {}
    if "postgres" in wanted:
        pg = baseimages.build_base_image("postgres", client)
        results["postgres"] = pg
    app_services = [SERVICES[s] for s in wanted if s in SERVICES]
    if app_services:
        base, builder = resolve_bases(client, base_image, build_image)
        for service in app_services:
            results[service.name] = build_service_image(client, service, base, builder, progress=progress)
    return {name: results[name] for name in wanted}


def resolve_bases(
    client: docker.DockerClient, base_image: str | None = None, build_image: str | None = None
) -> tuple[str, str]:
    """(runtime base, builder base): explicit ones, else python:3.11-slim when present, else local bases."""
    if base_image and build_image:
        return base_image, build_image
    if _has_image(client, REGISTRY_BASE):
        log.info("bases: %s is in the engine; using it (the Dockerfiles' default)", REGISTRY_BASE)
        return base_image or REGISTRY_BASE, build_image or REGISTRY_BASE
    log.info("bases: %s not in the engine (no registry here); using the locally built bases", REGISTRY_BASE)
    base = base_image or baseimages.build_base_image("python-base", client).ref
    builder = build_image or baseimages.build_base_image("python-build", client).ref
    return base, builder


def build_service_image(
    client: docker.DockerClient, service: ServiceImage, base: str, builder: str, *, progress: bool = True
) -> ImageRef:
    started = time.monotonic()
    if not (service.source_dir / "Dockerfile").exists():
        raise FileNotFoundError(f"{service.source_dir}/Dockerfile is missing")
    with baseimages.build_lock(service.name):
        wheels = ensure_wheelhouse(service)
        context = assemble_context(service, wheels)
        tag = context_hash(context, [client.images.get(base).id, client.images.get(builder).id])
        image = ImageRef(service.repository, tag)
        if _has_image(client, image.ref):
            image.size_bytes = int(client.images.get(image.ref).attrs["Size"])
            image.seconds = time.monotonic() - started
            log.info("%s: up to date", image.ref)
            return image
        log.info("%s: building from %s (base %s, builder %s)", image.ref, context, base, builder)
        build_args = {"BASE_IMAGE": base, "BUILD_IMAGE": builder, "VERSION": tag, **_git_labels()}
        with phase(f"image {service.name}", f"image {service.name}: docker build"):
            # the build stage first, under its own tag: the legacy builder would leave it as a dangling <none>
            # image, and it is what the layer cache of the next build reuses (the dependency layer)
            docker_build(
                client, context, build_stage_ref(image.ref), build_args, progress=progress, target="build"
            )
            docker_build(client, context, image.ref, build_args, progress=progress)
    image.size_bytes = int(client.images.get(image.ref).attrs["Size"])
    image.built = True
    image.seconds = time.monotonic() - started
    log.info("%s: built in %.1fs, %.1f MB", image.ref, image.seconds, image.size_mb)
    return image


def content_tags(names: Iterable[str] = DEFAULT_IMAGES) -> dict[str, str]:
    """What each image's tag must be for the tree as it is now, computed from the sources, wheels, recipes and
    base ids without building anything (bases must exist): what a check compares the images it finds with."""
    client = ensure_docker_engine()
    tags: dict[str, str] = {}
    wanted = list(names)
    if "postgres" in wanted:
        tags["postgres"] = baseimages.recipe_tag("postgres")[0]
    app = [SERVICES[n] for n in wanted if n in SERVICES]
    if app:
        base, builder = resolve_bases(client)
        base_ids = [client.images.get(base).id, client.images.get(builder).id]
        for service in app:
            with baseimages.build_lock(service.name):
                tags[service.name] = context_hash(
                    assemble_context(service, ensure_wheelhouse(service)), base_ids
                )
    return tags


def docker_build(
    client: docker.DockerClient,
    context: Path,
    ref: str,
    build_args: dict[str, str],
    *,
    progress: bool = True,
    nocache: bool = False,
    target: str | None = None,
) -> None:
    """`docker build` of a context through the SDK; nocache=True ignores the layer cache (cold timing);
    target builds only up to that stage."""
    # the SDK's low-level build streams the legacy builder's output, so long builds show their steps
    tail: list[str] = []
    for chunk in client.api.build(
        path=str(context), tag=ref, buildargs=build_args, rm=True, forcerm=True, pull=False, decode=True,
        nocache=nocache, target=target,
    ):  # fmt: skip
        if "error" in chunk:
            raise BuildError(f"building {ref} failed: {chunk['error'].strip()}\n" + "".join(tail[-20:]), tail)
        line = chunk.get("stream", "")
        if line:
            tail.append(line)
            if progress and line.startswith("Step "):
                log.info("  %s", line.strip())


def build_stage_ref(ref: str) -> str:
    """The tag a service image's build stage is kept under: todo-chatbot/backend:build-<content hash>."""
    repository, _, tag = ref.rpartition(":")
    return f"{repository}:build-{tag}"


def prune_images(keep: Iterable[str], *, cluster: bool = True) -> list[str]:
    """Remove the other tags of these refs' repositories (older content hashes, their build stages) from
    Docker and, with cluster=True, from the local cluster's containerd; returns the removed refs.

    Never removed: the kept refs and their build stages; in Docker an image any container (running or not)
    was created from; in containerd an image any container uses or any pod or workload template in the
    cluster names (read from the Kubernetes API; when it cannot be read, the cluster is left alone)."""
    keep = set(keep)
    keep |= {build_stage_ref(ref) for ref in keep}
    removed = prune_docker_images(keep)
    if cluster:
        removed += prune_cluster_images(keep)
    return removed


def prune_docker_images(keep: set[str]) -> list[str]:
    client = ensure_docker_engine()
    in_use = {c.attrs.get("Image") for c in client.containers.list(all=True)}
    kept_ids = {image.id for ref in keep if (image := _get_image(client, ref)) is not None}
    removed = []
    for repository in sorted({ref.rpartition(":")[0] for ref in keep}):
        for image in client.images.list(name=repository):
            if image.id in in_use or image.id in kept_ids:
                continue
            for tag in image.tags:
                if tag.startswith(f"{repository}:") and tag not in keep:
                    client.images.remove(tag, noprune=False)
                    removed.append(tag)
    if removed:
        log.info("pruned %d old image tags from Docker: %s", len(removed), ", ".join(removed))
    else:
        log.info("nothing to prune in Docker")
    return removed


def prune_cluster_images(keep: set[str], containerd: Any = None, in_use: set[str] | None = None) -> list[str]:
    """The containerd side of prune_images (the local cluster's, when it runs). `containerd` (with
    image_refs(), container_images() and remove()) and `in_use` are for tests; by default they are read
    from the running local cluster."""
    from harness.clusters.local_images import normalize

    if containerd is None:
        from harness.clusters.local import LocalCluster

        cluster = LocalCluster()
        if not cluster.sock.exists():
            log.info("no local cluster containerd at %s: nothing to prune there", cluster.sock)
            return []
        containerd = _ClusterContainerd(cluster)
        try:
            in_use = cluster_images_in_use(cluster.kubectl)
        except Exception as exc:  # the guarantee needs the API: without it nothing is removed
            log.warning("local cluster: cannot list the images its workloads use (%s); not pruning it", exc)
            return []
    used = {normalize(ref) for ref in (in_use or set()) | set(containerd.container_images())}
    kept = {normalize(ref) for ref in keep}
    repositories = {ref.rpartition(":")[0] for ref in kept}
    removed = []
    for ref in sorted(containerd.image_refs()):
        if ref.rpartition(":")[0] in repositories and ref not in kept and ref not in used:
            containerd.remove(ref)
            removed.append(ref)
    if removed:
        log.info("pruned %d old image tags from the local cluster: %s", len(removed), ", ".join(removed))
    return removed


def cluster_images_in_use(kubectl: Any) -> set[str]:
    """Every image a pod, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job or CronJob names, in all
    namespaces (a Deployment scaled to 0 still needs its image when it is scaled up)."""
    kinds = "pods,replicasets,deployments,statefulsets,daemonsets,jobs,cronjobs"
    listing = json.loads(kubectl("get", kinds, "--all-namespaces", "-o", "json", quiet=True))
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(listing.get("items", []))
    return found


class _ClusterContainerd:
    """What prune_cluster_images needs from the local cluster's containerd (harness.clusters.local_images)."""

    def __init__(self, cluster: Any) -> None:
        self.containerd = cluster.containerd

    def image_refs(self) -> set[str]:
        return set(self.containerd.image_refs())

    def container_images(self) -> set[str]:
        lines = self.containerd.ctr("containers", "ls", quiet=True).splitlines()[1:]
        return {line.split()[1] for line in lines if len(line.split()) >= 2}

    def remove(self, ref: str) -> None:
        self.containerd.ctr("images", "rm", ref, quiet=True)


# ---------------------------------------------------------------------------------------------- wheels


def service_requirements(service: ServiceImage) -> list[str]:
    """The runtime dependencies and build requirements the service's pyproject.toml declares."""
    project = tomllib.loads((service.source_dir / "pyproject.toml").read_text())
    deps = list(project.get("project", {}).get("dependencies", []))
    build = list(project.get("build-system", {}).get("requires", ["setuptools>=68"]))
    return sorted({*deps, *build, "wheel"})


def ensure_wheelhouse(service: ServiceImage) -> Path:
    """Wheels for every dependency (and the build backend), downloaded once per dependency list."""
    if service.name == "llm-runtime":
        return llm_server.ensure_wheelhouse()  # llama-cpp-python has no binary wheel on PyPI: built once
    requirements = service_requirements(service)
    key = hashlib.sha256("\n".join([*requirements, *WHEEL_PLATFORMS]).encode()).hexdigest()[:16]
    wheelhouse = WHEELS / f"{service.name}-{key}"
    if (wheelhouse / ".complete").exists():
        return wheelhouse
    partial = wheelhouse.with_name(wheelhouse.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    ensure(partial)
    log.info(
        "%s: downloading wheels for %d requirements into %s", service.name, len(requirements), wheelhouse
    )
    platforms = [arg for platform in WHEEL_PLATFORMS for arg in ("--platform", platform)]
    run(
        [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
         *platforms, "--python-version", "3.11", "--implementation", "cp", "-d", partial, *requirements],
    )  # fmt: skip
    (partial / ".complete").write_text("\n".join(requirements) + "\n")
    shutil.rmtree(wheelhouse, ignore_errors=True)
    partial.rename(wheelhouse)
    return wheelhouse


# ---------------------------------------------------------------------------------------------- context


# What assemble_context adds itself, whatever the service directory holds.
GENERATED_SOURCES = ("wheels", "pypack.py")


def dockerfile_sources(path: Path) -> list[str]:
    """What the Dockerfile's COPY and ADD instructions take from the build context (not those that copy from
    another stage), as written. Parsed with the `dockerfile` package (Docker's own Go parser: continuations,
    the JSON form and flags are read as docker reads them)."""
    import dockerfile

    try:
        commands = dockerfile.parse_file(str(path))
    except dockerfile.GoParseError as exc:
        raise ValueError(f"{path}: the Dockerfile does not parse: {exc}") from exc
    sources: list[str] = []
    for command in commands:
        if command.cmd.upper() not in ("COPY", "ADD") or any(f.startswith("--from") for f in command.flags):
            continue
        for source in command.value[:-1]:
            if "://" in source:
                raise ValueError(
                    f"{path}:{command.start_line}: {command.cmd} from a URL ({source}) is not offline"
                )
            sources.append(source)
    return sources


def assemble_context(service: ServiceImage, wheelhouse: Path) -> Path:
    """A build context with only what the image takes: the Dockerfile, what its COPY/ADD instructions name
    from the service directory (without caches, tests, local databases), and its wheels (hard links). A file
    no instruction names (the service's README, the chatbot's training scripts) is neither sent to docker nor
    part of the content hash, so editing it builds nothing."""
    context = CONTEXTS / service.name
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    dockerfile = service.source_dir / "Dockerfile"
    shutil.copy2(dockerfile, context / "Dockerfile")
    ignore = shutil.ignore_patterns(*CONTEXT_IGNORE)
    for source in dockerfile_sources(dockerfile):
        name = source.strip("/").removeprefix("./").strip("/") or "."
        parts = Path(name).parts
        if parts and parts[0] in GENERATED_SOURCES:
            continue
        if ".." in parts or "$" in name:
            raise ValueError(
                f"{dockerfile} copies {source!r}: a build context source must be a plain path inside"
                f" {service.source_dir} (no '..', no variables)"
            )
        found = [service.source_dir] if name == "." else sorted(service.source_dir.glob(name))
        if not found:
            raise FileNotFoundError(f"{dockerfile} copies {source!r}, which is not in {service.source_dir}")
        # what is named is taken; inside a named directory, caches, tests and local databases are not
        for item in found:
            target = context / item.relative_to(service.source_dir)
            if item.is_dir():
                shutil.copytree(item, target, ignore=ignore, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, target)
    # the Dockerfile's build stage packs the dependencies with it (see harness/images_recipes/pypack.py)
    shutil.copyfile(PYPACK, context / "pypack.py")
    (context / "wheels").mkdir()
    for wheel in sorted(wheelhouse.glob("*.whl")):
        os.link(wheel, context / "wheels" / wheel.name)
    return context


def context_hash(context: Path, base_ids: Iterable[str]) -> str:
    """Tag of an image: its context (paths, modes, contents; wheels by name, which carries the version) and
    the ids of the base images."""
    digest = hashlib.sha256()
    for base_id in base_ids:
        digest.update(f"base {base_id}\n".encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        rel = path.relative_to(context).as_posix()
        digest.update(f"{rel} {path.stat().st_mode & 0o777:o}\n".encode())
        if not rel.startswith("wheels/"):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


# ---------------------------------------------------------------------------------------------- inspection


def image_user(ref: str) -> str:
    """The user an image runs as (Config.User), e.g. "1001:1001"; "" means root."""
    client = ensure_docker_engine()
    return str(client.images.get(ref).attrs["Config"].get("User") or "")


def image_history_text(ref: str) -> str:
    """Each layer's instruction and the image config (env, labels, cmd): text to search for secrets."""
    client = ensure_docker_engine()
    image = client.images.get(ref)
    lines = [str(layer.get("CreatedBy", "")) for layer in image.history()]
    config = image.attrs.get("Config", {})
    lines += [f"ENV {e}" for e in config.get("Env") or []]
    lines += [f"LABEL {k}={v}" for k, v in (config.get("Labels") or {}).items()]
    lines += [f"CMD {config.get('Cmd')}", f"ENTRYPOINT {config.get('Entrypoint')}"]
    return "\n".join(lines)


def save_image(ref: str, path: Path) -> Path:
    """Write `docker save` of the image to path (a tar that `ctr images import`/`kind load` accept)."""
    client = ensure_docker_engine()
    ensure(path.parent)
    with path.open("wb") as fh:
        for chunk in client.images.get(ref).save(named=True):
            fh.write(chunk)
    return path


def image_files(ref: str) -> set[str]:
    """Every path in the image's filesystem ("usr/bin/python3.11", …), read from a created (never started)
    container's export."""
    client = ensure_docker_engine()
    container = client.containers.create(ref, command=["true"], entrypoint=[])
    try:
        exported = io.BytesIO(b"".join(container.export()))
    finally:
        container.remove(force=True, v=True)
    with tarfile.open(fileobj=exported, mode="r:") as tar:
        return {name.removeprefix("./") for name in tar.getnames()}


def compose_environment(images: dict[str, ImageRef]) -> dict[str, str]:
    """The variables compose.yaml reads its image references from (BACKEND_IMAGE=todo-chatbot/backend:…)."""
    return {f"{name.upper().replace('-', '_')}_IMAGE": image.ref for name, image in images.items()}


def _get_image(client: docker.DockerClient, ref: str) -> Any:
    try:
        return client.images.get(ref)
    except (ImageNotFound, APIError):
        return None


def _has_image(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    except APIError as exc:
        log.info("inspecting %s failed: %s", ref, exc)
        return False
    return True


def _git_labels() -> dict[str, str]:
    """REVISION and SOURCE build args: the commit being built and where the repository lives (if known)."""
    revision = run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"], check=False, quiet=True)
    remote = run(["git", "-C", REPO, "config", "remote.origin.url"], check=False, quiet=True)
    return {"REVISION": revision.stdout.strip() or "unknown", "SOURCE": remote.stdout.strip() or "local"}


# ---------------------------------------------------------------------------------------------- compose

COMPOSE_FILE = REPO / "compose.yaml"
ENV_FILE = REPO / ".env"
COMPOSE_PROJECT = components.COMPOSE_PROJECT
COMPOSE_PROFILES = ("llm",)  # the optional services in compose.yaml
# compose.yaml refuses to interpolate without these (`${VAR:?…}`); `down` needs none of them really
_REQUIRED_VARIABLES = (
    "POSTGRES_IMAGE", "BACKEND_IMAGE", "CHATBOT_IMAGE", "FRONTEND_IMAGE",
    "POSTGRES_PASSWORD", "BETTER_AUTH_SECRET",
)  # fmt: skip


def compose_command() -> list[str]:
    """`docker compose` (v2 plugin) when the CLI has it, else Debian's `docker-compose` (v1)."""
    if run(["docker", "compose", "version"], check=False, quiet=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise FileNotFoundError("neither `docker compose` nor `docker-compose` found: run scripts/setup")


def ensure_env_file(path: Path = ENV_FILE) -> bool:
    """Create the git-ignored .env from .env.example with fresh random secrets if missing; True if made."""
    if path.exists():
        placeholders = [line.split("=")[0] for line in path.read_text().splitlines() if "=<set-" in line]
        if placeholders:
            raise ValueError(f"{path} still has placeholders for {placeholders}: set values or delete it")
        return False
    import secrets

    lines = []
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.startswith("POSTGRES_PASSWORD="):
            line = f"POSTGRES_PASSWORD={secrets.token_hex(16)}"  # hex: it goes into DATABASE_URL unquoted
        elif line.startswith("BETTER_AUTH_SECRET="):
            line = f"BETTER_AUTH_SECRET={secrets.token_urlsafe(48)}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    log.info("compose: wrote %s with random secrets (from .env.example)", path)
    return True


def compose_up(
    images: dict[str, ImageRef],
    *,
    project: str = COMPOSE_PROJECT,
    env: dict[str, str] | None = None,
    profiles: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUTS.compose_healthy,
) -> list[dict[str, str]]:
    """Start compose.yaml with these images (and optional profiles, e.g. "llm"), wait until every container
    is healthy; returns their states."""
    client = ensure_docker_engine()
    variables = {**compose_environment(images), **(env or {})}
    run([*_compose_base(project, profiles), "up", "-d", "--no-build"], env=variables)

    def settled() -> tuple[bool, list[dict[str, str]]]:
        states = compose_containers(project, client)
        pending = [s for s in states if s["state"] != "running" or s["health"] not in ("healthy", "none")]
        return bool(states) and (not pending or bool(_failed(states))), states

    try:
        states = wait_until(f"compose project {project}: every container healthy", settled, timeout=timeout)
    except Exception:
        log.info("compose logs:\n%s", _compose_logs(project, variables))
        raise
    failed = _failed(states)
    if failed:
        raise RuntimeError(f"compose services failed: {failed}\n{_compose_logs(project, variables)}")
    return states


def _failed(states: list[dict[str, str]]) -> list[dict[str, str]]:
    return [s for s in states if s["state"] in ("exited", "dead") or s["health"] == "unhealthy"]


def compose_down(
    project: str = COMPOSE_PROJECT, *, volumes: bool = False, env: dict[str, str] | None = None
) -> None:
    """Stop and remove the project's containers and network (and its volumes with volumes=True)."""
    variables = {name: "unused" for name in _REQUIRED_VARIABLES if name not in os.environ} | (env or {})
    # every profile, so an optional service that was started is removed too
    argv = [*_compose_base(project, COMPOSE_PROFILES), "down", "--remove-orphans"]
    run([*argv, "--volumes"] if volumes else argv, env=variables)


def _compose_base(project: str, profiles: Iterable[str]) -> list[str]:
    profile_args = [arg for profile in profiles for arg in ("--profile", profile)]
    return [*compose_command(), "-f", str(COMPOSE_FILE), "-p", project, *profile_args]


def compose_containers(project: str, client: docker.DockerClient | None = None) -> list[dict[str, str]]:
    """The project's containers: service, name, state and health ("none" when the image defines no check)."""
    client = client or ensure_docker_engine()
    states = []
    label = f"com.docker.compose.project={project}"
    for container in client.containers.list(all=True, filters={"label": label}):
        state = container.attrs["State"]
        states.append(
            {
                "service": container.labels.get("com.docker.compose.service", "?"),
                "name": container.name,
                "state": state.get("Status", "?"),
                "health": state.get("Health", {}).get("Status", "none"),
            }
        )
    return sorted(states, key=lambda s: s["service"])


def _compose_logs(project: str, variables: dict[str, str]) -> str:
    proc = run(
        [*_compose_base(project, COMPOSE_PROFILES), "logs", "--no-color", "--tail", "30"],
        env=variables, check=False, quiet=True,
    )  # fmt: skip
    return proc.stdout[-6000:]


def compose_variable(name: str, default: str) -> str:
    """A compose variable as compose sees it: the environment first, then .env, then the default."""
    if name in os.environ:
        return os.environ[name]
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == name:
                return value.strip()
    return default
