"""Steps about the Helm chart: lint, render, schema, dry run, install, notes and `helm test`."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_bdd import parsers, then, when

from harness import helm
from harness.checks import manifests
from harness.clusters.base import ClusterInfo
from harness.dry_run import dry_run_install
from harness.images import ImageRef
from harness.paths import REPO
from harness.proc import CommandError
from harness.release import Release
from harness.timeouts import Timeouts
from harness.values import generated_secrets, image_values, merge
from steps.evidence import Evidence


@pytest.fixture
def run_values_file(built_images: dict[str, ImageRef], tmp_path: Path) -> Iterator[Path]:
    """This run's values (built image tags, fresh secrets) in a private file, removed afterwards."""
    path = tmp_path / "run-values.yaml"
    path.write_text(yaml.safe_dump(merge(generated_secrets(), image_values(built_images))))
    path.chmod(0o600)
    yield path
    path.unlink(missing_ok=True)


def _render_error(values_files: list[Path], set_values: dict[str, str] | None = None) -> str:
    try:
        helm.template(values_files=values_files, set_values=set_values)
    except CommandError as exc:
        return exc.stderr or str(exc)  # all of it: a schema error lists every refused value
    raise AssertionError(f"the chart rendered although {set_values or values_files} should be refused")


@then("helm lint passes on the chart with this run's values")
def _lint(run_values_file: Path, evidence: Evidence) -> None:
    evidence.text("helm lint", helm.lint(values_files=[run_values_file]))


@when("the chart is rendered with this run's values", target_fixture="rendered")
def _render(run_values_file: Path) -> list[dict[str, Any]]:
    return manifests.parse_manifests(helm.template(values_files=[run_values_file]))


@when(
    parsers.parse('the chart is rendered with "{values_file}" and this run\'s secrets'),
    target_fixture="rendered",
)
def _render_with(values_file: str, run_values_file: Path) -> list[dict[str, Any]]:
    # a values file may point at an external database (production does): give it a URL with a fresh password
    external = {
        "secrets": {
            "databaseUrl": f"postgresql+asyncpg://todo:{secrets.token_urlsafe(18)}@db.internal:5432/todo"
        }
    }
    database = run_values_file.with_name("database-url.yaml")
    database.write_text(yaml.safe_dump(external))
    text = helm.template(values_files=[REPO / values_file, run_values_file, database])
    database.unlink()
    return manifests.parse_manifests(text)


@then("the manifests are valid Kubernetes objects")
def _valid(rendered: list[dict[str, Any]], evidence: Evidence) -> None:
    evidence.text("rendered objects", "\n".join(f"{m['kind']}/{m['metadata']['name']}" for m in rendered))
    problems = manifests.invalid_manifests(rendered)
    assert not problems, "invalid objects: " + "; ".join(problems)


@then("the manifests hold these objects:")
def _objects(rendered: list[dict[str, Any]], datatable: list[list[str]]) -> None:
    missing = [
        f"{kind} {component}".strip()
        for kind, component in (row[:2] for row in datatable[1:])
        if not manifests.find_objects(rendered, kind.strip(), component.strip())
    ]
    assert not missing, f"the chart renders no {missing}"


@then(parsers.parse("the {component} Service is a NodePort on {port:d}"))
def _nodeport(rendered: list[dict[str, Any]], component: str, port: int) -> None:
    services = manifests.find_objects(rendered, "Service", component)
    assert services, f"no {component} Service"
    spec = services[0]["spec"]
    node_ports = [p.get("nodePort") for p in spec.get("ports", [])]
    assert spec.get("type") == "NodePort" and port in node_ports, (
        f"{component} Service is {spec.get('type')} with nodePorts {node_ports}"
    )


@then(parsers.parse("the {component} Service is a ClusterIP on port {port:d}"))
def _cluster_ip(rendered: list[dict[str, Any]], component: str, port: int) -> None:
    services = manifests.find_objects(rendered, "Service", component)
    assert services, f"no {component} Service"
    spec = services[0]["spec"]
    ports = [p.get("port") for p in spec.get("ports", [])]
    assert spec.get("type", "ClusterIP") == "ClusterIP" and port in ports, (
        f"{component} Service is {spec.get('type')} with ports {ports}"
    )


@then(parsers.parse("the rendered {component} Deployment has {replicas:d} replicas"))
def _replicas(rendered: list[dict[str, Any]], component: str, replicas: int) -> None:
    deployments = manifests.find_objects(rendered, "Deployment", component)
    assert deployments, f"no {component} Deployment"
    assert deployments[0]["spec"].get("replicas") == replicas, (
        f"{component} has {deployments[0]['spec'].get('replicas')} replicas"
    )


@then(parsers.parse('rendering the chart without "{key}" fails naming it'))
def _refuses_without(key: str, run_values_file: Path) -> None:
    message = _render_error([run_values_file], {key: ""})
    assert key in message, f"helm refused, but its message does not name {key}: {message[-400:]}"


@then(parsers.parse('rendering the chart with "{key}" set to "{value}" fails naming "{name}"'))
def _schema_rejects(key: str, value: str, name: str, run_values_file: Path) -> None:
    message = _render_error([run_values_file], {key: value})
    assert name in message, f"helm refused, but its message does not name {name}: {message[-400:]}"


@then(parsers.parse('the ConfigMap sets ENVIRONMENT to "{environment}"'))
def _configmap_environment(rendered: list[dict[str, Any]], environment: str) -> None:
    configmaps = manifests.find_objects(rendered, "ConfigMap")
    values = [cm.get("data", {}).get("ENVIRONMENT") for cm in configmaps]
    assert environment in values, f"ConfigMaps set ENVIRONMENT to {values}"


@then(parsers.parse("the {component}'s HorizontalPodAutoscaler scales the {target} Deployment"))
def _hpa_target(rendered: list[dict[str, Any]], component: str, target: str) -> None:
    """What the HPA acts on: its scaleTargetRef must name a Deployment of these manifests, the component's."""
    component_of = lambda m: (m["metadata"].get("labels") or {}).get("app.kubernetes.io/component")  # noqa: E731
    hpas = [
        m for m in manifests.find_objects(rendered, "HorizontalPodAutoscaler") if component_of(m) == component
    ]
    assert len(hpas) == 1, f"expected one HorizontalPodAutoscaler of the {component}, found {len(hpas)}"
    ref = hpas[0]["spec"]["scaleTargetRef"]
    deployments = {
        m["metadata"]["name"]: component_of(m) for m in manifests.find_objects(rendered, "Deployment")
    }
    assert ref.get("kind") == "Deployment" and ref.get("name") in deployments, (
        f"the HorizontalPodAutoscaler scales {ref.get('kind')}/{ref.get('name')}, which the manifests do not"
        f" hold (their Deployments: {sorted(deployments)}): it would scale nothing"
    )
    assert deployments[ref["name"]] == target, (
        f"the {component}'s HorizontalPodAutoscaler scales {ref['name']},"
        f" the {deployments[ref['name']]}'s Deployment"
    )
    spec = hpas[0]["spec"]
    assert 1 <= spec["minReplicas"] <= spec["maxReplicas"], f"minReplicas/maxReplicas: {spec}"


@then("every application container has resource requests and limits")
def _resources(rendered: list[dict[str, Any]]) -> None:
    workloads = [w for kind in ("Deployment", "StatefulSet") for w in manifests.find_objects(rendered, kind)]
    problems = manifests.missing_resources(workloads)
    assert not problems, "; ".join(problems)


@then("a dry-run install of the chart into a new namespace succeeds")
def _dry_run(cluster_info: ClusterInfo, built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    report = dry_run_install(cluster_info, built_images, namespace=f"tcb-dryrun-{secrets.token_hex(3)}")
    evidence.text(
        "dry run", "accepted:\n" + "\n".join(report.accepted) + "\nrejected:\n" + "\n".join(report.rejected)
    )
    assert report.accepted, "the dry run sent no object"
    assert report.ok, "the API server rejected: " + "; ".join(report.rejected)


@then("the release status is deployed")
def _deployed(release: Release, evidence: Evidence) -> None:
    status = release.status()
    evidence.json("helm status", status)
    assert status["status"] == "deployed", (
        f"release {release.name} is {status['status']}: {status['description']}"
    )


@then("helm test passes for the release")
def _helm_test(release: Release, evidence: Evidence) -> None:
    results = release.test()
    evidence.text("helm test", "\n\n".join(f"== {r.name}: {r.phase}\n{r.log}" for r in results))
    failed = [f"{r.name} ({r.phase}): {r.log[-300:]}" for r in results if not r.passed]
    assert not failed, f"helm test pods failed: {failed}"


@then(parsers.parse("the release notes name the URLs on ports {front:d} and {back:d}"))
def _notes(release: Release, evidence: Evidence, front: int, back: int) -> None:
    notes = release.notes()
    evidence.text("NOTES", notes)
    missing = [port for port in (front, back) if f":{port}" not in notes]
    assert not missing, f"the release notes do not show URLs on ports {missing}"


@then(parsers.parse("helm test of the {component} fails"))
def _helm_test_fails(
    request: pytest.FixtureRequest, release: Release, evidence: Evidence, component: str, timeouts: Timeouts
) -> None:
    """`helm test` shown able to fail: run while a service cannot serve, its check must fail (and with it
    the test pod: every service's check runs in it). Read as soon as that check has ended (3 s after another
    check of the pod had an answer, see chart/templates/tests); `helm test` runs on to its end beside the
    scenario's next steps (the frontend has no endpoints either), and the scenario waits for it before it
    ends."""
    results, helm_run = release.test_checks([component])
    request.addfinalizer(lambda: helm_run.join(timeouts.helm_test))
    evidence.text(
        f"helm test of the {component} while it cannot serve",
        "\n\n".join(f"== {r.name}: {r.phase}\n{r.log}" for r in results),
    )
    assert results, "helm test ran no test pod"
    assert any(not r.passed for r in results), (
        f"helm test passed although the {component} cannot serve: its checks cannot tell a broken release"
        f" from a working one ({[(r.name, r.phase) for r in results]})"
    )


@then("Chart.yaml's name, version and appVersion label every rendered object")
def _chart_versions(rendered: list[dict[str, Any]], evidence: Evidence) -> None:
    chart = yaml.safe_load((REPO / "chart" / "Chart.yaml").read_text())
    missing = [key for key in ("name", "version", "appVersion") if not str(chart.get(key) or "").strip()]
    assert not missing, f"Chart.yaml lacks {missing}"
    evidence.text("Chart.yaml", f"{chart['name']} {chart['version']} (appVersion {chart['appVersion']})")
    want = {
        "helm.sh/chart": f"{chart['name']}-{chart['version']}",
        "app.kubernetes.io/version": str(chart["appVersion"]),
    }
    wrong = [
        f"{m['kind']}/{m['metadata']['name']}: {key}={labels.get(key)!r}"
        for m in rendered
        for labels in [m["metadata"].get("labels") or {}]
        for key, value in want.items()
        if labels.get(key) != value
    ]
    assert not wrong, f"objects not labelled with the chart's version {want}: {wrong}"


@then(
    "every rendered object carries the chart's name and instance labels, and each selector matches its pods"
)
def _helpers_labels(rendered: list[dict[str, Any]]) -> None:
    """What _helpers.tpl's name, labels and selector helpers are for, observed in what they render."""
    problems = []
    for m in rendered:
        labels = m["metadata"].get("labels") or {}
        name = f"{m['kind']}/{m['metadata']['name']}"
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"):
            if not labels.get(key):
                problems.append(f"{name} has no {key} label")
        selector = (m.get("spec") or {}).get("selector") or {}
        match = selector.get("matchLabels") if m["kind"] in ("Deployment", "StatefulSet") else None
        if match is not None:
            pod_labels = m["spec"]["template"]["metadata"].get("labels") or {}
            if not match or any(pod_labels.get(k) != v for k, v in match.items()):
                problems.append(f"{name}: selector {match} does not match its pod labels {pod_labels}")
        if m["kind"] == "Service" and selector:
            targets = [
                w
                for w in rendered
                if w["kind"] in ("Deployment", "StatefulSet")
                and all(
                    (w["spec"]["template"]["metadata"].get("labels") or {}).get(k) == v
                    for k, v in selector.items()
                )
            ]
            if not targets:
                problems.append(f"{name}: selector {selector} matches no workload's pods")
    assert not problems, "; ".join(problems)


@then("the rendered Secret holds BETTER_AUTH_SECRET, POSTGRES_PASSWORD and each service's database URL")
def _secret_holds(rendered: list[dict[str, Any]], run_values_file: Path) -> None:
    """This run's secrets, and a database URL per service role (each with its own password, derived from the
    superuser's), all in the one Secret."""
    values = yaml.safe_load(run_values_file.read_text())["secrets"]
    decoded = _rendered_secret(rendered)
    assert decoded.get("BETTER_AUTH_SECRET") == values["betterAuthSecret"], (
        "BETTER_AUTH_SECRET is not this run's"
    )
    assert decoded.get("POSTGRES_PASSWORD") == values["postgresPassword"], (
        "POSTGRES_PASSWORD is not this run's"
    )
    for service in ("BACKEND", "CHATBOT"):
        url = decoded.get(f"{service}_DATABASE_URL", "")
        password = decoded.get(f"{service}_DB_PASSWORD", "")
        assert url.startswith("postgresql"), f"{service}_DATABASE_URL is not a PostgreSQL URL: {url[:20]!r}"
        assert password and password in url, f"{service}_DATABASE_URL does not carry its role's password"
        assert values["postgresPassword"] not in url, f"{service}_DATABASE_URL logs in as the superuser"


@then("an LLM API key given to the chart is rendered into the Secret and nowhere else")
def _llm_key_in_secret(run_values_file: Path) -> None:
    key = f"sk-or-v1-{secrets.token_hex(24)}"
    rendered = manifests.parse_manifests(
        helm.template(values_files=[run_values_file], set_values={"secrets.openrouterApiKey": key})
    )
    assert _rendered_secret(rendered).get("OPENROUTER_API_KEY") == key, "the Secret does not hold the API key"
    elsewhere = [
        f"{m['kind']}/{m['metadata']['name']}"
        for m in rendered
        if m["kind"] != "Secret" and key in yaml.safe_dump(m)
    ]
    assert not elsewhere, f"the API key is rendered outside the Secret: {elsewhere}"


def _rendered_secret(manifests: list[dict[str, Any]]) -> dict[str, str]:
    found = [m for m in manifests if m["kind"] == "Secret"]
    assert len(found) == 1, f"expected one Secret, the chart renders {len(found)}"
    data = found[0].get("data") or {}
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


@then("helm refuses a misspelt key in every object of the chart's values, naming where")
def _schema_refuses_misspelt_keys(run_values_file: Path, tmp_path: Path, evidence: Evidence) -> None:
    """Behaviour, not the schema's text: one render with a misspelt key put into every object a user can set
    (each mapping of values.yaml and each object the schema declares); helm must refuse each of them."""
    values = yaml.safe_load((REPO / "chart" / "values.yaml").read_text())
    schema = json.loads((REPO / "chart" / "values.schema.json").read_text())
    paths = manifests.value_object_paths(values, schema)
    override = tmp_path / "misspelt-values.yaml"
    override.write_text(yaml.safe_dump(manifests.misspelt_values(paths)))
    message = _render_error([run_values_file, override])
    accepted = sorted(set(paths) - manifests.paths_refusing(message))
    evidence.figure("value objects probed with a misspelt key", len(paths))
    evidence.text("objects that accepted a misspelt key", "\n".join(p or "/" for p in accepted) or "none")
    assert not accepted, (
        f"helm accepted a misspelt key {manifests.MISSPELT_KEY!r} in {len(accepted)} of {len(paths)} objects "
        f"of the chart's values (a typo there is silently ignored): {[p or '/' for p in accepted]}"
    )
