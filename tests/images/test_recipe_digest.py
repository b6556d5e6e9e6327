"""Base-image tags come from the recipes' parsed structure (harness.images_recipes.recipe_digest): formatting,
comments and docstrings leave a tag as it is; a change to code or data changes the tags of the images it
makes, and only theirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import images_recipes
from harness.images_recipes import recipe_digest

RECIPES_DIR = Path(images_recipes.__file__).parent


@pytest.fixture
def recipes(tmp_path: Path) -> Path:
    copy = tmp_path / "images_recipes"
    shutil.copytree(RECIPES_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_reformatting_and_comments_keep_every_tag(recipes: Path) -> None:
    before = {name: recipe_digest(name, recipes) for name in images_recipes.RECIPE_MODULES}
    _edit(recipes / "postgres.py", "# ICU data items", "# (reworded) ICU data items")
    _edit(recipes / "python.py", "def assemble_python(", "\n\n# a new comment\ndef assemble_python(")
    _edit(recipes / "debian.py", '"""Root filesystems', '"""Reworded: root filesystems')
    _edit(recipes / "recipes.py", 'tag_prefix="15-",', "tag_prefix=(\n            '15-'\n        ),")
    assert {name: recipe_digest(name, recipes) for name in images_recipes.RECIPE_MODULES} == before


def test_a_code_or_data_change_changes_the_tags_of_the_images_it_makes_only(recipes: Path) -> None:
    before = {name: recipe_digest(name, recipes) for name in images_recipes.RECIPE_MODULES}
    _edit(recipes / "postgres.py", '"pg_controldata",', "")
    after = {name: recipe_digest(name, recipes) for name in images_recipes.RECIPE_MODULES}
    assert after["postgres"] != before["postgres"]
    assert after["python-base"] == before["python-base"]
    _edit(recipes / "pypack.py", "compresslevel=9", "compresslevel=6")
    assert recipe_digest("python-base", recipes) != before["python-base"]
    assert recipe_digest("postgres", recipes) == after["postgres"]


def test_the_recipe_modules_are_formatted_like_the_rest() -> None:
    # the point of the parsed-structure digest: ruff may format them (no exclusion in pyproject.toml)
    text = (RECIPES_DIR.parents[1] / "pyproject.toml").read_text()
    assert "images_recipes" not in text and "rootfs" not in text
