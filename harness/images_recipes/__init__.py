"""How the base images are made from Debian packages (recipes.py, python.py, postgres.py, debian.py) and the
standalone tools that run inside images being built (pypack.py; the service Dockerfile template).

RECIPE_MODULES are what decides a base image's content: harness.baseimages hashes their parsed structure
(the AST, without docstrings, comments or formatting) with the exact .deb versions into the image tags. So
reformatting, reordering imports or rewording a comment leaves every tag as it is, while any change to code or
data rebuilds the images.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

RECIPE_MODULES = ("debian.py", "python.py", "postgres.py", "recipes.py", "pypack.py")


def structure(source: str) -> str:
    """The module's parsed structure: `ast.dump` (no line numbers) with docstrings left out."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree, annotate_fields=True, include_attributes=False)


def recipe_digest(directory: Path = Path(__file__).parent) -> str:
    """sha256 over the structure of every recipe module: the recipe part of each base-image tag."""
    digest = hashlib.sha256()
    for name in RECIPE_MODULES:
        digest.update(f"{name}\n{structure((directory / name).read_text())}\n".encode())
    return digest.hexdigest()
