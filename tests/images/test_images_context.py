"""Build contexts and tags without an engine: what goes into an image's context, and which changes give a
new tag (a source edit, a new base) and which do not (caches, tests, local databases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import images
from harness.images_recipes.debian import resolve_in as _resolve_in

# the shape of the services' Dockerfiles: generated parts, the pyproject, the package, a copy from a stage
DOCKERFILE = """FROM scratch AS build
COPY wheels/ /wheels/
COPY pypack.py pyproject.toml ./
COPY ["todo_demo/", "todo_demo/"]
FROM scratch
COPY --from=build /app /app
"""


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> images.ServiceImage:
    repo = tmp_path / "repo"
    src = repo / "services" / "demo"
    (src / "todo_demo" / "__pycache__").mkdir(parents=True)
    (src / "tests").mkdir()
    (src / "Dockerfile").write_text(DOCKERFILE)
    (src / "README.md").write_text("# demo\n")
    (src / "training").mkdir()
    (src / "training" / "train.py").write_text("EPOCHS = 3\n")
    (src / "pyproject.toml").write_text('[project]\nname = "demo"\ndependencies = ["httpx>=0.27"]\n')
    (src / "todo_demo" / "__init__.py").write_text("VERSION = 1\n")
    (src / "todo_demo" / "page.html").write_text("<p>hi</p>\n")
    monkeypatch.setattr(images, "REPO", repo)
    monkeypatch.setattr(images, "CONTEXTS", tmp_path / "contexts")
    return images.ServiceImage("demo", 9000)


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "httpx-0.28.1-py3-none-any.whl").write_bytes(b"wheel")
    return wheels


def _tag(service: images.ServiceImage, wheelhouse: Path, base: str = "sha256:base") -> str:
    return images.context_hash(images.assemble_context(service, wheelhouse), [base, "sha256:builder"])


def test_context_holds_sources_package_data_and_wheels_but_no_caches_or_tests(
    service: images.ServiceImage, wheelhouse: Path
) -> None:
    (service.source_dir / "todo_demo" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"stale")
    (service.source_dir / "tests" / "test_demo.py").write_text("def test(): pass\n")
    (service.source_dir / "todo.db").write_bytes(b"sqlite")
    context = images.assemble_context(service, wheelhouse)
    files = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
    assert files == [
        "Dockerfile", "pypack.py", "pyproject.toml", "todo_demo/__init__.py", "todo_demo/page.html",
        "wheels/httpx-0.28.1-py3-none-any.whl",
    ]  # fmt: skip


def test_tag_changes_with_a_source_edit_or_a_new_base_and_only_then(
    service: images.ServiceImage, wheelhouse: Path
) -> None:
    first = _tag(service, wheelhouse)
    assert _tag(service, wheelhouse) == first
    (service.source_dir / "todo_demo" / "__pycache__" / "y.cpython-311.pyc").write_bytes(b"cache")
    (service.source_dir / "tests" / "test_more.py").write_text("x = 1\n")
    assert _tag(service, wheelhouse) == first
    assert _tag(service, wheelhouse, base="sha256:newer-base") != first
    (service.source_dir / "todo_demo" / "__init__.py").write_text("VERSION = 2\n")
    assert _tag(service, wheelhouse) != first


def test_requirements_come_from_the_pyproject_with_its_build_backend(service: images.ServiceImage) -> None:
    assert images.service_requirements(service) == ["httpx>=0.27", "setuptools>=68", "wheel"]


def test_symlinks_resolve_inside_the_image_tree_not_on_the_host(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (tree / "usr/lib64").mkdir(parents=True)
    (tree / "lib").symlink_to("usr/lib")
    loader = tree / "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    loader.write_bytes(b"\x7fELF tree's own")
    # Debian ships this absolute link; followed naively it would pick the host's loader
    (tree / "usr/lib64/ld-linux-x86-64.so.2").symlink_to("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    assert _resolve_in(tree, "/usr/lib64/ld-linux-x86-64.so.2") == loader


def test_a_file_the_dockerfile_does_not_copy_is_not_in_the_context_nor_the_tag(
    service: images.ServiceImage, wheelhouse: Path
) -> None:
    """A service README or training script edited during a run built a new image (a new tag) and failed the
    running acceptance run's image checks; now only what the Dockerfile copies counts. With the old context
    (the whole service directory) seeded back, the README edit changes the tag."""
    first = _tag(service, wheelhouse)
    (service.source_dir / "README.md").write_text("# demo, documented better\n")
    (service.source_dir / "training" / "train.py").write_text("EPOCHS = 4\n")
    assert _tag(service, wheelhouse) == first
    (service.source_dir / "pyproject.toml").write_text('[project]\nname = "demo"\ndependencies = []\n')
    assert _tag(service, wheelhouse) != first


def test_a_copy_of_the_whole_directory_takes_everything_but_caches(
    service: images.ServiceImage, wheelhouse: Path
) -> None:
    (service.source_dir / "Dockerfile").write_text("FROM scratch\nCOPY . /src/\n")
    context = images.assemble_context(service, wheelhouse)
    files = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
    assert "README.md" in files and "training/train.py" in files and "todo_demo/__init__.py" in files
    assert not [f for f in files if "__pycache__" in f or f.startswith("tests/")]


def test_a_source_the_dockerfile_names_but_the_service_lacks_is_a_clear_error(
    service: images.ServiceImage, wheelhouse: Path
) -> None:
    (service.source_dir / "Dockerfile").write_text(DOCKERFILE + "COPY config/ /etc/demo/\n")
    with pytest.raises(FileNotFoundError, match="copies 'config/', which is not in"):
        images.assemble_context(service, wheelhouse)


def test_the_real_services_contexts_hold_what_their_dockerfiles_copy() -> None:
    """The three services' Dockerfiles as they are: the package, the pyproject, the generated parts."""
    for name in ("backend", "chatbot", "frontend"):
        sources = images.dockerfile_sources(images.REPO / "services" / name / "Dockerfile")
        assert sorted(sources) == sorted(["wheels/", "pypack.py", "pyproject.toml", f"todo_{name}/"]), name


@pytest.mark.parametrize("source", ["../backend/pyproject.toml", "${APP}/", "todo_demo/../../other"])
def test_a_source_outside_the_service_or_with_a_variable_is_refused(
    service: images.ServiceImage, wheelhouse: Path, source: str
) -> None:
    (service.source_dir / "Dockerfile").write_text(DOCKERFILE + f"COPY {source} /x/\n")
    with pytest.raises(ValueError, match="a build context source must be a plain path inside"):
        images.assemble_context(service, wheelhouse)


def test_a_file_named_by_the_dockerfile_is_taken_even_where_a_cache_pattern_matches(
    service: images.ServiceImage, wheelhouse: Path
) -> None:
    """`COPY seed.db …` takes seed.db (an ignore pattern applies inside copied directories only); a
    generated source named by a path below it (`wheels/*.whl`) is the harness's, not looked up."""
    (service.source_dir / "seed.db").write_bytes(b"sqlite")
    (service.source_dir / "todo_demo" / "cache.db").write_bytes(b"local")
    (service.source_dir / "Dockerfile").write_text(DOCKERFILE + "COPY seed.db wheels/*.whl /data/\n")
    context = images.assemble_context(service, wheelhouse)
    assert (context / "seed.db").read_bytes() == b"sqlite"
    assert not (context / "todo_demo" / "cache.db").exists()
