"""The chart's database: least privilege (a role per service, the superuser only for setup) and a connection
budget that fits max_connections at the HPA's maximum, read back from the rendered manifests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from chart_manifests import IMAGE_TAGS, SECRETS, Render, named, of_kind

from harness.chart_checks import connection_budget, connection_budget_problems
from harness.proc import CommandError

BASE = {**IMAGE_TAGS, **SECRETS}
# configurations whose budgets must fit: the default, an HPA at a high maximum, several workers, bigger pools
BUDGETS: dict[str, dict[str, Any]] = {
    "default": {},
    "hpa to 12": {"backend.autoscaling.enabled": True, "backend.autoscaling.maxReplicas": 12},
    "3 workers": {"backend.workers": 3},
    "big pools": {
        "backend.database.poolSize": 30,
        "chatbot.database.poolSize": 20,
        "chatbot.replicaCount": 3,
    },
    "explicit max_connections": {"postgres.maxConnections": 500},
}


@pytest.mark.parametrize("name", list(BUDGETS))
def test_the_pools_fit_max_connections_at_the_hpa_maximum(render: Render, name: str) -> None:
    budget = connection_budget(render([], {**BASE, **BUDGETS[name]}))
    assert budget is not None
    print(f"{name}: {budget.describe()}")  # the figures, for -s
    assert connection_budget_problems(budget) == []


def test_the_budget_counts_the_hpa_maximum_and_the_surge_pods(render: Render) -> None:
    budget = connection_budget(render([], {**BASE, **BUDGETS["hpa to 12"]}))
    assert budget is not None
    assert budget.backend_pods == 14  # 12 from the HPA + the 2 new pods a rollout starts (rollout.maxSurge)
    assert budget.backend_per_pod == 10
    assert budget.chatbot_pods == 3  # 1 replica + 2
    assert budget.max_connections >= 14 * 10 + 3 * 5 + budget.superuser_reserved


def test_the_budget_follows_rollout_max_surge(render: Render) -> None:
    budget = connection_budget(render([], {**BASE, **BUDGETS["hpa to 12"], "rollout.maxSurge": 1}))
    assert budget is not None
    assert (budget.backend_pods, budget.chatbot_pods) == (13, 2)
    assert connection_budget_problems(budget) == []


def test_a_seeded_too_small_max_connections_is_caught(render: Render) -> None:
    """The check above can fail: the same manifests with max_connections cut to 40 do not fit."""
    objects = copy.deepcopy(render([], BASE))
    container = named(objects, "StatefulSet", "-postgres")["spec"]["template"]["spec"]["containers"][0]
    container["args"] = [
        "max_connections=40" if a.startswith("max_connections=") else a for a in container["args"]
    ]
    budget = connection_budget(objects)
    assert budget is not None
    problems = connection_budget_problems(budget)
    assert len(problems) == 1 and "more connections than PostgreSQL admits" in problems[0], problems


def test_a_seeded_hpa_maximum_beyond_the_budget_is_caught(render: Render) -> None:
    """An HPA edited to scale further than the chart budgeted for no longer fits."""
    objects = copy.deepcopy(render([], {**BASE, "backend.autoscaling.enabled": True}))
    of_kind(objects, "HorizontalPodAutoscaler")[0]["spec"]["maxReplicas"] = 40
    budget = connection_budget(objects)
    assert budget is not None
    problems = connection_budget_problems(budget)
    assert any("todo_backend" in p for p in problems), problems
    assert any("more connections than PostgreSQL admits" in p for p in problems), problems


def test_an_explicit_max_connections_below_the_pools_fails_the_render_naming_the_sum(render: Render) -> None:
    with pytest.raises(CommandError) as failure:
        render([], {**BASE, "postgres.maxConnections": 40})
    message = str(failure.value)
    # default budget: backend (5 + 2) pods x 1 worker x 10 + chatbot (1 + 2) x 5 + 3 reserved + 2 admin = 90
    assert "postgres.maxConnections=40 is too small" in message
    assert "90 in all" in message and "raise postgres.maxConnections to 90" in message


def test_each_service_logs_in_as_its_own_role_and_never_sees_the_superuser_password(render: Render) -> None:
    objects = render([], BASE)
    for component in ("backend", "chatbot"):
        pod = named(objects, "Deployment", f"-{component}")["spec"]["template"]["spec"]
        keys = {
            env["valueFrom"]["secretKeyRef"]["key"]
            for container in [*pod["containers"], *pod.get("initContainers", [])]
            for env in container.get("env", [])
            if "valueFrom" in env
        }
        assert f"{component.upper()}_DATABASE_URL" in keys
        assert not keys & {"POSTGRES_PASSWORD", "BACKEND_DB_PASSWORD", "CHATBOT_DB_PASSWORD"} - {
            f"{component.upper()}_DB_PASSWORD"
        }, f"{component} gets another role's or the superuser's password: {keys}"
        assert "POSTGRES_PASSWORD" not in keys


def test_the_superuser_may_log_in_only_over_the_pods_own_socket(render: Render) -> None:
    setup = named(render([], BASE), "ConfigMap", "-postgres-setup")["data"]
    rules = [line.split() for line in setup["pg_hba.conf"].splitlines() if line and not line.startswith("#")]
    assert rules[0] == ["local", "all", "postgres", "scram-sha-256"]
    assert rules[1] == ["host", "all", "postgres", "all", "reject"]
    assert rules[2] == ["host", "todo", "todo_backend,todo_chatbot", "all", "scram-sha-256"]
    assert len(rules) == 3, "no other rule may admit anyone"
    args = named(render([], BASE), "StatefulSet", "-postgres")["spec"]["template"]["spec"]["containers"][0][
        "args"
    ]
    assert "hba_file=/etc/todo-chatbot/postgres/pg_hba.conf" in args


def test_a_password_with_a_quote_is_refused_by_the_schema(render: Render) -> None:
    with pytest.raises(CommandError, match="postgresPassword"):
        render([], {**BASE, "secrets.postgresPassword": "it's-a-password"})  # pragma: allowlist secret


def test_an_external_database_has_no_budget_in_the_chart(render: Render) -> None:
    objects = render(
        [],
        {
            **IMAGE_TAGS,
            "secrets.betterAuthSecret": SECRETS["secrets.betterAuthSecret"],
            "postgres.enabled": False,
            # pragma: allowlist nextline secret
            "secrets.databaseUrl": "postgresql+asyncpg://todo:test-only@db.example.invalid:5432/todo",
            # pragma: allowlist nextline secret
            "secrets.chatbotDatabaseUrl": "postgresql+asyncpg://chat:test-only@db.example.invalid:5432/todo",
        },
    )
    assert connection_budget(objects) is None
    assert not [o for o in of_kind(objects, "ConfigMap") if o["metadata"]["name"].endswith("-postgres-setup")]


def test_tls_serves_the_frontend_over_https_with_the_secrets_certificate(render: Render) -> None:
    objects = render([], {**BASE, "tls.enabled": True, "tls.secretName": "web-tls"})
    pod = named(objects, "Deployment", "-frontend")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["UVICORN_SSL_CERTFILE"] == "/etc/todo-chatbot/tls/tls.crt"
    assert env["UVICORN_SSL_KEYFILE"] == "/etc/todo-chatbot/tls/tls.key"
    tls_volume = {"secretName": "web-tls", "defaultMode": 0o440}  # pragma: allowlist secret
    assert {"name": "tls", "secret": tls_volume} in pod["volumes"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["scheme"] == "HTTPS", probe
    backend = named(objects, "Deployment", "-backend")["spec"]["template"]["spec"]["containers"][0]
    assert backend["readinessProbe"]["httpGet"]["scheme"] == "HTTP", "only the frontend serves TLS"
    checks = {c["name"]: c["command"][-2] for c in named(objects, "Pod", "-test")["spec"]["containers"]}
    assert checks["frontend"].startswith("https://") and checks["backend"].startswith("http://")


def test_tls_without_a_secret_name_fails_naming_it(render: Render) -> None:
    with pytest.raises(CommandError, match=r"tls\.secretName is required when tls\.enabled"):
        render([], {**BASE, "tls.enabled": True})
    default = named(render([], BASE), "Deployment", "-frontend")["spec"]["template"]["spec"]
    assert "UVICORN_SSL_CERTFILE" not in str(default), "TLS is off by default"
