"""The one HTTP client for the app (backend API, chat, health): typed calls that raise with status + body."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from harness import http_client

JSON = Any


class AppError(RuntimeError):
    """An unexpected HTTP status from the app; the message carries the request, the status and the body."""

    def __init__(self, response: httpx.Response, expected: tuple[int, ...]) -> None:
        self.response = response
        self.status = response.status_code
        self.body = response.text
        request = response.request
        wanted = "/".join(map(str, expected))
        super().__init__(
            f"{request.method} {request.url} -> {response.status_code} (expected {wanted}): {self.body[:800]}"
        )


class AppClient:
    """Calls the app at base_url (backend directly, or the frontend, which proxies /api/*).

    Calls that succeed return the decoded JSON; `raw()` returns the response for tests of error statuses.
    After signup()/login() the client carries the user's token.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 15.0,  # each request's bound, not a wait
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.user: JSON = None
        self._http = http_client.client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def with_token(self, token: str | None) -> AppClient:
        """Another client on the same app with a different token (e.g. a second user, or none)."""
        return AppClient(
            self.base_url,
            token,
            timeout=self._http.timeout.read or 15.0,
            transport=getattr(self._http, "_transport", None),
        )

    # --- plumbing -----------------------------------------------------------------------------------------
    def raw(
        self, method: str, path: str, *, token: str | bool | None = True, **kwargs: Any
    ) -> httpx.Response:
        """Send a request and return the response whatever its status. token=True uses the client's token,
        None/False sends none, a string sends that one."""
        headers = dict(kwargs.pop("headers", {}) or {})
        bearer = self.token if token is True else (token or None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return self._http.request(method, path, headers=headers, **kwargs)

    def call(self, method: str, path: str, *, expected: tuple[int, ...] = (200,), **kwargs: Any) -> JSON:
        response = self.raw(method, path, **kwargs)
        if response.status_code not in expected:
            raise AppError(response, expected)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- health -------------------------------------------------------------------------------------------
    def health(self) -> JSON:
        return self.call("GET", "/api/health", token=None)

    def ready(self) -> JSON:
        return self.call("GET", "/api/ready", token=None)

    # --- auth ---------------------------------------------------------------------------------------------
    def signup(self, email: str, password: str, name: str | None = None) -> JSON:
        body: dict[str, Any] = {"email": email, "password": password}
        if name is not None:
            body["name"] = name
        data = self.call("POST", "/api/auth/signup", json=body, expected=(201,), token=None)
        self.token, self.user = data["access_token"], data["user"]
        return data

    def login(self, email: str, password: str) -> JSON:
        data = self.call("POST", "/api/auth/login", json={"email": email, "password": password}, token=None)
        self.token, self.user = data["access_token"], data["user"]
        return data

    def me(self) -> JSON:
        return self.call("GET", "/api/auth/me")

    def signup_new_user(self, name: str = "Acceptance User") -> tuple[str, str]:
        """Sign up a fresh user with a unique email and a random password; returns (email, password)."""
        email = f"user-{secrets.token_hex(6)}@example.test"
        password = secrets.token_urlsafe(12)
        self.signup(email, password, name)
        return email, password

    # --- tasks --------------------------------------------------------------------------------------------
    def list_tasks(self, status: str | None = None, priority: str | None = None) -> list[JSON]:
        params = {k: v for k, v in (("status", status), ("priority", priority)) if v is not None}
        return list(self.call("GET", "/api/tasks", params=params))

    def create_task(self, title: str, **fields: Any) -> JSON:
        return self.call("POST", "/api/tasks", json={"title": title, **fields}, expected=(201,))

    def get_task(self, number: int) -> JSON:
        return self.call("GET", f"/api/tasks/{number}")

    def update_task(self, number: int, **fields: Any) -> JSON:
        return self.call("PATCH", f"/api/tasks/{number}", json=fields)

    def delete_task(self, number: int) -> None:
        self.call("DELETE", f"/api/tasks/{number}", expected=(204,))

    def clear_completed(self) -> list[int]:
        return list(self.call("DELETE", "/api/tasks", params={"status": "completed"})["deleted"])

    # --- chat ---------------------------------------------------------------------------------------------
    def chat(self, message: str, conversation_id: str | None = None, client_time: str | None = None) -> JSON:
        body: dict[str, Any] = {"message": message}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        if client_time is not None:
            body["client_time"] = client_time
        return self.call("POST", "/api/chat", json=body)
