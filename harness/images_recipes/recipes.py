"""The base-image recipes: which Debian packages each image takes and how their contents become its root
filesystem (assembled by python.py and postgres.py with the machinery in debian.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.images_recipes.debian import depends_closure
from harness.images_recipes.postgres import POSTGRES_EXCLUDE, POSTGRES_ROOTS, assemble_postgres
from harness.images_recipes.python import (
    PYTHON_BUILD_EXTRA_PACKAGES,
    PYTHON_ENV,
    PYTHON_RUNTIME_PACKAGES,
    assemble_python,
)


@dataclass(frozen=True)
class Recipe:
    name: str
    repository: str
    tag_prefix: str
    resolve_packages: Callable[[], list[str]]
    assemble: Callable[[Path, Path], None]  # (staging tree with every .deb unpacked, output root)
    changes: tuple[str, ...]
    dockerfile_suffix: str = ""  # instructions `docker import -c` rejects (STOPSIGNAL), applied by a build
    labels: dict[str, str] = field(default_factory=dict)


RECIPES: dict[str, Recipe] = {
    "python-base": Recipe(
        name="python-base",
        repository="todo-chatbot/python-base",
        tag_prefix="",
        resolve_packages=lambda: list(PYTHON_RUNTIME_PACKAGES),
        assemble=lambda stage, root: assemble_python(stage, root, builder=False),
        changes=(f"ENV {PYTHON_ENV}", "USER 1001:1001", "WORKDIR /app", 'CMD ["/usr/bin/python3"]'),
        labels={
            "org.opencontainers.image.title": "todo-chatbot python-base",
            "org.opencontainers.image.description": "Python 3.11 runtime from Debian .debs; no shell",
        },
    ),
    "python-build": Recipe(
        name="python-build",
        repository="todo-chatbot/python-build",
        tag_prefix="",
        resolve_packages=lambda: [*PYTHON_RUNTIME_PACKAGES, *PYTHON_BUILD_EXTRA_PACKAGES],
        assemble=lambda stage, root: assemble_python(stage, root, builder=True),
        changes=(f"ENV {PYTHON_ENV}", "WORKDIR /"),
        labels={
            "org.opencontainers.image.title": "todo-chatbot python-build",
            "org.opencontainers.image.description": "Python 3.11 + pip + strip builder stage (Debian)",
        },
    ),
    "postgres": Recipe(
        name="postgres",
        repository="todo-chatbot/postgres",
        tag_prefix="15-",
        resolve_packages=lambda: depends_closure(POSTGRES_ROOTS, POSTGRES_EXCLUDE),
        assemble=assemble_postgres,
        changes=(
            "ENV PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin LANG=C.UTF-8"
            " PGDATA=/var/lib/postgresql/data/pgdata",
            "USER 1001:1001",
            "WORKDIR /var/lib/postgresql",
            "VOLUME /var/lib/postgresql/data",
            "EXPOSE 5432",
            'ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]',
        ),
        dockerfile_suffix="STOPSIGNAL SIGINT\n",
        labels={
            "org.opencontainers.image.title": "todo-chatbot postgres",
            "org.opencontainers.image.description": "PostgreSQL 15 from Debian bookworm, uid 1001",
        },
    ),
}
