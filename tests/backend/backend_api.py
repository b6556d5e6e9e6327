"""Small helpers the backend tests share: sign up, read a user's tasks."""

from __future__ import annotations

import httpx

# Long and random-looking enough for production settings; only ever used by tests.
SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


TEST_PASSWORD = "correct horse"  # a throwaway test account


async def sign_up(client: httpx.AsyncClient, email: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """Create an account and return the Authorization header for it."""
    response = await client.post("/api/auth/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def task_list(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get("/api/tasks", headers=headers)
    assert response.status_code == 200, response.text
    tasks: list[dict[str, object]] = response.json()
    return tasks
