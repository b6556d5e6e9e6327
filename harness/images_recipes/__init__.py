"""How the base images are made from Debian packages (recipes.py, python.py, postgres.py, debian.py) and the
standalone tools that run inside images being built (pypack.py; the service Dockerfile template).

RECIPE_MODULES name, per base image, the modules that decide its content: harness.baseimages hashes their
parsed structure (the AST, without docstrings, comments or formatting) with the exact .deb versions into the
image's tag. So reformatting, reordering imports or rewording a comment leaves every tag as it is, while any
change to code or data rebuilds the images that module makes (the AST's form is Python's: a new Python minor
version of the harness's interpreter rebuilds them once too).
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

_PYTHON = ("recipes.py", "debian.py", "python.py", "pypack.py")
RECIPE_MODULES = {
    "python-base": _PYTHON,
    "python-build": _PYTHON,
    "postgres": ("recipes.py", "debian.py", "postgres.py"),
}


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
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=True, include_attributes=False)


def recipe_digest(recipe: str, directory: Path = Path(__file__).parent) -> str:
    """sha256 over the structure of the recipe's modules: the recipe part of its base image's tag."""
    digest = hashlib.sha256()
    for name in RECIPE_MODULES[recipe]:
        digest.update(f"{name}\n{structure((directory / name).read_text())}\n".encode())
    return digest.hexdigest()
