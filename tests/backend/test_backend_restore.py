"""POST /api/tasks/{number}/restore: a deleted task back under its own number (the chatbot's undo)."""

from __future__ import annotations

import httpx
import pytest
from backend_api import sign_up

pytestmark = pytest.mark.anyio


async def test_a_deleted_task_comes_back_with_its_number_and_fields(client: httpx.AsyncClient) -> None:
    auth = await sign_up(client, "restore@example.com")
    for title in ("one", "two", "three"):
        assert (await client.post("/api/tasks", json={"title": title}, headers=auth)).status_code == 201
    assert (await client.delete("/api/tasks/2", headers=auth)).status_code == 204
    body = {"title": "two", "due_date": "2030-01-02", "priority": "high", "completed": True}
    restored = await client.post("/api/tasks/2/restore", json=body, headers=auth)
    assert restored.status_code == 201, restored.text
    task = restored.json()
    assert (task["number"], task["title"], task["due_date"], task["priority"], task["completed"]) == (
        2, "two", "2030-01-02", "high", True,
    )  # fmt: skip
    numbers = [t["number"] for t in (await client.get("/api/tasks", headers=auth)).json()]
    assert numbers == [1, 2, 3]
    # the next new task still gets a fresh number
    new = (await client.post("/api/tasks", json={"title": "four"}, headers=auth)).json()
    assert new["number"] == 4


async def test_restore_never_overwrites_and_never_invents_numbers(client: httpx.AsyncClient) -> None:
    auth = await sign_up(client, "restore2@example.com")
    await client.post("/api/tasks", json={"title": "kept"}, headers=auth)
    in_use = await client.post("/api/tasks/1/restore", json={"title": "overwrite"}, headers=auth)
    assert in_use.status_code == 409, in_use.text
    assert "exists" in in_use.json()["detail"]
    never = await client.post("/api/tasks/7/restore", json={"title": "invented"}, headers=auth)
    assert never.status_code == 404, never.text
    assert "never created" in never.json()["detail"]
    titles = [t["title"] for t in (await client.get("/api/tasks", headers=auth)).json()]
    assert titles == ["kept"]


async def test_another_users_number_cannot_be_restored_into(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "alice-restore@example.com")
    bob = await sign_up(client, "bob-restore@example.com")
    await client.post("/api/tasks", json={"title": "alice's"}, headers=alice)
    await client.delete("/api/tasks/1", headers=alice)
    # bob was never given number 1: his restore is refused, alice's number stays free
    assert (await client.post("/api/tasks/1/restore", json={"title": "x"}, headers=bob)).status_code == 404
    assert (
        await client.post("/api/tasks/1/restore", json={"title": "back"}, headers=alice)
    ).status_code == 201
    assert (await client.post("/api/tasks/1/restore", json={"title": "x"})).status_code == 401
