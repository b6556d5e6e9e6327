"""Bad input gets a clear 4xx with a JSON detail and changes nothing (state is compared after each)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from backend_api import SECRET, sign_up, task_list

pytestmark = pytest.mark.anyio


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> dict[str, str]:
    """A user with two tasks (#2 completed)."""
    auth = await sign_up(client, "owner@example.com")
    await client.post("/api/tasks", json={"title": "first", "priority": "low"}, headers=auth)
    await client.post("/api/tasks", json={"title": "second"}, headers=auth)
    await client.patch("/api/tasks/2", json={"completed": True}, headers=auth)
    return auth


def _detail(response: httpx.Response) -> str:
    return str(response.json()["detail"])


LONG = "x" * 501
BAD_CREATES = [
    pytest.param(b'{"title": "unterminated', "JSON decode error", id="malformed-json"),
    pytest.param(b'["title"]', "valid dictionary", id="not-an-object"),
    pytest.param(b'{"title": 42}', "valid string", id="title-not-a-string"),
    pytest.param(b'{"title": ""}', "at least 1 character", id="empty-title"),
    pytest.param(b'{"title": "   "}', "at least 1 character", id="blank-title"),
    pytest.param(b'{"title": "' + LONG.encode() + b'"}', "at most 500 characters", id="501-char-title"),
    pytest.param(
        b'{"title": "a", "description": "' + b"d" * 5001 + b'"}', "at most 5000", id="long-description"
    ),
    pytest.param(b'{"title": "a", "due_date": "2030-02-30"}', "valid date", id="impossible-date"),
    pytest.param(b'{"title": "a", "due_date": "tomorrow"}', "YYYY-MM-DD", id="date-in-words"),
    pytest.param(b'{"title": "a", "due_date": 1900000000}', "YYYY-MM-DD", id="date-as-number"),
    pytest.param(b'{"title": "a", "priority": "urgent"}', "'low', 'medium' or 'high'", id="unknown-priority"),
    pytest.param(b'{"title": "a", "priorty": "high"}', "Extra inputs are not permitted", id="misspelt-field"),
    pytest.param(b'{"title": "a\\u0000b"}', "NUL", id="nul-in-title"),
]


@pytest.mark.parametrize(("body", "says"), BAD_CREATES)
async def test_bad_task_bodies_are_rejected(
    client: httpx.AsyncClient, owner: dict[str, str], body: bytes, says: str
) -> None:
    before = await task_list(client, owner)
    response = await client.post(
        "/api/tasks", content=body, headers={**owner, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert says in response.text
    assert await task_list(client, owner) == before


BAD_PATCHES = [
    pytest.param({"title": None}, "valid string", id="null-title"),
    pytest.param({"completed": "yes"}, "valid boolean", id="completed-as-string"),
    pytest.param({"priority": None}, "'low', 'medium' or 'high'", id="null-priority"),
    pytest.param({"title": "ok", "due_date": "31/12/2030"}, "YYYY-MM-DD", id="bad-date-with-good-title"),
]


@pytest.mark.parametrize(("body", "says"), BAD_PATCHES)
async def test_bad_patches_change_nothing(
    client: httpx.AsyncClient, owner: dict[str, str], body: dict[str, object], says: str
) -> None:
    before = await task_list(client, owner)
    response = await client.patch("/api/tasks/1", json=body, headers=owner)
    assert response.status_code == 422, response.text
    assert says in response.text
    assert await task_list(client, owner) == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/tasks/99", 404),
        ("PATCH", "/api/tasks/99", 404),
        ("DELETE", "/api/tasks/99", 404),
        ("GET", "/api/tasks/0", 422),
        ("GET", "/api/tasks/-1", 422),
        ("GET", "/api/tasks/abc", 422),
        ("DELETE", "/api/tasks/1.5", 422),
        ("GET", "/api/tasks/99999999999999999999", 422),
        ("GET", "/api/tasks?status=done", 422),
        ("GET", "/api/tasks?priority=urgent", 422),
        ("DELETE", "/api/tasks", 422),
        ("DELETE", "/api/tasks?status=pending", 422),
        ("DELETE", "/api/tasks?status=all", 422),
    ],
)
async def test_bad_numbers_and_queries(
    client: httpx.AsyncClient, owner: dict[str, str], method: str, path: str, status: int
) -> None:
    before = await task_list(client, owner)
    body = {"json": {"title": "changed"}} if method == "PATCH" else {}
    response = await client.request(method, path, headers=owner, **body)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert _detail(response)
    assert await task_list(client, owner) == before


def _token(sub: str, secret: str = SECRET, expires_in: timedelta = timedelta(hours=1)) -> str:
    now = datetime.now(UTC)
    return jwt.encode({"sub": sub, "iat": now, "exp": now + expires_in}, secret, algorithm="HS256")


async def _user_id(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    return str((await client.get("/api/auth/me", headers=auth)).json()["id"])


@pytest.mark.parametrize(
    ("make_header", "says"),
    [
        pytest.param(lambda uid: None, "not authenticated", id="missing"),
        pytest.param(
            lambda uid: f"Bearer {_token(uid, expires_in=timedelta(seconds=-5))}", "expired", id="expired"
        ),
        pytest.param(
            lambda uid: f"Bearer {_token(uid, secret='x' * 40)}", "invalid token", id="wrong-secret"
        ),
        pytest.param(lambda uid: f"Bearer {_token(uid)[:-3]}abc", "invalid token", id="tampered-signature"),
        pytest.param(lambda uid: "Bearer not.a.jwt", "invalid token", id="garbage"),
        pytest.param(lambda uid: f"Basic {_token(uid)}", "not authenticated", id="wrong-scheme"),
        pytest.param(lambda uid: f"Bearer {_token('999999')}", "session has ended", id="unknown-user"),
    ],
)
async def test_bad_tokens_get_401_and_change_nothing(
    client: httpx.AsyncClient, owner: dict[str, str], make_header: object, says: str
) -> None:
    uid = await _user_id(client, owner)
    header = make_header(uid)  # type: ignore[operator]
    headers = {"Authorization": header} if header else {}
    before = await task_list(client, owner)
    for method, path, body in [
        ("GET", "/api/tasks", None),
        ("POST", "/api/tasks", {"title": "sneaky"}),
        ("PATCH", "/api/tasks/1", {"title": "sneaky"}),
        ("DELETE", "/api/tasks/1", None),
        ("DELETE", "/api/tasks?status=completed", None),
        ("GET", "/api/auth/me", None),
    ]:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert says in _detail(response)
        assert response.headers["www-authenticate"] == "Bearer"
    assert await task_list(client, owner) == before


async def test_tampered_claims_are_rejected(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    """Swapping the payload of a valid token to another user's id breaks the signature."""
    other = await sign_up(client, "victim@example.com")
    victim_id = await _user_id(client, other)
    header, _, signature = owner["Authorization"].removeprefix("Bearer ").split(".")
    forged_payload = jwt.utils.base64url_encode(f'{{"sub":"{victim_id}","exp":9999999999}}'.encode()).decode()
    forged = {"Authorization": f"Bearer {header}.{forged_payload}.{signature}"}
    response = await client.get("/api/tasks", headers=forged)
    assert response.status_code == 401


async def test_signup_and_login_rejections(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    cases: list[tuple[dict[str, object], int, str]] = [
        ({"email": "owner@example.com", "password": "another password"}, 409, "already exists"),
        ({"email": "OWNER@example.com", "password": "another password"}, 409, "already exists"),
        ({"email": "not-an-email", "password": "long enough"}, 422, "valid email"),
        ({"email": "new@example.com", "password": "short"}, 422, "at least 8"),
        ({"email": "new@example.com", "password": "p" * 129}, 422, "at most 128"),
        ({"email": "new@example.com"}, 422, "Field required"),
        ({"email": "new@example.com", "password": 12345678}, 422, "valid string"),
    ]
    for body, status, says in cases:
        response = await client.post("/api/auth/signup", json=body)
        assert response.status_code == status, (body, response.text)
        assert says in response.text
        if isinstance(body.get("password"), str):
            assert f'"{body["password"]}"' not in response.text  # a password is never echoed back
    # none of them created an account: the new address is still free
    assert (
        await client.post("/api/auth/login", json={"email": "new@example.com", "password": "long enough"})
    ).status_code == 401

    wrong = await client.post(
        "/api/auth/login", json={"email": "owner@example.com", "password": "wrong password"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert _detail(wrong) == _detail(unknown) == "wrong email or password"


async def test_large_bodies_get_413(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    before = await task_list(client, owner)
    big = b'{"title": "a", "description": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(
        "/api/tasks", content=big, headers={**owner, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in _detail(response)

    async def chunks():  # no Content-Length: the limit must hold for streamed bodies too
        for _ in range(20):
            yield b"x" * 65536

    streamed = await client.post(
        "/api/tasks", content=chunks(), headers={**owner, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert await task_list(client, owner) == before
