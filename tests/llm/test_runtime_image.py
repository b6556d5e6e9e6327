"""The optional `todo-chatbot/llm-runtime` image: built offline from the cached wheels, it serves the baked-in
model on a read-only root as UID 1001, and the chatbot's client gets schema-valid answers from it."""

from __future__ import annotations

import anyio
import httpx
import pytest
from todo_chatbot.nlu.llm import ChatCompletionsClient

from harness.docker_engine import ensure_docker_engine
from harness.images import build_images
from harness.waits import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.llm, pytest.mark.docker]


def test_runtime_image_serves_the_model_read_only_as_1001() -> None:
    image = build_images(["llm-runtime"])["llm-runtime"]
    assert image.tag != "latest" and image.size_mb < 300
    client = ensure_docker_engine()
    container = client.containers.run(
        image.ref, detach=True, read_only=True, tmpfs={"/tmp": ""}, ports={"8080/tcp": ("127.0.0.1", None)}
    )
    try:

        def models() -> tuple[bool, str]:
            container.reload()
            if container.status == "exited":
                return True, f"exited: {container.logs()[-1500:].decode(errors='replace')}"
            port = container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
            response = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=3)
            return response.status_code == 200, f"http://127.0.0.1:{port}/v1 {response.json()}"

        seen = wait_until("the llm-runtime container to answer GET /v1/models", models, timeout=120)
        assert "/models/model.gguf" in seen, seen
        base_url = seen.split()[0]
        answer = anyio.run(ChatCompletionsClient(base_url, None, None, 300).ask, "delete task 4")
        assert (answer.intent, answer.task_number) == ("delete", 4)
        top = container.top(ps_args="-o uid,pid,comm")  # docker needs the pid column
        assert {row[top["Titles"].index("UID")] for row in top["Processes"]} == {"1001"}
    finally:
        container.remove(force=True)
