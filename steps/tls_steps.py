"""Steps for the chart's TLS option: a second release whose frontend serves HTTPS with a self-signed
certificate from a Secret (harness/tls.py), checked against its CA, and a user who signs up and logs in
through the HTTPS forms. The same second release is where durability.feature restores a backup."""

from __future__ import annotations

import re
import secrets
import ssl
from collections.abc import Iterator

import httpx
import pytest
from pytest_bdd import given, then

from harness import http_client
from harness.clusters.base import ClusterInfo
from harness.k8s import K8s
from harness.timeouts import Timeouts
from harness.tls import ssl_context
from steps.evidence import Evidence
from steps.second_release import SECOND_RELEASE_STEPS, SecondRelease, SecondReleaseInstall
from steps.session import HarnessSession

HIDDEN_INPUT = re.compile(r"<input[^>]*type=\"hidden\"[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r"(name|value)=\"([^\"]*)\"")


@pytest.fixture(scope="session")
def second_release(
    request: pytest.FixtureRequest, harness_session: HarnessSession, cluster_info: ClusterInfo, k8s: K8s
) -> Iterator[SecondRelease]:
    """A second release of the chart in a new namespace, its frontend on HTTPS (tls.enabled) with a
    self-signed certificate; the namespace (and its retained data volume) is deleted at the end."""
    install = harness_session.second_release_install
    if install is not None:  # started beside the run's release, which cleans it up
        yield install.result()
        return
    install = SecondReleaseInstall(
        harness_session, cluster_info, k8s, request.getfixturevalue("loaded_images")
    )
    try:
        yield install.result()
    finally:
        install.cleanup(request.session)


@given(SECOND_RELEASE_STEPS[0], target_fixture="https_release")
def _https_release(second_release: SecondRelease, k8s: K8s, timeouts: Timeouts) -> SecondRelease:
    # the release may just have had its backend stopped and started again (a restore): its frontend is
    # ready again once it reaches the backend
    rel = second_release.release
    k8s.wait_pods_ready(rel.namespace, rel.component_selector("frontend"), timeout=timeouts.pods_ready)
    return second_release


@then("the frontend's certificate is the one from the release's Secret, valid for the node's address")
def _certificate(https_release: SecondRelease, evidence: Evidence) -> None:
    response = httpx.get(f"{https_release.frontend}/api/health", verify=ssl_context(https_release.bundle))
    assert response.status_code == 200, response.text[:200]
    host, port = https_release.frontend.removeprefix("https://").rsplit(":", 1)
    served = ssl.get_server_certificate((host, int(port)))
    expected = https_release.bundle.cert_pem.decode()
    evidence.text("served certificate", served)
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(expected), (
        "another certificate is served"
    )


@then("plain HTTP on the frontend's port gets no page")
def _no_plain_http(https_release: SecondRelease, timeouts: Timeouts) -> None:
    plain = https_release.frontend.replace("https://", "http://", 1)
    try:
        response = http_client.get(f"{plain}/login", timeout=timeouts.request)
    except httpx.HTTPError:
        return  # the TLS server drops a plain-HTTP request: nothing served in clear text
    assert response.status_code >= 400 and "login-form" not in response.text, (
        f"plain HTTP got a page: {response.status_code}"
    )


def _form_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's form (a CSRF token, if the form has one), to post back with it."""
    fields = {}
    for tag in HIDDEN_INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def _submit(client: httpx.Client, path: str, fields: dict[str, str]) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, f"GET {path}: {page.status_code}"
    return client.post(path, data={**_form_fields(page.text), **fields})


@then("a user signs up, logs out and logs in again through the HTTPS frontend with a Secure session cookie")
def _login_over_https(https_release: SecondRelease, evidence: Evidence) -> None:
    email = f"tls-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)
    with httpx.Client(base_url=https_release.frontend, verify=ssl_context(https_release.bundle)) as client:
        signed_up = _submit(client, "/signup", {"email": email, "password": password, "name": "TLS User"})
        assert signed_up.status_code == 303, f"signup: {signed_up.status_code} {signed_up.text[:200]}"
        client.cookies.clear()  # logged out: a new session must come from the login form
        logged_in = _submit(client, "/login", {"email": email, "password": password})
        assert logged_in.status_code == 303, f"login: {logged_in.status_code} {logged_in.text[:200]}"
        cookie = logged_in.headers.get("set-cookie", "")
        evidence.text(
            "login response over HTTPS", f"{logged_in.status_code} set-cookie: {cookie.split('=')[0]}=…"
        )
        assert "secure" in cookie.lower(), f"the session cookie is not Secure: {cookie.split(';', 1)[-1]}"
        home = client.get("/")
        assert home.status_code == 200 and 'data-testid="logout"' in home.text, "not signed in after login"
