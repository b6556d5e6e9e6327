"""Password hashing (argon2 via pwdlib) and access tokens (JWT HS256, sub = user id, ver = the user's token
version when issued, with exp)."""

from __future__ import annotations

import functools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import anyio
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"
# OWASP's argon2id baseline (19 MiB, 2 passes): 19 MiB per hash keeps a small pod's memory bounded.
password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))
# Hashing is deliberately slow CPU work: run it off the event loop, at most two at a time per process.
_hashing = threading.BoundedSemaphore(2)
# Verifying against this when the email is unknown keeps login timing the same for unknown and known users.
_DUMMY_HASH = password_hash.hash("timing-equaliser-not-a-password")


class InvalidToken(Exception):
    """The token is missing a claim, expired, or not signed with our secret."""


class TokenUser(NamedTuple):
    """Who a valid token speaks for: the user id and the token version it was issued under. The version
    must still equal users.token_version (logout and password change bump it)."""

    id: int
    version: int


def _hash(password: str) -> str:
    with _hashing:
        return password_hash.hash(password)


def _verify(password: str, hashed: str) -> bool:
    with _hashing:
        return password_hash.verify(password, hashed)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hash, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        await anyio.to_thread.run_sync(_verify, password, _DUMMY_HASH)
        return False
    return await anyio.to_thread.run_sync(_verify, password, hashed)


def create_access_token(user_id: int, secret: str, expires: timedelta, version: int = 0) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "ver": version, "iat": now, "exp": now + expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@functools.lru_cache(maxsize=4096)
def _verified_token(token: str, secret: str) -> tuple[TokenUser, int]:
    """(user, exp) of a token whose signature and claims check out. Cached because every request
    presents the same few tokens and PyJWT re-validates the key on each decode; the cache key is the whole
    signed token, so a tampered one never hits, and invalid tokens (exceptions) are never cached."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token has expired: log in again") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("invalid token") from exc
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.isdigit() or int(sub) > 2**31 - 1:
        raise InvalidToken("invalid token subject")
    version = claims.get("ver", 0)  # tokens from before token versions count as version 0
    if type(version) is not int or not 0 <= version <= 2**31 - 1:
        raise InvalidToken("invalid token version")
    return TokenUser(int(sub), version), int(claims["exp"])


def user_from_token(token: str, secret: str) -> TokenUser:
    user, expires = _verified_token(token, secret)
    # Expiry is re-checked on every use (PyJWT's rule: expired once exp <= now), cached or not.
    if expires <= time.time():
        raise InvalidToken("token has expired: log in again")
    return user
