"""Checks the acceptance scenarios make that are not about driving the app, one module per subject:
`repository` (layout, git hygiene, secret scans of files and history, Dockerfiles, the README's quick start),
`images` (users, tags, what the layers carry), `manifests` (rendered or live objects: probes, resources,
ConfigMaps, secret references) and `verify` (the six checks of `tcb verify` against an installed release).

Each check only looks: it returns what it found (empty when all is well) so a step can assert on it and show
it. Actions on the cluster (scale, restart) belong to harness.k8s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# names of settings that hold secrets (ACCESS_TOKEN_EXPIRE_MINUTES merely mentions a token: a setting)
SECRET_NAME = re.compile(r"(secret|password|passwd|api[_-]?key|database_url|credential|token$)", re.I)
MIN_SECRET_LENGTH = 8  # shorter values (e.g. "INFO") would match everywhere and prove nothing


def usable_secrets(secrets: Iterable[str]) -> list[str]:
    """The values long enough to search for."""
    return sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH})
