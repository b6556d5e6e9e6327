"""The verify checks (the original verify.sh's six points) against an installed release: what `tcb verify`
and the operations scenario run."""

from __future__ import annotations

from typing import Any

from harness.components import APP_COMPONENTS
from harness.timeouts import DEFAULT_TIMEOUTS, Timeouts

VERIFY_CHECKS = (
    "pods running",
    "services present",
    "frontend reachable",
    "backend health",
    "api docs",
    "signup and login",
)


def verify_release(
    k8s: Any,
    namespace: str,
    selector: str,
    frontend: str,
    backend: str,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> dict[str, str]:
    """The six checks of the original verify.sh against an installed release: check name -> problem
    ("" when it passed). Each check runs even if an earlier one failed, so the result names every problem."""
    from harness import http_client
    from harness.app_client import AppClient
    from harness.k8s import pod_ready, pod_summary

    def pods_running() -> str:
        # the app's pods: not `helm test` pods, whose last verdict (passed or failed) is helm test's to report
        pods = [
            p
            for p in k8s.pods(namespace, selector)
            if p.status.phase != "Succeeded" and "helm.sh/hook" not in (p.metadata.annotations or {})
        ]
        bad = [pod_summary(p) for p in pods if p.status.phase != "Running" or not pod_ready(p)]
        return "no pods" if not pods else "; ".join(bad)

    def services_present() -> str:
        components = {
            (s.metadata.labels or {}).get("app.kubernetes.io/component")
            for s in k8s.services(namespace, selector)
        }
        missing = [c for c in APP_COMPONENTS if c not in components]
        return f"no Service for {missing}" if missing else ""

    def answers(url: str, expect: str = "") -> str:
        response = http_client.get(url, timeout=timeouts.request, follow_redirects=True)
        if response.status_code != 200:
            return f"{url} answered {response.status_code}"
        return "" if expect.lower() in response.text.lower() else f"{url} does not show {expect!r}"

    def backend_health() -> str:
        body = AppClient(backend).health()
        return "" if body.get("status") == "ok" else f"/api/health said {body}"

    def signup_and_login() -> str:
        with AppClient(backend) as client:
            email, password = client.signup_new_user("Verify User")
            client.login(email, password)
            me = client.me()
        return "" if me.get("email") == email else f"/api/auth/me returned {me}"

    checks = {
        "pods running": pods_running,
        "services present": services_present,
        "frontend reachable": lambda: answers(f"{frontend}/", "<html"),
        "backend health": backend_health,
        "api docs": lambda: answers(f"{backend}/docs", "swagger"),
        "signup and login": signup_and_login,
    }
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that cannot even run has failed: say why
            results[name] = f"{type(exc).__name__}: {exc}"
    return results
