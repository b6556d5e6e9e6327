"""Steps about the container images: Dockerfiles, tags, sizes, users, and what the layers carry."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then

from harness.checks import images, repository
from harness.components import APP_COMPONENTS
from harness.images import ImageRef, content_tags
from harness.k8s import K8s
from harness.release import Release
from steps.evidence import Evidence
from steps.session import HarnessSession

MAX_IMAGE_MB = 80.0


def _app_images(built_images: dict[str, ImageRef]) -> dict[str, Any]:
    return {name: image for name, image in built_images.items() if name in APP_COMPONENTS}


@then("each service's Dockerfile is multi-stage with a BASE_IMAGE argument:")
def _dockerfiles(datatable: list[list[str]]) -> None:
    problems = [p for (service,) in datatable[1:] for p in repository.dockerfile_problems(service.strip())]
    assert not problems, "; ".join(problems)


@then("every application image is tagged with a content hash, not latest")
def _content_tags(
    built_images: dict[str, ImageRef], harness_session: HarnessSession, evidence: Evidence
) -> None:
    evidence.text("images", "\n".join(image.ref for image in built_images.values()))
    missing = [name for name in APP_COMPONENTS if name not in built_images]
    assert not missing, f"no image was built for {missing}"
    refs = {name: image.ref for name, image in built_images.items()}
    # with --release the images are the release's, possibly built from an older tree: no recomputation
    expected = None if harness_session.attach else content_tags(refs)
    problems = images.content_tag_problems(refs, expected)
    assert not problems, "; ".join(problems)


@then("every application image is at most 80 MB")
def _image_sizes(built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    refs = {name: image.ref for name, image in built_images.items()}
    sizes, problems = images.image_size_problems(refs, MAX_IMAGE_MB)
    for name, size_mb in sizes.items():
        evidence.figure(f"{name} image size", round(size_mb, 1), "MB")
    assert not problems, "; ".join(problems)


@then("no application image adds files only a build needs (wheels, pip, compilers, C sources, headers)")
def _no_build_leftovers(built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    """What a size limit misses: a wheelhouse, pip or a header directory left in the final stage of a
    small image. Read from the files each image's own stage adds on top of its base."""
    found: dict[str, list[str]] = {}
    counts = []
    for name, image in _app_images(built_images).items():
        try:
            own = images.own_files(image.ref)
        except LookupError as exc:
            found[name] = [str(exc)]
            continue
        counts.append(f"{name}: {len(own)} files of its own")
        if leftovers := images.build_leftovers(own):
            found[name] = leftovers
    evidence.text("files the images add to their bases", "\n".join(counts))
    assert not found, "; ".join(
        f"{name}: {len(paths)} build-only file(s), e.g. {', '.join(paths[:3])}"
        for name, paths in found.items()
    )


@then("every application image runs as user 1001")
def _image_users(built_images: dict[str, ImageRef]) -> None:
    problems = [
        p for image in _app_images(built_images).values() for p in images.own_user_problems(image.ref)
    ]
    assert not problems, "; ".join(problems)


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


@then("no application image sets a secret-named environment variable")
def _no_secret_env(built_images: dict[str, ImageRef]) -> None:
    found = {name: images.secret_named_env(image.ref) for name, image in built_images.items()}
    found = {name: env for name, env in found.items() if env}
    assert not found, f"images with secret-named environment variables set: {found}"
