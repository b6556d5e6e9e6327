"""Which database errors are an outage (503 + Retry-After) and which make only this pod unready."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from todo_backend.core.availability import is_outage, pod_specific_problem, sqlstate


class DriverError(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(f"driver error {state}")
        self.sqlstate = state


def wrapped(state: str, cls: type[DBAPIError] = DBAPIError) -> DBAPIError:
    return cls("SELECT 1", None, DriverError(state))


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        socket.gaierror(-2, "Name or service not known"),
        TimeoutError(),
        PoolTimeout("QueuePool limit reached"),
        OperationalError("SELECT 1", None, Exception("closed")),
        wrapped("57P01"),  # admin shutdown: Postgres is stopping
        wrapped("57P03"),  # cannot connect now: Postgres is starting
        wrapped("08006"),  # connection failure
    ],
)
def test_an_unreachable_or_restarting_database_is_an_outage(error: Exception) -> None:
    assert is_outage(error)
    assert pod_specific_problem(error) is None


@pytest.mark.parametrize(
    ("state", "problem"),
    [("28P01", "password refused"), ("3D000", "database does not exist"), ("53300", "too many connections")],
)
def test_a_refused_login_is_specific_to_the_pod(state: str, problem: str) -> None:
    error = wrapped(state)
    assert sqlstate(error) == state
    assert problem in (pod_specific_problem(error) or "")


@pytest.mark.parametrize("error", [wrapped("23505", IntegrityError), wrapped("42601"), ValueError("bug")])
def test_a_bad_query_or_a_bug_is_not_an_outage(error: Exception) -> None:
    """Seeded: a unique violation or a syntax error must stay a 500 (a bug), never a retryable 503."""
    assert not is_outage(error)
