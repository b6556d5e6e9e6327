"""The catalogue of seeded defects: realistic mistakes a contributor could make, each an exact edit of a file.

Every edit must match its file exactly once, so an entry that no longer applies (the code moved on) is
reported as stale instead of being counted as caught. `expected` is what the suite does with the defect today,
as far as we know; `should_catch` names the check that ought to catch it (the fix to make when it
survives). Values that must look like secrets are generated when the defect is applied ({random_hex}), never
written here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

CRITERIA = tuple(f"SC-{n:03d}" for n in range(16, 26))


class StaleDefect(Exception):
    """A catalogue entry that does not apply to the tree exactly as written (its text moved or changed)."""


@dataclass(frozen=True)
class Edit:
    """Replace `find` (literal text, or a regex if regex=True) — it must match exactly once — by `replace`."""

    find: str
    replace: str
    regex: bool = False

    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.find if self.regex else re.escape(self.find), re.M)


@dataclass(frozen=True)
class Defect:
    id: str
    criterion: str  # the success criterion whose scenarios must turn red
    file: str  # repository-relative path of the one file the defect edits
    description: str  # what a contributor did, in a line
    edits: tuple[Edit, ...]
    expected: str = "caught"  # "caught" or "survives": today's known behaviour of the suite
    should_catch: str = ""  # the check that should catch it (issue 10 item 1) when it survives
    tags: tuple[str, ...] = field(
        default_factory=tuple
    )  # what kind of file: dockerfile, chart, values, code, docs


def _fill(text: str) -> str:
    """Values that must look like real secrets are made fresh at apply time (a catalogue holds none)."""
    return text.replace("{random_hex}", secrets.token_hex(24))


def apply_defect(defect: Defect, root: Path) -> None:
    """Apply the defect to the tree at root, in place. Raises StaleDefect (changing nothing) when any edit
    does not match exactly once."""
    path = root / defect.file
    if not path.is_file():
        raise StaleDefect(f"{defect.id}: {defect.file} does not exist")
    problem = check_applies(defect, root)
    if problem:
        raise StaleDefect(f"{defect.id}: {problem} — update its entry in harness/mutants/catalogue.py")
    path.write_text(_edited(path.read_text(), defect.edits, fill=True))


def check_applies(defect: Defect, root: Path) -> str:
    """'' when every edit of the defect matches its file exactly once at root, else why not (no change)."""
    path = root / defect.file
    if not path.is_file():
        return f"{defect.file} does not exist"
    text = original = path.read_text()
    for number, edit in enumerate(defect.edits, 1):
        matches = list(edit.pattern().finditer(text))
        if len(matches) != 1:
            return (
                f"edit {number} matches {len(matches)} times in {defect.file} (must match exactly once):"
                f" {edit.find[:80]!r}"
            )
        text = _edited(text, (edit,))
    return "" if text != original else f"applying it leaves {defect.file} unchanged"


def _edited(text: str, edits: tuple[Edit, ...], fill: bool = False) -> str:
    for edit in edits:
        match = edit.pattern().search(text)
        assert match is not None  # check_applies ran first
        replacement = _fill(edit.replace) if fill else edit.replace
        text = text[: match.start()] + replacement + text[match.end() :]
    return text


def catalogue_problems(catalogue: tuple[Defect, ...], root: Path, per_criterion: int = 2) -> list[str]:
    """What is wrong with a catalogue for the tree at root: stale entries, duplicate ids, criteria with fewer
    than `per_criterion` defects. Empty when it is fit to run."""
    problems = [f"stale {d.id}: {why}" for d in catalogue if (why := check_applies(d, root))]
    ids = [d.id for d in catalogue]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [
        f"unknown criterion {d.criterion} in {d.id}" for d in catalogue if d.criterion not in CRITERIA
    ]
    for criterion in CRITERIA:
        count = sum(d.criterion == criterion for d in catalogue)
        if count < per_criterion:
            problems.append(f"{criterion} has {count} defects, at least {per_criterion} are needed")
    return problems


def select(
    catalogue: tuple[Defect, ...], only: list[str] | None = None, criteria: list[str] | None = None
) -> list[Defect]:
    """The entries with these ids and/or criteria (all when neither is given), in the order of `only` when it
    is given; unknown names are an error."""
    known = {d.id for d in catalogue}
    unknown = [i for i in only or [] if i not in known] + [c for c in criteria or [] if c not in CRITERIA]
    if unknown:
        raise ValueError(
            f"unknown defect id or criterion {unknown}: ids are listed by `tcb prove --list`,"
            f" criteria are {CRITERIA[0]}..{CRITERIA[-1]}"
        )
    chosen = [
        d for d in catalogue if (not only or d.id in only) and (not criteria or d.criterion in criteria)
    ]
    return sorted(chosen, key=lambda d: only.index(d.id)) if only else chosen  # --only: in the order given


# ---- the catalogue -----------------------------------------------------------------------------------------

_HELPERS = "chart/templates/_helpers.tpl"
_APP = "chart/templates/_app.tpl"

CATALOGUE: tuple[Defect, ...] = (
    # -- SC-016 images: built, content-hash tags, <= 80 MB, non-root --
    Defect(
        "dockerfile-user-dropped",
        "SC-016",
        "services/backend/Dockerfile",
        "the backend Dockerfile loses its `USER 1001:1001` line (on python:3.11-slim it would run as root)",
        (Edit("USER 1001:1001\n", ""),),
        tags=("dockerfile",),
    ),
    Defect(
        "frontend-server-fast-paths-dropped",
        "SC-016",
        "services/frontend/pyproject.toml",
        "uvloop and httptools are left out of the frontend's dependencies: its image serves on asyncio's"
        " loop and the pure-Python h11 parser (as until 2026-12-01); the benchmarks' dev venv still has them",
        (Edit('    "uvloop>=0.19",\n    "httptools>=0.6",\n', ""),),
        tags=("code",),
    ),
    Defect(
        "wheelhouse-in-runtime-image",
        "SC-016",
        "services/backend/Dockerfile",
        "a debugging `COPY --from=build /wheels /wheels` is left in the backend's runtime stage",
        (
            Edit(
                "COPY --from=build /app/svc /app/svc\n",
                "COPY --from=build /app/svc /app/svc\nCOPY --from=build /wheels /wheels\n",
            ),
        ),
        tags=("dockerfile",),
    ),
    Defect(
        "unpinned-base-default",
        "SC-016",
        "services/chatbot/Dockerfile",
        "the chatbot Dockerfile's default base becomes `python:latest` (unpinned; only FROM lines are read)",
        (Edit("ARG BASE_IMAGE=python:3.11-slim\n", "ARG BASE_IMAGE=python:latest\n"),),
        tags=("dockerfile",),
    ),
    Defect(
        "container-root-filesystem-writable",
        "SC-016",
        _HELPERS,
        "the containers' security context turns readOnlyRootFilesystem off (a library wanted to write a cache"
        " next to its code): every application container can rewrite its own code at run time",
        (Edit("readOnlyRootFilesystem: true\n", "readOnlyRootFilesystem: false\n"),),
        tags=("chart",),
    ),
    # -- SC-017 chart: lint, render, dry run, install, helm test --
    Defect(
        "helm-test-always-exits-0",
        "SC-017",
        "chart/templates/tests/test-services.yaml",
        "the `helm test` pods print failures but always exit 0 (made 'non-blocking' after a flaky run)",
        (Edit("sys.exit(1 if failed else 0)", "sys.exit(0)"),),
        tags=("chart",),
    ),
    Defect(
        "schema-object-left-open",
        "SC-017",
        "chart/values.schema.json",
        "chatbot.llm in values.schema.json loses `additionalProperties: false`, so a typo there is ignored",
        (
            Edit(
                '"llm": {\n          "type": "object",\n          "additionalProperties": false,\n',
                '"llm": {\n          "type": "object",\n',
            ),
        ),
        tags=("values",),
    ),
    Defect(
        "quoted-integer-in-template",
        "SC-017",
        _APP,
        'terminationGracePeriodSeconds is rendered as the string "30" (a stray `| quote`)',
        (Edit("terminationGracePeriodSeconds: 30", 'terminationGracePeriodSeconds: "30"'),),
        tags=("chart",),
    ),
    Defect(
        "networkpolicy-postgres-ingress-open",
        "SC-017",
        "chart/templates/networkpolicy.yaml",
        "Postgres's NetworkPolicy ingress loses its `from:` (the port kept, 'the backend and chatbot are the"
        " only clients anyway'): any pod, in any namespace, can open a connection to the database",
        (
            Edit(
                "    - from:\n        - podSelector:\n            matchLabels:\n"
                '              {{- include "todo-chatbot.selectorLabels" $be | nindent 14 }}\n'
                "        - podSelector:\n            matchLabels:\n"
                '              {{- include "todo-chatbot.selectorLabels" $cb | nindent 14 }}\n'
                "      ports:\n        - {port: postgres, protocol: TCP}\n",
                "    - ports:\n        - {port: postgres, protocol: TCP}\n",
            ),
        ),
        tags=("chart",),
    ),
    Defect(
        "networkpolicy-chatbot-ingress-open",
        "SC-017",
        "chart/templates/networkpolicy.yaml",
        "the chatbot's NetworkPolicy ingress loses its `from:` (written like the backend's, which is a"
        " NodePort): any pod, in any namespace, can call the chatbot",
        (
            Edit(
                "  ingress:\n    - from:\n        - podSelector:\n            matchLabels:\n"
                '              {{- include "todo-chatbot.selectorLabels" $fe | nindent 14 }}\n'
                "        - podSelector:\n            matchLabels:\n"
                '              {{- include "todo-chatbot.selectorLabels" $test | nindent 14 }}\n'
                "      ports:\n",
                "  ingress:\n    - ports:\n",
            ),
        ),
        tags=("chart",),
    ),
    Defect(
        "hpa-scales-missing-deployment",
        "SC-017",
        "chart/templates/hpa.yaml",
        "the backend's HorizontalPodAutoscaler targets the release's full name (copied from a one-Deployment"
        " chart) instead of the backend Deployment: with the production values nothing autoscales",
        (
            Edit(
                '    name: {{ include "todo-chatbot.componentName" $ctx }}\n  minReplicas:',
                '    name: {{ include "todo-chatbot.fullname" . }}\n  minReplicas:',
            ),
        ),
        tags=("chart",),
    ),
    # -- SC-018 every pod Running and Ready, no restarts --
    Defect(
        "liveness-probe-path-typo",
        "SC-018",
        _HELPERS,
        "the liveness probe asks /api/healthz (a typo): every app container is restarted ~30 s after start",
        (
            Edit(
                "livenessProbe:\n  httpGet: {path: /api/health, port: http, scheme: {{ .scheme }}}",
                "livenessProbe:\n  httpGet: {path: /api/healthz, port: http, scheme: {{ .scheme }}}",
            ),
        ),
    ),
    Defect(
        "chatbot-memory-limit-too-low",
        "SC-018",
        "chart/values.yaml",
        "the chatbot's memory limit is set to 48Mi (copied from a sidecar): it is OOMKilled at start",
        (
            Edit(
                '    requests: {cpu: 100m, memory: 160Mi}\n    limits: {cpu: "1", memory: 384Mi}\n  nlu:',
                '    requests: {cpu: 100m, memory: 48Mi}\n    limits: {cpu: "1", memory: 48Mi}\n  nlu:',
            ),
        ),
        tags=("values",),
    ),
    # -- SC-019 the frontend at NodePort 30080, sign-up and chat in Chromium --
    Defect(
        "frontend-nodeport-moved",
        "SC-019",
        "chart/values.yaml",
        "the frontend's NodePort default is changed from 30080 to 30090",
        (Edit("    nodePort: 30080\n", "    nodePort: 30090\n"),),
        tags=("values",),
    ),
    Defect(
        "chat-does-not-refresh-task-list",
        "SC-019",
        "services/frontend/todo_frontend/pages.py",
        "the frontend's chat handler no longer sends HX-Trigger: tasks-changed (the list needs a reload)",
        (Edit('                headers["HX-Trigger"] = "tasks-changed"\n', ""),),
        tags=("code",),
    ),
    Defect(
        "frontend-csrf-check-dropped",
        "SC-019",
        "services/frontend/todo_frontend/pages.py",
        "the frontend's form posts lose their CSRF check (the router's `dependencies=[CsrfChecked]` dropped"
        " while moving routes): another site can post a form with the user's session cookie",
        (Edit("router = APIRouter(dependencies=[CsrfChecked])\n", "router = APIRouter()\n"),),
        tags=("code",),
    ),
    Defect(
        "frontend-logout-keeps-token-valid",
        "SC-019",
        "services/frontend/todo_frontend/pages.py",
        "the frontend's logout only deletes the cookie and no longer revokes the token at the backend: a"
        " copied session cookie keeps working after the user logged out",
        (
            Edit(
                "    if token:\n        try:\n"
                '            await upstreams.request("POST", "/api/auth/logout", token=token)\n'
                "        except UpstreamUnavailable:\n"
                "            pass  # the cookie still goes; the token then lapses at its expiry\n",
                "",
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "frontend-task-title-unescaped",
        "SC-019",
        "services/frontend/todo_frontend/templates/_task_list.html",
        "the task list renders titles with `| safe` (to stop a double-escaped `&`): markup in a title runs in"
        " the page (stored XSS)",
        (
            Edit(
                '<span class="task-title">{{ task.title }}</span>',
                '<span class="task-title">{{ task.title | safe }}</span>',
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "chatbot-deletes-on-a-guess",
        "SC-019",
        "services/chatbot/todo_chatbot/chat.py",
        "'only the LLM's guesses need a yes': the chatbot stops asking before a delete or completion it"
        " reached by typo correction or fuzzy matching ('delte the plumbr' deletes at once)",
        (
            Edit(
                '                (intent.source == "llm" and intent.intent in DESTRUCTIVE)\n'
                "                or (intent.intent in GUESS_ASKS and guess is not None)\n",
                '                intent.source == "llm" and intent.intent in DESTRUCTIVE\n',
            ),
        ),
        tags=("code",),
    ),
    # -- SC-020 the backend API at NodePort 30081 --
    Defect(
        "backend-task-routes-dropped",
        "SC-020",
        "services/backend/todo_backend/main.py",
        "a refactor drops `app.include_router(tasks.router)` from the backend",
        (Edit("    app.include_router(tasks.router)\n", ""),),
        tags=("code",),
    ),
    Defect(
        "backend-docs-hidden-in-production",
        "SC-020",
        "services/backend/todo_backend/main.py",
        "the backend hides /docs when ENVIRONMENT=production (which the chart sets)",
        (
            Edit(
                '        title="todo-chatbot backend",\n',
                '        title="todo-chatbot backend",\n'
                '        docs_url=None if settings.environment == "production" else "/docs",\n',
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "backend-login-accepts-wrong-password",
        "SC-020",
        "services/backend/todo_backend/api/routes/auth.py",
        "`or` becomes `and` in the backend's login check: a wrong password logs in to any existing account",
        (
            Edit(
                "body.password, hashed) or user is None:",
                "body.password, hashed) and user is None:",
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "backend-logout-not-committed",
        "SC-020",
        "services/backend/todo_backend/api/routes/auth.py",
        "the backend's logout bumps the token version but never commits: it answers 204 and the token stays"
        " valid",
        (
            Edit(
                "values(token_version=User.token_version + 1))\n    await session.commit()\n",
                "values(token_version=User.token_version + 1))\n",
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "backend-task-lookup-ignores-owner",
        "SC-020",
        "services/backend/todo_backend/crud.py",
        "crud.get_task looks a task up by number only (the user filter lost): DELETE /api/tasks/{n} deletes"
        " another user's task #n",
        (
            Edit(
                "select(Task).where(Task.user_id == user_id, Task.number == number)",
                "select(Task).where(Task.number == number)",
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "backend-update-cannot-clear-fields",
        "SC-020",
        "services/backend/todo_backend/crud.py",
        "PATCH reads the body with exclude_none instead of exclude_unset: `due_date: null` (clear the due"
        " date) is silently ignored and answered 200",
        (Edit("body.model_dump(exclude_unset=True)", "body.model_dump(exclude_none=True)"),),
        tags=("code",),
    ),
    Defect(
        "backend-status-filter-swapped",
        "SC-020",
        "services/backend/todo_backend/crud.py",
        "the task list's status filter is inverted: ?status=pending lists the completed tasks and"
        " ?status=completed the pending ones",
        (
            Edit(
                "    if status is TaskStatus.pending:\n        on.append(Task.completed.is_(False))\n"
                "    elif status is TaskStatus.completed:\n        on.append(Task.completed.is_(True))\n",
                "    if status is TaskStatus.pending:\n        on.append(Task.completed.is_(True))\n"
                "    elif status is TaskStatus.completed:\n        on.append(Task.completed.is_(False))\n",
            ),
        ),
        tags=("code",),
    ),
    # -- SC-021 configuration: upgrade to LOG_LEVEL=DEBUG reaches the pods, no failed request --
    Defect(
        "chatbot-log-level-reported-not-used",
        "SC-021",
        "services/chatbot/todo_chatbot/main.py",
        "the chatbot reports LOG_LEVEL on /api/health but its logger stays at INFO",
        (Edit("    log.setLevel(settings.log_level)\n", '    log.setLevel("INFO")\n'),),
        tags=("code",),
    ),
    Defect(
        "config-checksum-annotation-dropped",
        "SC-021",
        _APP,
        "the pod template loses its ConfigMap/Secret checksum annotations: an upgrade no longer rolls pods",
        (
            Edit(
                "      annotations:\n"
                '        {{- include "todo-chatbot.configChecksums" $root | nindent 8 }}\n',
                "",
            ),
        ),
        tags=("chart",),
    ),
    # -- SC-022 secrets: not in git, images, ConfigMaps --
    Defect(
        "jwt-secret-in-configmap",
        "SC-022",
        "chart/templates/configmap.yaml",
        "BETTER_AUTH_SECRET is also put into the ConfigMap 'for convenience'",
        (
            Edit(
                "  LOG_LEVEL: {{ .Values.config.logLevel | quote }}\n",
                "  LOG_LEVEL: {{ .Values.config.logLevel | quote }}\n"
                "  BETTER_AUTH_SECRET: {{ .Values.secrets.betterAuthSecret | quote }}\n",
            ),
        ),
        tags=("chart",),
    ),
    Defect(
        "api-key-baked-into-image-env",
        "SC-022",
        "services/chatbot/Dockerfile",
        "a developer's OpenRouter key is baked into the chatbot image as ENV",
        (
            Edit(
                "ENV PYTHONPATH=/app/svc:/app/deps",
                "ENV OPENROUTER_API_KEY=sk-or-v1-{random_hex}\nENV PYTHONPATH=/app/svc:/app/deps",
            ),
        ),
        tags=("dockerfile",),
    ),
    Defect(
        "signing-key-generated-into-image",
        "SC-022",
        "services/frontend/Dockerfile",
        "the frontend image bakes a signing key generated at build time into its filesystem",
        (
            Edit(
                " && python3 -m compileall -q /app/svc\n",
                " && python3 -m compileall -q /app/svc \\\n"
                ' && python3 -c "import secrets; print(secrets.token_hex(32))" > /app/svc/session.key\n',
            ),
        ),
        tags=("dockerfile",),
    ),
    Defect(
        "notes-print-database-password",
        "SC-022",
        "chart/templates/NOTES.txt",
        "NOTES.txt prints the PostgreSQL password after install",
        (
            Edit(
                "{{ .Values.postgres.persistence.size }} volume)",
                "{{ .Values.postgres.persistence.size }} volume, user postgres,"
                " password {{ .Values.secrets.postgresPassword }})",
            ),
        ),
        tags=("chart",),
    ),
    Defect(
        "backend-logs-database-url",
        "SC-022",
        "services/backend/todo_backend/main.py",
        "the backend logs its DATABASE_URL (with the password) at start",
        (
            Edit(
                'log.info("backend %s ready (environment=%s)", __version__, settings.environment)',
                'log.info("backend %s ready (environment=%s, database=%s)", __version__,'
                " settings.environment, settings.database_url)",
            ),
        ),
        tags=("code",),
    ),
    # -- SC-023 backend scales 2 -> 4 -> 2 under load, no failed request --
    Defect(
        "prestop-drain-removed",
        "SC-023",
        _HELPERS,
        "the preStop sleep is removed: a pod stops while kube-proxy still sends it connections",
        (Edit(r"lifecycle:\n  preStop:\n(?:.*\n)*?      seconds: 10\n", "", regex=True),),
        tags=("chart",),
    ),
    Defect(
        "service-selects-every-component",
        "SC-023",
        _APP,
        "the Services select on the release only (component label lost): backend traffic reaches other pods",
        (
            Edit(
                'selector:\n    {{- include "todo-chatbot.selectorLabels" $ctx | nindent 4 }}',
                'selector:\n    {{- include "todo-chatbot.selectorLabels" (dict "root" .root) | nindent 4 }}',
            ),
        ),
        tags=("chart",),
    ),
    Defect(
        "backend-pdb-allows-every-pod",
        "SC-023",
        "chart/values.yaml",
        "the backend's PodDisruptionBudget gets minAvailable: 0 (a drain of a one-node dev cluster waited on"
        " it): a node drain evicts every backend pod at once",
        (
            Edit(
                "  podDisruptionBudget:\n    enabled: true\n    minAvailable: 1\n\nchatbot:",
                "  podDisruptionBudget:\n    enabled: true\n    minAvailable: 0\n\nchatbot:",
            ),
        ),
        tags=("values",),
    ),
    Defect(
        "tcb-scale-does-not-wait",
        "SC-023",
        "harness/release.py",
        "Release.scale, behind `tcb scale`, no longer waits for the rollout (it 'hung' on a scale to 0): `tcb"
        " scale backend 4` reports 4 Ready replicas the moment the Deployment was patched",
        (
            Edit(
                "        self.k8s.scale(self.namespace, name, replicas)\n"
                '        self.k8s.wait_for_rollout("Deployment", name, self.namespace,'
                " timeout or self.timeouts.rollout)\n",
                "        self.k8s.scale(self.namespace, name, replicas)\n",
            ),
        ),
        tags=("code",),
    ),
    # -- SC-024 health: probes configured and effective --
    Defect(
        "chatbot-ready-always-200",
        "SC-024",
        "services/chatbot/todo_chatbot/api/routes/health.py",
        "the chatbot's /api/ready says 'not ready' in its body but answers 200",
        (Edit("status_code=200 if ok else 503,", "status_code=200,"),),
        tags=("code",),
    ),
    Defect(
        "readiness-probe-on-liveness-path",
        "SC-024",
        _HELPERS,
        "the readiness probe asks /api/health (which never checks the database)",
        (
            Edit(
                "  httpGet: {path: /api/ready, port: http, scheme: {{ .scheme }}}",
                "  httpGet: {path: /api/health, port: http, scheme: {{ .scheme }}}",
            ),
        ),
        tags=("chart",),
    ),
    Defect(
        "backend-liveness-needs-database",
        "SC-024",
        "services/backend/todo_backend/api/routes/health.py",
        "the backend's liveness endpoint runs SELECT 1: a database outage restarts every backend pod",
        (
            Edit(
                "async def health(settings: SettingsDep) -> HealthOut:\n",
                "async def health(request: Request, settings: SettingsDep) -> HealthOut:\n"
                "    await _select_one(request.app.state.engine)\n",
            ),
        ),
        tags=("code",),
    ),
    Defect(
        "postgres-data-on-emptydir",
        "SC-024",
        "chart/templates/postgres.yaml",
        "Postgres keeps its data on an emptyDir instead of the StatefulSet's volume claim (the PVC stayed"
        " Pending on a cluster without a default StorageClass): every task is lost when the pod is replaced",
        (
            Edit(
                "        - name: run\n          emptyDir:\n            sizeLimit: 8Mi\n",
                "        - name: run\n          emptyDir:\n            sizeLimit: 8Mi\n"
                "        - name: data\n          emptyDir: {}\n",
            ),
            Edit(r"  volumeClaimTemplates:\n(?:.*\n)*?            storage: .*\n", "", regex=True),
        ),
        tags=("chart",),
    ),
    # -- SC-025 documentation --
    Defect(
        "docs-option-renamed",
        "SC-025",
        "docs/harness.md",
        "docs/harness.md documents `--install-timeout`, an option the harness does not have",
        (Edit("| `--deploy-timeout S` | 900 |", "| `--install-timeout S` | 900 |"),),
        tags=("docs",),
    ),
    Defect(
        "readme-link-broken",
        "SC-025",
        "README.md",
        "a README link points at docs/harnes.md (a typo)",
        (Edit("[docs/harness.md](docs/harness.md)", "[docs/harness.md](docs/harnes.md)"),),
        tags=("docs",),
    ),
    Defect(
        "cli-scale-renamed",
        "SC-025",
        "harness/cli/deploy.py",
        "`tcb scale` is renamed `tcb resize` in the CLI; the README still says `tcb scale`",
        (Edit("    def scale(\n", "    def resize(\n"),),
        tags=("code",),
    ),
    Defect(
        "notes-show-container-port",
        "SC-025",
        "chart/templates/NOTES.txt",
        "NOTES.txt shows the frontend's container port (3000) instead of its NodePort",
        (
            Edit(
                "://<node-ip>:{{ .Values.frontend.service.nodePort }}",
                "://<node-ip>:{{ .Values.frontend.service.port }}",
            ),
        ),
        tags=("chart",),
    ),
)
