"""A diagnostics bundle for a failed check: what a person would look at first, written to a directory.

pods (status lines, logs current + previous for restarted containers), events oldest first, describe of
unready pods and of every Deployment/StatefulSet (kubectl when available, else the object's YAML), helm status
and values. Every secret value of the namespace (and every value under a secret-looking key) is redacted.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from harness import proc
from harness.k8s import K8s, event_time, pod_ready, pod_summary
from harness.log import get_logger
from harness.paths import TOOLS_BIN, ensure
from harness.timeouts import DEFAULT_TIMEOUTS

log = get_logger("diagnostics")

REDACTED = "***REDACTED***"
SECRET_KEY = re.compile(
    r"(secret|password|passwd|token|api[_-]?key|databaseurl|database_url|credential)", re.I
)
SUMMARY_FILE = "SUMMARY.txt"


def redact_values(obj: Any) -> Any:
    """A copy of a values tree with every non-empty value under a secret-looking key replaced."""
    if isinstance(obj, dict):
        return {
            k: (
                REDACTED
                if SECRET_KEY.search(str(k)) and obj_has_value(v) and not isinstance(v, dict)
                else redact_values(v)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [redact_values(v) for v in obj]
    return obj


def obj_has_value(value: Any) -> bool:
    return value not in (None, "", [], {})


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret value wherever it occurs (longest first: a URL holding a password goes whole)."""
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def namespace_secret_values(k8s: K8s, namespace: str) -> set[str]:
    """Every decoded value of every Secret in the namespace (so they can be scrubbed from logs and dumps)."""
    values: set[str] = set()
    for secret in k8s.core.list_namespaced_secret(namespace).items:
        for encoded in (secret.data or {}).values():
            try:
                values.add(base64.b64decode(encoded).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    return values


class _Writer:
    def __init__(self, out_dir: Path, secrets: set[str]) -> None:
        self.out_dir = ensure(out_dir)
        self.secrets = secrets

    def write(self, name: str, text: str) -> Path:
        path = self.out_dir / name
        ensure(path.parent)
        path.write_text(scrub(text, self.secrets))
        return path


def collect_bundle(
    k8s: K8s,
    namespace: str,
    release: str | None,
    out_dir: Path,
    *,
    helm: Path | None = None,
    extra_secrets: Iterable[str] = (),
    log_tail_lines: int = 400,
) -> Path:
    """Write the bundle to out_dir and return it; SUMMARY.txt there is the short text for the report.

    Never raises for what it cannot fetch: each failure is written down in the bundle instead.
    """
    try:
        secrets = namespace_secret_values(k8s, namespace)
    except Exception as exc:  # without the Secrets we still redact by key and extra_secrets
        log.warning("could not read the namespace's secrets for redaction: %s", exc)
        secrets = set()
    writer = _Writer(out_dir, secrets | set(extra_secrets))
    summary: list[str] = [f"namespace {namespace}" + (f", release {release}" if release else "")]
    problems: list[str] = []

    def attempt(what: str, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # a bundle is best effort; say what could not be collected
            problems.append(f"{what}: {_error_text(exc)}")

    def pods_and_logs() -> None:
        pods = k8s.pods(namespace)
        writer.write("pods.txt", "\n".join(pod_summary(p) for p in pods) + "\n")
        unready = [p for p in pods if not pod_ready(p) and p.status.phase != "Succeeded"]
        summary.append(f"{len(pods)} pods, {len(unready)} not ready")
        summary.extend(f"  {pod_summary(p)}" for p in unready)
        for pod in pods:
            for status in pod.status.container_statuses or []:
                if not (
                    status.restart_count
                    or (status.state and (status.state.running or status.state.terminated))
                ):
                    continue  # never started: there is no log to fetch (its waiting reason is in pods.txt)
                base = f"logs/{pod.metadata.name}__{status.name}"
                attempt(
                    f"logs of {pod.metadata.name}/{status.name}",
                    lambda p=pod, s=status, b=base: writer.write(
                        f"{b}.log", k8s.logs(namespace, p.metadata.name, s.name, tail_lines=log_tail_lines)
                    ),
                )
                if status.restart_count:
                    attempt(
                        f"previous logs of {pod.metadata.name}/{status.name}",
                        lambda p=pod, s=status, b=base: writer.write(
                            f"{b}.previous.log",
                            k8s.logs(
                                namespace, p.metadata.name, s.name, previous=True, tail_lines=log_tail_lines
                            ),
                        ),
                    )
        for pod in unready:
            attempt(
                f"describe pod {pod.metadata.name}",
                lambda p=pod: writer.write(
                    f"describe/pod-{p.metadata.name}.txt",
                    _describe(k8s, namespace, "pod", p.metadata.name, p),
                ),
            )

    def events() -> None:
        items = k8s.events(namespace)
        lines = [
            f"{event_time(e).isoformat()} {e.type} {e.reason} "
            f"{e.involved_object.kind}/{e.involved_object.name}: {(e.message or '').strip()}"
            + (f" (x{e.count})" if e.count and e.count > 1 else "")
            for e in items
        ]
        writer.write("events.txt", "\n".join(lines) + "\n")
        warnings = [line for line, e in zip(lines, items, strict=True) if e.type == "Warning"]
        summary.append(f"{len(items)} events, {len(warnings)} warnings" + (":" if warnings else ""))
        summary.extend(f"  {w[:300]}" for w in warnings[-8:])

    def workloads() -> None:
        for kind, name in k8s.workloads(namespace):
            obj = (
                k8s.apps.read_namespaced_deployment(name, namespace)
                if kind == "Deployment"
                else k8s.apps.read_namespaced_stateful_set(name, namespace)
            )
            writer.write(
                f"describe/{kind.lower()}-{name}.txt", _describe(k8s, namespace, kind.lower(), name, obj)
            )

    def helm_state() -> None:
        if helm is None or release is None:
            return
        base = [str(helm), "--kubeconfig", str(k8s.kubeconfig), "--namespace", namespace]
        if k8s.context:
            base += ["--kube-context", k8s.context]
        status = proc.run([*base, "status", release], check=False, quiet=True)
        writer.write("helm-status.txt", status.stdout + status.stderr)
        values = proc.run(
            [*base, "get", "values", release, "--all", "--output", "json"], check=False, quiet=True
        )
        if values.returncode == 0:
            writer.write("helm-values.yaml", yaml.safe_dump(redact_values(json.loads(values.stdout or "{}"))))
        else:
            writer.write("helm-values.yaml", f"# helm get values failed: {values.stderr}")

    attempt("pods", pods_and_logs)
    attempt("events", events)
    attempt("workloads", workloads)
    attempt("helm status/values", helm_state)
    if problems:
        summary.append("could not collect: " + "; ".join(problems))
        writer.write("collection-errors.txt", "\n".join(problems) + "\n")
    writer.write(SUMMARY_FILE, "\n".join(summary) + "\n")
    log.info("diagnostics bundle written to %s", out_dir)
    return out_dir


def bundle_summary(bundle: Path) -> str:
    path = bundle / SUMMARY_FILE
    return path.read_text() if path.is_file() else f"(no {SUMMARY_FILE} in {bundle})"


def kubectl() -> str | None:
    """A kubectl binary: the pinned tools dir, the local cluster's build cache, or PATH."""
    cached = sorted((TOOLS_BIN.parent / "k8s").glob("*/bin"), reverse=True)
    return proc.which("kubectl", TOOLS_BIN, *cached)


def _describe(k8s: K8s, namespace: str, kind: str, name: str, obj: Any) -> str:
    binary = kubectl()
    if binary:
        argv = [binary, "--kubeconfig", str(k8s.kubeconfig), "-n", namespace, "describe", kind, name]
        if k8s.context:
            argv[1:1] = ["--context", k8s.context]
        result = proc.run(argv, check=False, quiet=True, timeout=DEFAULT_TIMEOUTS.command)
        if result.returncode == 0:
            return result.stdout
    data = k8s.api_client.sanitize_for_serialization(obj)
    data.get("metadata", {}).pop("managedFields", None)
    return yaml.safe_dump(data, sort_keys=False)


def _error_text(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if body:  # an ApiException: its Status message says it best
        try:
            return f"{getattr(exc, 'status', '')} {json.loads(body).get('message', '')}".strip()
        except (ValueError, AttributeError):
            pass
    return f"{type(exc).__name__}: {str(exc)[:300]}"
