"""Issue 12 items 1 and 3: rate limits (across replicas), the failed-login lockout, quotas."""

from __future__ import annotations

import base64
import json
import time
import uuid

import httpx
from security_support import Services, bearer, first_refusal, new_address, sign_up, via


def _email() -> str:
    return f"probe-{uuid.uuid4().hex[:10]}@example.test"


def _login(base: str, email: str, password: str, address: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/auth/login",
        json={"email": email, "password": password},
        headers=via(address),
    )


def test_signups_per_address_are_limited_across_replicas(services: Services) -> None:
    address = new_address()

    def signup(i: int) -> httpx.Response:  # requests alternate between the two replicas
        return httpx.post(
            f"{services.backend if i % 2 == 0 else services.backend_b}/api/auth/signup",
            json={"email": _email(), "password": "correct horse 1"},
            headers=via(address),
        )

    admitted, refused = first_refusal(signup, 5)  # 5 an hour
    assert 5 <= admitted <= 10
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert "too many sign-ups" in refused.json()["detail"]
    sign_up(services.backend_b, _email())  # another address is not affected


def test_login_attempts_per_address_are_limited(services: Services) -> None:
    address = new_address()
    admitted, refused = first_refusal(
        lambda _: _login(services.backend, _email(), "wrong password", address), 12
    )
    assert 12 <= admitted <= 24  # 12 a minute, over any accounts
    assert "too many login attempts" in refused.json()["detail"]


def test_failed_logins_back_off_exponentially_but_never_lock_the_owner_out(services: Services) -> None:
    email = _email()
    sign_up(services.backend, email)
    attacker = new_address()
    waits = []
    for _ in range(6):
        response = _login(services.backend, email, "not the password", attacker)
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            time.sleep(int(response.headers["Retry-After"]))
            response = _login(services.backend_b, email, "not the password", attacker)  # the other replica
        assert response.status_code == 401, response.text
    locked = _login(services.backend, email, "correct horse 1", attacker)
    assert locked.status_code == 429  # even the right password waits out the lock from this address
    assert "failed logins" in locked.json()["detail"]
    assert waits == [1, 2], waits  # 3 free failures, then 1 s, 2 s (then 4 s, capped at 4 s here)
    owner = _login(services.backend_b, email, "correct horse 1", new_address())
    assert owner.status_code == 200, owner.text  # the owner, elsewhere, is not locked out
    time.sleep(int(locked.headers["Retry-After"]))
    assert _login(services.backend, email, "correct horse 1", attacker).status_code == 200  # the lock ends


def test_an_account_under_distributed_attack_still_admits_a_clean_address(services: Services) -> None:
    email = _email()
    sign_up(services.backend, email)
    attackers = [new_address() for _ in range(9)]
    for address in attackers:  # 9 failures from 9 addresses: past the account's budget of 8
        assert _login(services.backend, email, "guess", address).status_code == 401
    again = _login(services.backend_b, email, "guess", attackers[0])
    assert again.status_code == 429, again.text  # addresses that failed must now wait
    assert int(again.headers["Retry-After"]) > 0
    assert _login(services.backend_b, email, "correct horse 1", new_address()).status_code == 200


def test_task_quota_gives_a_clear_error_and_changes_nothing(services: Services) -> None:
    auth = bearer(sign_up(services.backend, _email()))
    for i in range(5):
        created = httpx.post(f"{services.backend}/api/tasks", json={"title": f"t{i}"}, headers=auth)
        assert created.status_code == 201, created.text
    refused = httpx.post(f"{services.backend_b}/api/tasks", json={"title": "one too many"}, headers=auth)
    assert refused.status_code == 409
    assert "task limit reached" in refused.json()["detail"]
    assert "at most 5" in refused.json()["detail"]
    titles = [t["title"] for t in httpx.get(f"{services.backend}/api/tasks", headers=auth).json()]
    assert titles == ["t0", "t1", "t2", "t3", "t4"]
    assert httpx.delete(f"{services.backend}/api/tasks/1", headers=auth).status_code == 204
    again = httpx.post(f"{services.backend}/api/tasks", json={"title": "room again"}, headers=auth)
    assert again.status_code == 201 and again.json()["number"] == 6  # numbers are still never reused


def _chat(services: Services, token: str, address: str, message: str = "help") -> httpx.Response:
    return httpx.post(
        f"{services.chatbot}/api/chat",
        json={"message": message},
        headers={**bearer(token), **via(address)},
        timeout=30,
    )


def test_chat_is_rate_limited_per_account(services: Services) -> None:
    token = sign_up(services.backend, _email())
    admitted, refused = first_refusal(lambda _: _chat(services, token, new_address()), 5)  # 5 a minute
    assert 5 <= admitted <= 10
    assert int(refused.headers["Retry-After"]) >= 1
    assert "too many messages" in refused.json()["detail"]


def test_chat_is_rate_limited_per_address(services: Services) -> None:
    address = new_address()
    tokens = [sign_up(services.backend, _email()) for _ in range(4)]  # 4 accounts: none reaches its own limit
    admitted, _ = first_refusal(lambda i: _chat(services, tokens[i % 4], address), 8)  # 8 a minute
    assert 8 <= admitted <= 16


def test_a_forged_token_cannot_spend_another_accounts_chat_budget(services: Services) -> None:
    victim = sign_up(services.backend, _email())
    victim_id = httpx.get(f"{services.backend}/api/auth/me", headers=bearer(victim)).json()["id"]
    header, _, signature = victim.split(".")
    forged_claims = base64.urlsafe_b64encode(json.dumps({"sub": str(victim_id), "exp": 4102444800}).encode())
    forged = f"{header}.{forged_claims.decode().rstrip('=')}.{signature}"
    for _ in range(8):
        response = httpx.post(
            f"{services.chatbot}/api/chat",
            json={"message": "help"},
            headers={**bearer(forged), **via(new_address())},
            timeout=30,
        )
        assert response.status_code == 401
    ok = httpx.post(
        f"{services.chatbot}/api/chat", json={"message": "help"}, headers=bearer(victim), timeout=30
    )
    assert ok.status_code == 200, ok.text


def test_conversations_per_user_are_bounded(services: Services) -> None:
    token = sign_up(services.backend, _email())
    user_id = httpx.get(f"{services.backend}/api/auth/me", headers=bearer(token)).json()["id"]
    ids = []
    for i in range(5):  # each message without conversation_id starts a conversation; 3 are kept
        response = httpx.post(
            f"{services.chatbot}/api/chat",
            json={"message": f"add conversation task {i}"},
            headers={**bearer(token), **via(new_address())},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["conversation_id"])
    assert isinstance(user_id, int)  # so the query below is only ever a number
    query = f"SELECT id FROM chatbot_conversations WHERE user_id = '{user_id}' ORDER BY updated_at"  # noqa: S608
    # the trim runs once the new conversation's write has landed, just after the reply (latency round 5)
    deadline = time.monotonic() + 5
    while (kept := services.pg.sql(query, "security").split()) != ids[2:] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kept == ids[2:]
    orphans = services.pg.sql(
        "SELECT count(*) FROM chatbot_messages m LEFT JOIN chatbot_conversations c"
        " ON c.id = m.conversation_id WHERE c.id IS NULL",
        "security",
    )
    assert orphans == "0"


def test_a_spoofed_forwarded_for_buys_no_fresh_address(services: Services) -> None:
    """Without the proxy token, X-Forwarded-For is ignored: every request counts on the real peer."""

    def signup(_: int) -> httpx.Response:
        return httpx.post(
            f"{services.backend}/api/auth/signup",
            json={"email": _email(), "password": "correct horse 1"},
            headers={"X-Forwarded-For": new_address(), "X-Proxy-Token": "0" * 64},
        )

    admitted, _ = first_refusal(signup, 5)
    assert 5 <= admitted <= 10
