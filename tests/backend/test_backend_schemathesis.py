"""Property-based API testing with schemathesis: generated requests (valid and invalid) against the real
server (uvicorn + PostgreSQL), authenticated as a user who has tasks; no response may be a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from backend_api import running_backend

from harness.pgserver import PostgresServer


@pytest.mark.postgres
def test_generated_requests_never_get_a_server_error(pg_server: PostgresServer, tmp_path: Path) -> None:
    url = pg_server.create_database("schemathesis")
    with running_backend(url, tmp_path / "backend.log") as backend:
        base = backend.url
        signup = httpx.post(
            f"{base}/api/auth/signup", json={"email": "fuzz@example.com", "password": "fuzz-pass"}
        )
        token = signup.json()["access_token"]
        for title in ("existing one", "existing two"):
            httpx.post(
                f"{base}/api/tasks", json={"title": title}, headers={"Authorization": f"Bearer {token}"}
            )
        result = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json",
                "--checks", "not_a_server_error",
                "--header", f"Authorization: Bearer {token}",
                "--phases", "examples,coverage,fuzzing",
                "--max-examples", "20",
                "--generation-database", "none",
                "--request-timeout", "10",
                "--seed", "20261123",
                "--no-color",
                "--report", "junit", "--report-dir", str(tmp_path / "schemathesis"),
            ],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )  # fmt: skip
        server_log = (tmp_path / "backend.log").read_text()
    assert result.returncode == 0, (
        f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}\nserver:\n{server_log[-3000:]}"
    )
    junit = next((tmp_path / "schemathesis").glob("junit*.xml"))
    report = ElementTree.parse(junit).getroot()  # noqa: S314 - a report this test just had written
    tested = {case.get("name") for case in report.iter("testcase")}
    assert {
        "POST /api/tasks",
        "PATCH /api/tasks/{number}",
        "DELETE /api/tasks",
        "POST /api/auth/signup",
    } <= tested
    assert (report.get("failures"), report.get("errors")) == ("0", "0")
    assert " 500 " not in server_log
