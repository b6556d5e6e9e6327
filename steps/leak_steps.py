"""Steps that look for the release's secrets where they could really leak: the release notes, the rendered
manifests, pod specs, pod logs, a diagnostics bundle (plain and base64), and key material in image files."""

from __future__ import annotations

import yaml
from pytest_bdd import given, then

from harness import diagnostics, leak_scan
from harness.checks import repository, usable_secrets
from harness.components import APP_COMPONENTS
from harness.images import ImageRef
from harness.k8s import K8s
from harness.proc import run
from harness.release import Release
from steps.evidence import Evidence


@given("the release's real secret values", target_fixture="real_secrets")
def _real_secrets(release: Release, k8s: K8s, evidence: Evidence) -> set[str]:
    """Read from the namespace's Secret objects (what the cluster holds), not from the harness's own list."""
    values = set(usable_secrets(diagnostics.namespace_secret_values(k8s, release.namespace)))
    evidence.figure("secret values searched for (from the cluster's Secrets)", len(values))
    assert values, "the release's Secrets hold no value to search for"
    return values


@then("the release notes hold none of them")
def _notes_clean(release: Release, real_secrets: set[str]) -> None:
    notes = release.notes()
    leaks = leak_scan.leaks_in({"NOTES": notes}, real_secrets)
    assert not leaks, f"the release notes show secrets: {[str(x) for x in leaks]}"


@then("the rendered manifests hold them only in Secret objects")
def _manifests_clean(release: Release, real_secrets: set[str], evidence: Evidence) -> None:
    manifest = run(release.helm_argv("get", "manifest", release.name), quiet=True).stdout
    places = {}
    for index, doc in enumerate(d for d in yaml.safe_load_all(manifest) if d):
        if doc.get("kind") == "Secret":
            continue
        places[f"{doc.get('kind')}/{doc.get('metadata', {}).get('name', index)}"] = yaml.safe_dump(doc)
    evidence.figure("rendered objects searched", len(places))
    assert places, "the release rendered no object besides Secrets"
    leaks = leak_scan.leaks_in(places, real_secrets)
    assert not leaks, f"secrets outside Secret objects: {[str(x) for x in leaks]}"


@then("no pod spec of the release holds any of them")
def _pod_specs_clean(release: Release, k8s: K8s, real_secrets: set[str], evidence: Evidence) -> None:
    pods = k8s.pods(release.namespace)
    places = {
        f"pod/{p.metadata.name}": yaml.safe_dump(k8s.api_client.sanitize_for_serialization(p)) for p in pods
    }
    evidence.figure("pod specs searched", len(places))
    assert places, "no pod in the release's namespace"
    leaks = leak_scan.leaks_in(places, real_secrets)
    assert not leaks, f"secrets in pod specs: {[str(x) for x in leaks]}"


@then("no pod log of the release holds any of them")
def _pod_logs_clean(release: Release, k8s: K8s, real_secrets: set[str], evidence: Evidence) -> None:
    places = {}
    for pod in k8s.pods(release.namespace):
        for container in [*(pod.spec.init_containers or []), *pod.spec.containers]:
            try:
                places[f"{pod.metadata.name}/{container.name}"] = k8s.logs(
                    release.namespace, pod.metadata.name, container.name
                )
            except Exception as exc:  # a container that has not started has no log yet
                places[f"{pod.metadata.name}/{container.name}"] = f"(no log: {exc})"
    evidence.figure("container logs searched", len(places))
    leaks = leak_scan.leaks_in(places, real_secrets)
    assert not leaks, f"secrets in pod logs: {[str(x) for x in leaks]}"


@then("no application image holds a local secret file or key material")
def _images_hold_no_key_material(built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    findings = {name: leak_scan.scan_saved_image(image.ref) for name, image in built_images.items()}
    evidence.json("key material per image", findings)
    found = {name: f for name, f in findings.items() if f}
    assert not found, f"images carrying secret files or key material: {found}"


@then("no application image's own files hold a secret-looking value (detect-secrets, high-entropy strings)")
def _images_own_files_clean(built_images: dict[str, ImageRef], evidence: Evidence) -> None:
    """Not only this run's secrets: a key generated at build time, or a token pasted into a file the build
    copies, is in no Secret. Searched in the files each image's own stage adds (not its base, not the
    third-party distributions it installs from pinned wheels)."""
    from harness.checks.images import own_files

    findings = {}
    for name, image in built_images.items():
        if name not in APP_COMPONENTS:
            continue
        findings[name] = leak_scan.secret_looking_files(own_files(image.ref, contents=True))
    evidence.json("secret-looking values per image", findings)
    found = {name: f for name, f in findings.items() if f}
    assert not found, f"images whose own files hold secret-looking values: {found}"


@then("no tracked file holds any of them")
def _tracked_files_clean(real_secrets: set[str]) -> None:
    """The working tree as it is now, after the harness wrote its values files: a secret the run wrote into a
    tracked file would be committed by the next `git commit -a`."""
    files = repository.files_holding(real_secrets)
    assert not files, f"tracked files hold a secret of this release: {files}"
