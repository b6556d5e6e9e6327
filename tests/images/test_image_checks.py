"""The SC-016 image checks (harness.checks) fail on seeded defects, observed on real images in the engine:
a service Dockerfile whose USER line was deleted, an image the engine does not hold, a tag not derived from
the image's content."""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from harness import images, leak_scan
from harness.checks import images as checks
from harness.images import ImageRef


def test_the_real_images_pass_every_image_check(app_images: dict[str, ImageRef]) -> None:
    refs = {name: image.ref for name, image in app_images.items()}
    assert checks.content_tag_problems(refs, images.content_tags(refs)) == []
    assert checks.image_size_problems(refs, 60.0)[1] == []
    for name in ("backend", "chatbot", "frontend"):
        assert checks.own_user_problems(refs[name]) == []


def test_a_dockerfile_without_its_user_line_fails_although_the_image_still_runs_as_1001(
    app_images: dict[str, ImageRef], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    service = images.SERVICES["frontend"]
    context = images.assemble_context(service, images.ensure_wheelhouse(service))
    seeded = tmp_path / "context"
    shutil.copytree(context, seeded, copy_function=shutil.copy)
    dockerfile = seeded / "Dockerfile"
    text = dockerfile.read_text()
    assert "\nUSER 1001:1001\n" in text
    dockerfile.write_text(text.replace("\nUSER 1001:1001\n", "\n"))  # the seeded defect
    base, builder = images.resolve_bases(docker_client)
    ref = f"todo-chatbot-seeded/frontend-nouser:{secrets.token_hex(6)}"
    images.docker_build(
        docker_client, seeded, ref, {"BASE_IMAGE": base, "BUILD_IMAGE": builder}, progress=False
    )
    try:
        # what the old check read: the config's user, inherited from the local base, still says 1001
        assert images.image_user(ref).startswith("1001")
        problems = checks.own_user_problems(ref)
        assert any("no USER instruction" in p for p in problems), problems
    finally:
        docker_client.images.remove(ref, force=True)


def test_an_image_the_engine_does_not_hold_fails_the_size_check_instead_of_passing_with_size_0() -> None:
    missing = f"todo-chatbot/backend:{secrets.token_hex(6)}"
    sizes, problems = checks.image_size_problems({"backend": missing}, 60.0)
    assert sizes == {}
    assert problems == [f"backend: {missing} is not in the Docker engine, so its size is unknown"]


def test_a_tag_not_derived_from_the_content_fails(
    app_images: dict[str, ImageRef], docker_client: docker.DockerClient
) -> None:
    real = app_images["frontend"]
    wrong_tag = secrets.token_hex(6)  # looks like a hash, is not the content's
    docker_client.images.get(real.ref).tag(real.repository, wrong_tag)
    seeded = f"{real.repository}:{wrong_tag}"
    try:
        assert checks.is_content_hash_tag(seeded)  # what the old check asked: it would have passed
        problems = checks.content_tag_problems({"frontend": seeded}, {"frontend": real.tag})
        assert any("version label" in p for p in problems), problems
        assert any("hashes to" in p for p in problems), problems
    finally:
        docker_client.images.remove(seeded)


@pytest.mark.parametrize("ref", ["todo-chatbot/backend:latest", "todo-chatbot/backend"])
def test_latest_or_no_tag_fails_the_content_tag_check(ref: str) -> None:
    assert checks.content_tag_problems({"backend": ref}) == [
        f"backend: {ref} is not tagged with a content hash"
    ]


def test_build_only_files_are_recognised_and_runtime_files_are_not() -> None:
    leftovers = [
        "wheels/fastapi-0.115.0-py3-none-any.whl",
        "app/deps.zip!/pip/__init__.py",
        "app/deps/setuptools-75.1.0.dist-info/METADATA",
        "usr/include/python3.11/Python.h",
        "app/deps/asyncpg/protocol/protocol.pyx",
        "root/.cache/pip/http/x",
        "usr/bin/gcc-12",
        "usr/lib/libpython3.11.a",
    ]
    runtime = [
        "app/deps/asyncpg/protocol/protocol.cpython-311-x86_64-linux-gnu.so",
        "app/deps.zip!/fastapi/__init__.pyc",
        "app/svc/todo_backend/__pycache__/main.cpython-311.pyc",
        "usr/lib/python3.11/html/parser.pyc",
        "app/deps/pydantic_core-2.20.1.dist-info/METADATA",
    ]
    assert checks.build_leftovers(leftovers + runtime) == sorted(leftovers)


def test_a_wheelhouse_left_in_the_runtime_stage_is_found_in_the_images_own_files(
    app_images: dict[str, ImageRef], docker_client: docker.DockerClient
) -> None:
    """A `COPY --from=build /wheels /wheels` left in the final stage: the image stays under the size limit, so
    only its own files show it. The real images carry no such file."""
    for name in ("backend", "chatbot", "frontend"):
        assert checks.build_leftovers(checks.own_files(app_images[name].ref)) == []
    with seeded_image(
        docker_client,
        app_images["frontend"].ref,
        "wheels /wheels",
        {"wheels/httpx-0.27.0-py3-none-any.whl": b"PK"},
    ) as ref:
        own = checks.own_files(ref)
        assert "wheels/httpx-0.27.0-py3-none-any.whl" in own
        assert not any(path.startswith("app/") for path in own), "the base's files count as the image's own"
        assert checks.build_leftovers(own) == ["wheels/httpx-0.27.0-py3-none-any.whl"]


def test_an_images_own_files_are_listed_once_per_image_id(
    app_images: dict[str, ImageRef],
    docker_client: docker.DockerClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The names are kept by image ID (and its base's): an unchanged image is not exported again, and an
    image built anew (new ID) is listed afresh, never from another image's listing."""
    monkeypatch.setattr(checks, "OWN_FILES_CACHE", tmp_path)
    ref = app_images["frontend"].ref
    first = checks.own_files(ref)
    (kept,) = tmp_path.glob("*.json")
    assert sorted(json.loads(kept.read_text())) == sorted(first)
    kept.write_text(json.dumps([*first, "planted/by-the-test"]))  # served from here from now on
    assert "planted/by-the-test" in checks.own_files(ref)
    assert "planted/by-the-test" not in checks.own_files(ref, contents=True)  # bytes are never kept
    with seeded_image(
        docker_client, ref, "wheels /wheels", {"wheels/x-1.0-py3-none-any.whl": b"PK"}
    ) as seeded:
        own = checks.own_files(seeded)
        assert "wheels/x-1.0-py3-none-any.whl" in own and "planted/by-the-test" not in own


def test_high_entropy_strings_are_found_and_ordinary_text_is_not() -> None:
    generated = secrets.token_hex(32).encode()
    token = secrets.token_urlsafe(40).encode()
    assert leak_scan.high_entropy_strings(b"key = " + generated) == ["hex string of 64 characters"]
    assert leak_scan.high_entropy_strings(token)[0].startswith("base64 string of")
    ordinary = (
        b"def handler(request_timeout_seconds_for_the_backend): return aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    )
    assert leak_scan.high_entropy_strings(ordinary) == []


def test_a_key_generated_into_an_image_at_build_time_is_found_in_its_own_files(
    app_images: dict[str, ImageRef], docker_client: docker.DockerClient
) -> None:
    """The seeded defect: a Dockerfile writes a generated signing key into the image. It is no value of any
    Secret, so only a search of the image's own files for secret-looking values can see it. The real images'
    own files hold none (third-party distributions, full of hashes, are not searched)."""
    for name in ("backend", "chatbot", "frontend"):
        assert leak_scan.secret_looking_files(checks.own_files(app_images[name].ref, contents=True)) == []
    with seeded_image(
        docker_client,
        app_images["frontend"].ref,
        "session.key /app/svc/session.key",
        {"session.key": secrets.token_hex(32).encode()},
    ) as ref:
        found = leak_scan.secret_looking_files(checks.own_files(ref, contents=True))
        assert found == ["app/svc/session.key: hex string of 64 characters"], found


@contextlib.contextmanager
def seeded_image(
    docker_client: docker.DockerClient, base: str, copy: str, files: dict[str, bytes]
) -> Iterator[str]:
    """An image built FROM `base` (named by the base label, as the services' Dockerfiles do) whose own stage
    is one `COPY <copy>` of `files`; removed afterwards."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        dockerfile = f"FROM {base}\nLABEL {checks.BASE_LABEL}={base}\nCOPY {copy}\n".encode()
        for path, data in {"Dockerfile": dockerfile, **files}.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ref = f"todo-chatbot-seededtest-{secrets.token_hex(3)}/app:seeded"
    context.seek(0)
    docker_client.images.build(fileobj=context, custom_context=True, tag=ref, rm=True)
    try:
        yield ref
    finally:
        docker_client.images.remove(ref, force=True)
