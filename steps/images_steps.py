"""Steps about the container images: Dockerfiles, tags, sizes, users, and what the layers carry."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, then

from harness import diagnostics
from harness.checks import MIN_SECRET_LENGTH, images, repository
from harness.components import APP_COMPONENTS
from harness.images import ImageRef, image_user
from harness.k8s import K8s
from harness.release import Release
from steps.evidence import Evidence

MAX_IMAGE_MB = 80.0


def _app_images(built_images: dict[str, ImageRef]) -> dict[str, Any]:
    return {name: image for name, image in built_images.items() if name in APP_COMPONENTS}


@then("each service's Dockerfile is multi-stage with a BASE_IMAGE argument:")
def _dockerfiles(datatable: list[list[str]]) -> None:
    problems = [p for (service,) in datatable[1:] for p in repository.dockerfile_problems(service.strip())]
    assert not problems, "; ".join(problems)


@then("every application image is tagged with a content hash, not latest")
def _content_tags(built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    evidence.text("images", "\n".join(image.ref for image in built_images.values()))
    missing = [name for name in APP_COMPONENTS if name not in built_images]
    assert not missing, f"no image was built for {missing}"
    bad = [image.ref for image in built_images.values() if not images.is_content_hash_tag(image.ref)]
    assert not bad, f"images not tagged with a content hash: {bad}"


@then("every application image is at most 80 MB")
def _image_sizes(built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    for name, image in built_images.items():
        evidence.figure(f"{name} image size", round(image.size_mb, 1), "MB")
    too_big = {
        name: f"{image.size_mb:.1f} MB"
        for name, image in _app_images(built_images).items()
        if image.size_mb > MAX_IMAGE_MB
    }
    assert not too_big, f"images over {MAX_IMAGE_MB:.0f} MB: {too_big}"


@then("every application image runs as user 1001")
def _image_users(built_images: dict[str, ImageRef]) -> None:
    users = {name: image_user(image.ref) for name, image in _app_images(built_images).items()}
    wrong = {name: user or "root" for name, user in users.items() if user.split(":")[0] != "1001"}
    assert not wrong, f"images that do not run as 1001: {wrong}"


@then("every application container in the cluster runs as a non-root user")
def _containers_non_root(release: Release, k8s: K8s) -> None:
    problems = []
    for pod in k8s.pods(release.namespace, release.selector):
        pod_ctx = pod.spec.security_context
        for container in pod.spec.containers:
            ctx = container.security_context
            non_root = (ctx and ctx.run_as_non_root) or (pod_ctx and pod_ctx.run_as_non_root)
            uid = (ctx and ctx.run_as_user) or (pod_ctx and pod_ctx.run_as_user)
            if not non_root or uid == 0:
                problems.append(f"{pod.metadata.name}/{container.name} (runAsNonRoot={non_root}, uid={uid})")
    assert not problems, f"containers allowed to run as root: {problems}"


@given("the secrets of this run", target_fixture="run_secrets")
def _run_secrets(release: Release, k8s: K8s, evidence: Evidence) -> set[str]:
    values = set(release.secret_values) | diagnostics.namespace_secret_values(k8s, release.namespace)
    usable = {v for v in values if len(v) >= MIN_SECRET_LENGTH}
    evidence.figure("secret values searched for", len(usable))
    assert usable, "this run has no secret values to search for"
    return usable


@then("no image layer, history entry, label or environment variable holds any of the run's secrets")
def _images_hold_no_secrets(built_images: dict[str, ImageRef], run_secrets: set[str]) -> None:
    places = [
        p for image in built_images.values() for p in images.image_places_holding(image.ref, run_secrets)
    ]
    assert not places, f"secrets of this run found in images: {places}"


@then("no application image sets a secret-named environment variable")
def _no_secret_env(built_images: dict[str, ImageRef]) -> None:
    found = {name: images.secret_named_env(image.ref) for name, image in built_images.items()}
    found = {name: env for name, env in found.items() if env}
    assert not found, f"images with secret-named environment variables set: {found}"
