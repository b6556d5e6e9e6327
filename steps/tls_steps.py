"""Steps for the chart's TLS option: a second release whose frontend serves HTTPS with a self-signed
certificate from a Secret (harness/tls.py), checked against its CA, and a user who signs up and logs in
through the HTTPS forms. The same second release is where durability.feature restores a backup."""

from __future__ import annotations

import re
import secrets
import ssl
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pytest_bdd import given, then

from harness.clusters.base import ClusterInfo
from harness.k8s import K8s
from harness.log import get_logger
from harness.release import Release
from harness.timeouts import Timeouts
from harness.tls import TlsBundle, prepare_release_tls, ssl_context
from steps.evidence import Evidence
from steps.session import HarnessSession

log = get_logger("plugin")

HIDDEN_INPUT = re.compile(r"<input[^>]*type=\"hidden\"[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r"(name|value)=\"([^\"]*)\"")


@dataclass
class SecondRelease:
    release: Release
    bundle: TlsBundle
    frontend: str  # https://<node>:<NodePort>
    backend: str  # http://<node>:<NodePort>


# one replica each: it only has to serve its scenarios, beside the run's release, on 2 cores
SECOND_RELEASE_VALUES = {
    "tls.enabled": True,
    "tls.secretName": "second-tls",  # pragma: allowlist secret
    "backend.replicaCount": 1,
    "frontend.replicaCount": 1,
    "backend.podDisruptionBudget.enabled": False,
    "frontend.podDisruptionBudget.enabled": False,
}


class SecondReleaseInstall:
    """The second release's install, run in a thread of its own: started beside the run's own install when
    the run has a scenario that needs it (steps/fixtures.py: the two installs' waits overlap), else when a
    scenario first asks. `cleanup` waits for it to end and deletes its namespace (volume included)."""

    def __init__(
        self, harness_session: HarnessSession, cluster_info: ClusterInfo, k8s: K8s, images: Mapping[str, Any]
    ) -> None:
        self.hs, self.info, self.k8s, self.images = harness_session, cluster_info, k8s, images
        self.namespace = f"{harness_session.namespace}-2"[:63]
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="second-release")
        self._future: Future[SecondRelease] | None = None

    def start(self) -> None:
        if self._future is None:
            log.info("installing the second release (namespace %s) in the background", self.namespace)
            self._future = self._executor.submit(self._install)

    def result(self) -> SecondRelease:
        """The installed release (waits for the install; raises what it raised)."""
        self.start()
        assert self._future is not None
        second = self._future.result()
        self.hs.secret_values |= set(second.release.secret_values)
        return second

    def _install(self) -> SecondRelease:
        from harness.release import install_release

        bundle = prepare_release_tls(self.info, self.k8s, self.namespace, "second-tls")
        rel = install_release(
            self.info,
            self.images,
            namespace=self.namespace,
            release="second",
            set_values=SECOND_RELEASE_VALUES,
            timeouts=self.hs.timeouts,
            k8s=self.k8s,
        )
        host = self.info.node_address
        return SecondRelease(
            rel,
            bundle,
            f"https://{host}:{rel.node_port('frontend')}",
            f"http://{host}:{rel.node_port('backend')}",
        )

    def cleanup(self, session: pytest.Session) -> None:
        if self._future is None:
            return
        try:  # a failure was reported by the scenario that used it; here it is only logged
            self._future.result(timeout=self.hs.timeouts.install)
        except Exception as exc:
            log.info("the second release's install failed: %s", exc)
        self._executor.shutdown(wait=False)
        if not self.hs.keep_everything(session):
            # the retained data volume goes with its namespace; the k8s fixture waits until it is gone
            self.k8s.delete_namespace(self.namespace, wait=False)
            self.hs.deleting_namespaces.append(self.namespace)


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


@given("a second release serving the frontend over HTTPS", target_fixture="https_release")
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
        response = httpx.get(f"{plain}/login", timeout=timeouts.request)
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
