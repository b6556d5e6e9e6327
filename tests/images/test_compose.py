"""compose.yaml with the local images: a user signs up and chats through the frontend's port, and `down`
leaves nothing of the project behind."""

from __future__ import annotations

import secrets
import uuid

import docker
import httpx
import pytest

from harness.devserver import free_port
from harness.images import ImageRef, compose_containers, compose_down, compose_up

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_compose_up_signup_and_chat_through_the_frontend_then_down_leaves_nothing(
    docker_client: docker.DockerClient, app_images: dict[str, ImageRef]
) -> None:
    project = f"tcbtest{uuid.uuid4().hex[:8]}"
    frontend_port = free_port()
    env = {
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "BETTER_AUTH_SECRET": secrets.token_urlsafe(48),
        "FRONTEND_PORT": str(frontend_port),
        "BACKEND_PORT": str(free_port()),
        "ENVIRONMENT": "production",
    }
    try:
        states = compose_up(app_images, project=project, env=env)
        assert {s["service"]: s["health"] for s in states} == {
            "postgres": "healthy", "backend": "healthy", "chatbot": "healthy", "frontend": "healthy",
        }  # fmt: skip
        with httpx.Client(base_url=f"http://127.0.0.1:{frontend_port}", timeout=30) as web:
            signup = web.post(
                "/api/auth/signup", json={"email": "compose@example.com", "password": "compose-pass-1"}
            )
            assert signup.status_code == 201, signup.text
            auth = {"Authorization": f"Bearer {signup.json()['access_token']}"}
            chat = web.post("/api/chat", json={"message": "add buy oat milk tomorrow"}, headers=auth)
            assert chat.status_code == 200, chat.text
            assert [a["type"] for a in chat.json()["actions"]] == ["created"]
            tasks = web.get("/api/tasks", headers=auth).json()
            assert [(t["number"], t["title"]) for t in tasks] == [(1, "buy oat milk")]
    finally:
        compose_down(project, volumes=True, env=env)
    label = {"label": f"com.docker.compose.project={project}"}
    assert compose_containers(project, docker_client) == []
    assert docker_client.networks.list(filters=label) == []
    assert docker_client.volumes.list(filters=label) == []
