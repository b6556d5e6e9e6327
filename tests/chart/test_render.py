"""`helm template` of the chart: valid Kubernetes objects for every values file, required values enforced,
the contract's ports and replicas, Pod Security "restricted", no :latest."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from chart_manifests import (
    DEV_EXAMPLE,
    IMAGE_TAGS,
    PROD,
    PROD_SECRETS,
    SECRETS,
    Render,
    named,
    of_kind,
    parse,
    pod_specs,
)

from harness import helm
from harness.proc import CommandError

# The local cluster's minor; kubernetes-validate ships the OpenAPI schemas of each release.
KUBE_SCHEMA_VERSION = "1.35.0"

VALUE_SETS: dict[str, tuple[list[Path], dict[str, str | bool | int]]] = {
    "default": ([], {**IMAGE_TAGS, **SECRETS}),
    "dev": ([DEV_EXAMPLE], {**IMAGE_TAGS, **SECRETS}),
    "prod": ([PROD], {**IMAGE_TAGS, **PROD_SECRETS}),
    "llm-runtime": (
        [],
        {**IMAGE_TAGS, **SECRETS, "llmRuntime.enabled": True, "chatbot.nlu.provider": "hybrid"},
    ),
    "openrouter": (
        [],
        {
            **IMAGE_TAGS,
            **SECRETS,
            "chatbot.nlu.provider": "llm",
            "chatbot.llm.baseUrl": "https://openrouter.ai/api/v1",
            "chatbot.llm.model": "some/model",
            "secrets.openrouterApiKey": "test-only-openrouter-key",  # pragma: allowlist secret
        },
    ),
}


def _render_set(render: Render, name: str) -> list[dict[str, Any]]:
    files, values = VALUE_SETS[name]
    return render(files, values)


def _secret_data(objects: list[dict[str, Any]]) -> dict[str, str]:
    secret = of_kind(objects, "Secret")[0]
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_every_object_is_valid_for_the_cluster_version(render: Render, value_set: str) -> None:
    objects = _render_set(render, value_set)
    kinds = {obj["kind"] for obj in objects}
    assert {"Deployment", "Service", "ConfigMap", "Secret", "NetworkPolicy", "Pod"} <= kinds
    for obj in objects:
        # strict: unknown fields (a misspelt probe or securityContext key) are errors, as the API server's are
        kubernetes_validate.validate(obj, KUBE_SCHEMA_VERSION, strict=True)


def test_a_misspelt_field_in_a_manifest_fails_validation() -> None:
    """The validation above can fail: a pod template with a typo'd field is rejected."""
    deployment = yaml.safe_load(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: x}
        spec:
          selector: {matchLabels: {a: b}}
          template:
            metadata: {labels: {a: b}}
            spec:
              containers: [{name: x, image: "x:1", readinesProbe: {}}]
        """
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_SCHEMA_VERSION, strict=True)


REQUIRED = {
    "secrets.betterAuthSecret": ([], {**IMAGE_TAGS, **SECRETS}),
    "secrets.postgresPassword": ([], {**IMAGE_TAGS, **SECRETS}),
    "secrets.databaseUrl": ([PROD], {**IMAGE_TAGS, **PROD_SECRETS}),
    "secrets.openrouterApiKey": VALUE_SETS["openrouter"],
    **{key: ([], {**IMAGE_TAGS, **SECRETS}) for key in IMAGE_TAGS if not key.startswith("llmRuntime")},
}


@pytest.mark.parametrize("missing", list(REQUIRED))
def test_a_missing_required_value_fails_with_a_message_naming_it(render: Render, missing: str) -> None:
    files, values = REQUIRED[missing]
    values = {key: value for key, value in values.items() if key != missing}
    with pytest.raises(CommandError) as failure:
        render(files, values)
    message = str(failure.value)
    assert f"{missing} is required" in message
    assert f"--set {missing}=" in message, "the message should say how to set it"


def test_llm_runtime_image_tag_is_required_only_when_the_runtime_is_enabled(render: Render) -> None:
    values = {
        key: value for key, value in VALUE_SETS["llm-runtime"][1].items() if key != "llmRuntime.image.tag"
    }
    with pytest.raises(CommandError, match=r"llmRuntime\.image\.tag is required"):
        render([], values)
    render([], {key: value for key, value in values.items() if key != "llmRuntime.enabled"})


def test_openrouter_key_is_optional_for_other_llm_endpoints(render: Render) -> None:
    objects = render(
        [],
        {
            **IMAGE_TAGS,
            **SECRETS,
            "chatbot.nlu.provider": "llm",
            "chatbot.llm.baseUrl": "http://ollama:11434/v1",
        },
    )
    assert "OPENROUTER_API_KEY" not in _secret_data(objects)


@pytest.mark.parametrize(
    ("key", "value", "unknown"),
    [
        ("backend.replicaCont", 3, "replicaCont"),  # typo of replicaCount
        ("secret.betterAuthSecret", "x" * 40, "secret"),  # typo of secrets
        ("postgres.persistence.storageClas", "fast", "storageClas"),
    ],
)
def test_the_schema_rejects_a_misspelt_key(render: Render, key: str, value: object, unknown: str) -> None:
    with pytest.raises(CommandError) as failure:
        render([], {**IMAGE_TAGS, **SECRETS, key: value})
    message = str(failure.value)
    assert "values don't meet the specifications of the schema" in message
    # values reach helm on stdin, so the name can only come from helm's own message, not the command line
    assert f"additional properties '{unknown}' not allowed" in message


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("backend.image.tag", "latest", "/backend/image/tag"),
        ("secrets.betterAuthSecret", "too-short", "betterAuthSecret"),
        ("chatbot.nlu.provider", "magic", "provider"),
        ("frontend.service.nodePort", 80, "nodePort"),
    ],
)
def test_the_schema_rejects_bad_values(render: Render, key: str, value: object, complaint: str) -> None:
    with pytest.raises(CommandError, match=complaint):
        render([], {**IMAGE_TAGS, **SECRETS, key: value})


def test_default_install_matches_the_contract(render: Render) -> None:
    objects = _render_set(render, "default")
    assert named(objects, "Service", "-frontend")["spec"]["ports"][0]["nodePort"] == 30080
    assert named(objects, "Service", "-backend")["spec"]["ports"][0]["nodePort"] == 30081
    assert named(objects, "Service", "-chatbot")["spec"]["type"] == "ClusterIP"
    assert named(objects, "Deployment", "-backend")["spec"]["replicas"] == 2
    ports = {
        name: named(objects, "Deployment", f"-{name}")["spec"]["template"]["spec"]["containers"][0]["ports"][
            0
        ]
        for name in ("backend", "chatbot", "frontend")
    }
    assert {name: port["containerPort"] for name, port in ports.items()} == {
        "backend": 8000,
        "chatbot": 8001,
        "frontend": 3000,
    }
    postgres = named(objects, "StatefulSet", "-postgres")
    claim = postgres["spec"]["volumeClaimTemplates"][0]["spec"]
    assert "storageClassName" not in claim, "empty storageClass must mean the cluster default"
    # a ClusterIP Service: its name resolves before the pod is ready (no cached "no such name" to wait out)
    assert named(objects, "Service", "-postgres")["spec"]["type"] == "ClusterIP"
    assert "clusterIP" not in named(objects, "Service", "-postgres")["spec"]
    assert not of_kind(objects, "HorizontalPodAutoscaler")
    assert {
        pdb["metadata"]["name"].rsplit("-", 1)[-1] for pdb in of_kind(objects, "PodDisruptionBudget")
    } == {
        "backend",
        "frontend",
    }
    assert all(pdb["spec"]["minAvailable"] == 1 for pdb in of_kind(objects, "PodDisruptionBudget"))


def test_the_config_map_and_secret_carry_the_service_settings(render: Render) -> None:
    objects = render([], {**IMAGE_TAGS, **SECRETS, "config.logLevel": "DEBUG"})
    config = of_kind(objects, "ConfigMap")[0]["data"]
    fullname = named(objects, "Deployment", "-backend")["metadata"]["name"].removesuffix("-backend")
    assert config["LOG_LEVEL"] == "DEBUG"
    assert config["ENVIRONMENT"] == "production"
    assert config["BACKEND_URL"] == f"http://{fullname}-backend:8000"
    assert config["CHATBOT_URL"] == f"http://{fullname}-chatbot:8001"
    assert config["NLU_PROVIDER"] == "rules"
    secret = _secret_data(objects)
    assert secret["BETTER_AUTH_SECRET"] == SECRETS["secrets.betterAuthSecret"]
    assert secret["POSTGRES_PASSWORD"] == SECRETS["secrets.postgresPassword"]
    for service in ("backend", "chatbot"):
        url = secret[f"{service.upper()}_DATABASE_URL"]
        password = secret[f"{service.upper()}_DB_PASSWORD"]
        assert url == f"postgresql+asyncpg://todo_{service}:{password}@{fullname}-postgres:5432/todo"
        assert SECRETS["secrets.postgresPassword"] not in url, "a service must never get the superuser"
    assert secret["BACKEND_DB_PASSWORD"] != secret["CHATBOT_DB_PASSWORD"]


def test_prod_values_scale_the_backend_and_use_the_external_database(render: Render) -> None:
    objects = _render_set(render, "prod")
    assert named(objects, "Deployment", "-backend")["spec"]["replicas"] == 3
    (hpa,) = of_kind(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"].endswith("-backend")
    assert hpa["spec"]["minReplicas"] == 3
    assert not of_kind(objects, "StatefulSet")
    assert not of_kind(objects, "PersistentVolumeClaim")
    secret = _secret_data(objects)
    assert secret["BACKEND_DATABASE_URL"] == PROD_SECRETS["secrets.databaseUrl"]
    assert secret["CHATBOT_DATABASE_URL"] == PROD_SECRETS["secrets.databaseUrl"]
    assert "POSTGRES_PASSWORD" not in secret


def test_an_upgrade_with_an_hpa_leaves_the_replica_count_to_it(helm_binary: Path) -> None:
    files, values = VALUE_SETS["prod"]
    objects = parse(helm.template(values_files=files, set_values=values, is_upgrade=True))
    assert "replicas" not in named(objects, "Deployment", "-backend")["spec"]


def test_changing_the_log_level_rolls_the_app_pods(render: Render) -> None:
    before = render([], {**IMAGE_TAGS, **SECRETS, "config.logLevel": "INFO"})
    after = render([], {**IMAGE_TAGS, **SECRETS, "config.logLevel": "DEBUG"})
    for name in ("backend", "chatbot", "frontend"):
        old = named(before, "Deployment", f"-{name}")["spec"]["template"]["metadata"]["annotations"]
        new = named(after, "Deployment", f"-{name}")["spec"]["template"]["metadata"]["annotations"]
        assert old["checksum/config"] != new["checksum/config"], (
            f"{name} would keep running with the old config"
        )
        assert old["checksum/secret"] == new["checksum/secret"]


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_every_pod_passes_pod_security_restricted(render: Render, value_set: str) -> None:
    """The fields of the Pod Security Standard "restricted" profile, plus this chart's own hardening."""
    for name, spec in pod_specs(_render_set(render, value_set)):
        pod_sc = spec.get("securityContext", {})
        assert not (spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC")), name
        assert spec.get("automountServiceAccountToken") is False, name
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        for volume in spec.get("volumes", []):
            assert set(volume) - {"name"} <= {
                "emptyDir",
                "configMap",
                "secret",
                "persistentVolumeClaim",
                "projected",
                "downwardAPI",
                "ephemeral",
            }, f"{name}: {volume}"
        for container in spec["containers"]:
            # read-only root: the long-running processes get a writable /tmp
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}/{container['name']}"
        for container in spec["containers"] + spec.get("initContainers", []):
            where = f"{name}/{container['name']}"
            sc = container.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("runAsUser", pod_sc.get("runAsUser")) not in (None, 0), where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert not sc.get("privileged"), where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert set(sc.get("capabilities", {}).get("add", [])) <= {"NET_BIND_SERVICE"}, where
            assert sc.get("seccompProfile", pod_sc.get("seccompProfile", {})).get("type") == "RuntimeDefault"
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert all("hostPort" not in port for port in container.get("ports", [])), where
            limits = container.get("resources", {}).get("limits", {})
            requests = container.get("resources", {}).get("requests", {})
            assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(requests), where


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_images_are_pinned_tags_never_latest(render: Render, value_set: str, helm_binary: Path) -> None:
    files, values = VALUE_SETS[value_set]
    text = helm.template(values_files=files, set_values=values)
    assert ":latest" not in text
    for name, spec in pod_specs(_render_set(render, value_set)):
        for container in spec["containers"]:
            repository, _, tag = container["image"].rpartition(":")
            assert repository.startswith("todo-chatbot/") and tag == "0123abcd", (
                f"{name}: {container['image']}"
            )
            assert container["imagePullPolicy"] == "IfNotPresent", name


def test_http_services_drain_before_stopping_and_roll_without_downtime(render: Render) -> None:
    objects = _render_set(render, "default")
    for name in ("backend", "chatbot", "frontend"):
        deployment = named(objects, "Deployment", f"-{name}")
        # both pods of a 2-replica service start in one round; none stops before its replacement is Ready
        assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 2, "maxUnavailable": 0}
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] >= 20
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/api/health"
        assert container["startupProbe"]["httpGet"]["path"] == "/api/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/api/ready"
        assert container["lifecycle"]["preStop"]["sleep"]["seconds"] >= 3
    postgres = named(objects, "StatefulSet", "-postgres")["spec"]["template"]["spec"]["containers"][0]
    assert postgres["startupProbe"]["exec"]["command"][0] == "pg_isready"
    assert postgres["readinessProbe"]["tcpSocket"]["port"] == "postgres"


def test_services_start_beside_their_dependencies_and_stop_waiting_before_the_probe(render: Render) -> None:
    """No init containers: the backend and the chatbot wait for PostgreSQL in their own start (importing
    meanwhile), the frontend's readiness requires the backend. The in-process wait must end, with its last
    error in the log, before the startup probe's window would kill the container without one."""
    for values in ("default", "prod"):
        objects = _render_set(render, values)
        config = named(objects, "ConfigMap", "-todo-chatbot")["data"]
        for name in ("backend", "chatbot", "frontend"):
            pod = named(objects, "Deployment", f"-{name}")["spec"]["template"]["spec"]
            assert "initContainers" not in pod, (values, name)
            (container,) = pod["containers"]
            startup = container["startupProbe"]
            window = startup["periodSeconds"] * startup["failureThreshold"]
            assert 60 <= float(config["DB_STARTUP_TIMEOUT_SECONDS"]) < window - 5, (values, name, window)


def test_requests_fit_a_two_core_node(render: Render) -> None:
    def millicores(quantity: str) -> float:
        return float(quantity[:-1]) if str(quantity).endswith("m") else float(quantity) * 1000

    total = 0.0
    for obj in _render_set(render, "default"):
        if obj["kind"] in ("Deployment", "StatefulSet"):
            replicas = obj["spec"].get("replicas", 1)
            for container in obj["spec"]["template"]["spec"]["containers"]:
                total += replicas * millicores(container["resources"]["requests"]["cpu"])
    assert total <= 1500, f"default install requests {total:.0f}m CPU"


def test_network_policies_deny_by_default_and_can_be_turned_off(render: Render) -> None:
    objects = _render_set(render, "default")
    policies = {
        policy["metadata"]["name"].rsplit("-", 1)[-1]: policy for policy in of_kind(objects, "NetworkPolicy")
    }
    deny = policies["deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    postgres_from = [
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for rule in policies["postgres"]["spec"]["ingress"]
        for peer in rule["from"]
    ]
    assert sorted(postgres_from) == ["backend", "chatbot"]
    off = render([], {**IMAGE_TAGS, **SECRETS, "networkPolicy.enabled": False})
    assert not of_kind(off, "NetworkPolicy")


def test_llm_runtime_is_wired_to_the_chatbot_when_enabled(render: Render) -> None:
    objects = _render_set(render, "llm-runtime")
    service = named(objects, "Service", "-llm-runtime")
    config = of_kind(objects, "ConfigMap")[0]["data"]
    assert config["LLM_BASE_URL"] == f"http://{service['metadata']['name']}:8080/v1"
    assert config["NLU_PROVIDER"] == "hybrid"
    assert "LLM_BASE_URL" not in of_kind(_render_set(render, "default"), "ConfigMap")[0]["data"]


def test_storage_class_is_passed_through(render: Render) -> None:
    objects = render([], {**IMAGE_TAGS, **SECRETS, "postgres.persistence.storageClass": "local-path"})
    claim = named(objects, "StatefulSet", "-postgres")["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == "local-path"


def test_uninstall_keeps_the_database_volume_and_its_password_unless_asked_not_to(render: Render) -> None:
    """The data outlives `helm uninstall` by default; so does the Secret, whose password alone opens it."""
    objects = _render_set(render, "default")
    policy = named(objects, "StatefulSet", "-postgres")["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert of_kind(objects, "Secret")[0]["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    dropped = render([], {**IMAGE_TAGS, **SECRETS, "postgres.persistence.keepOnUninstall": False})
    policy = named(dropped, "StatefulSet", "-postgres")["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy["whenDeleted"] == "Delete"
    assert "annotations" not in of_kind(dropped, "Secret")[0]["metadata"]


_OUTSIDE = ("NodePort", "LoadBalancer")  # Service types reachable from outside the cluster


def _masquerading_services(objects: list[dict[str, Any]]) -> list[str]:
    """Services reachable from outside the cluster whose pods do not see the client's own address: kube-proxy
    masquerades every client of an externalTrafficPolicy: Cluster Service behind the node's address, and the
    per-address rate limits and the failed-login lockout (docs/security.md) would count them all as one."""
    return [
        service["metadata"]["name"]
        for service in of_kind(objects, "Service")
        if service["spec"].get("type") in _OUTSIDE
        and service["spec"].get("externalTrafficPolicy", "Cluster") != "Local"
    ]


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_services_outside_the_cluster_keep_the_clients_address(render: Render, value_set: str) -> None:
    objects = _render_set(render, value_set)
    exposed = [s for s in of_kind(objects, "Service") if s["spec"].get("type") in _OUTSIDE]
    assert len(exposed) == 2, "the frontend and backend NodePorts"
    assert _masquerading_services(objects) == []


def test_a_service_that_masquerades_its_clients_is_caught(render: Render) -> None:
    """The check above can fail: the chart's opt-out (Cluster) and a rendered Service without the field."""
    opted_out = render([], {**IMAGE_TAGS, **SECRETS, "frontend.service.externalTrafficPolicy": "Cluster"})
    assert [name.rsplit("-", 1)[-1] for name in _masquerading_services(opted_out)] == ["frontend"]
    objects = copy.deepcopy(_render_set(render, "default"))
    del named(objects, "Service", "-backend")["spec"]["externalTrafficPolicy"]
    assert [name.rsplit("-", 1)[-1] for name in _masquerading_services(objects)] == ["backend"]


def test_helm_test_pods_check_every_service(render: Render) -> None:
    pods = [
        pod
        for pod in of_kind(_render_set(render, "default"), "Pod")
        if pod["metadata"]["annotations"].get("helm.sh/hook") == "test"
    ]
    assert len(pods) == 1, "one helm test pod: helm runs test pods one after another, containers side by side"
    containers = pods[0]["spec"]["containers"]
    assert [(c["name"], c["command"][-1]) for c in containers] == [
        ("backend", "backend"),
        ("chatbot", "chatbot"),
        ("frontend", "frontend"),
    ]
    urls = [c["command"][-2] for c in containers]
    assert all(
        url.startswith("http://") and f"-{c['name']}:" in url for url, c in zip(urls, containers, strict=True)
    )
