"""Which database errors mean "the database is away" (a quick 503 with Retry-After, from any pod) and which
mean "this pod cannot use the database" (its readiness fails, so the Service sends its traffic to the others).

While PostgreSQL restarts every pod sees the same outage: taking them all out of the Service would turn each
request's clean 503 into a refused connection, so an outage keeps the pods ready. A pod whose own login is
refused (wrong password after a bad rollout, its role's connection limit reached) is the one that cannot
serve while the others can: it alone leaves the Service, and maxUnavailable 0 keeps a bad rollout from
replacing pods that work.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Seconds a client should wait before retrying while the database is away: about one Postgres pod restart.
RETRY_AFTER_SECONDS = 2

# SQLSTATEs that refuse this pod's own login while the database itself is up.
POD_SPECIFIC_SQLSTATES = {
    "28000": "invalid authorization",
    "28P01": "password refused",
    "3D000": "database does not exist",
    "42501": "insufficient privilege",
    "53300": "too many connections for this role",
}
# SQLSTATE classes of a database that is away or going: connection exceptions, operator intervention (admin
# shutdown, starting up), insufficient resources other than this pod's connection limit.
OUTAGE_SQLSTATE_PREFIXES = ("08", "57P", "53")


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, looking through SQLAlchemy's and the asyncpg adapter's wrappers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state:
            return state
        current = getattr(current, "orig", None) or current.__cause__
    return None


def pod_specific_problem(exc: BaseException) -> str | None:
    """Why this pod in particular cannot use the database, or None when the error is not specific to it."""
    state = sqlstate(exc)
    return POD_SPECIFIC_SQLSTATES.get(state) if state else None


def is_outage(exc: BaseException) -> bool:
    """True when the error says the database is unreachable, going or starting (not a bug or a bad query)."""
    if pod_specific_problem(exc):
        return True  # this pod cannot reach its data either: a 503 is the honest answer to the request
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = sqlstate(exc)
        return state is not None and state.startswith(OUTAGE_SQLSTATE_PREFIXES)
    return False
