"""Data access as small functions over an AsyncSession. Callers commit; each function leaves the session
in a state where a commit writes everything or nothing."""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Executable, and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from todo_backend.core.db import fetch_rows, write_rows
from todo_backend.core.security import TokenUser, hash_password
from todo_backend.models import Task, User, utcnow
from todo_backend.schemas import SignupRequest, TaskCreate, TaskRestore, TaskRow, TaskStatus, TaskUpdate


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def create_user(session: AsyncSession, body: SignupRequest) -> User:
    user = User(email=body.email, name=body.name or None, hashed_password=await hash_password(body.password))
    session.add(user)
    await session.flush()
    return user


# Plain column rows, not ORM objects: listing is the hot path and needs no identity map or change tracking.
TASK_COLUMNS = (
    Task.number,
    Task.title,
    Task.description,
    Task.due_date,
    Task.priority,
    Task.completed,
    Task.created_at,
    Task.updated_at,
)
_TASK_KEYS = tuple(column.key for column in TASK_COLUMNS)


@functools.cache
def _list_statement(status: TaskStatus, by_priority: bool) -> Executable:
    """The listing query, built once per filter combination (so SQLAlchemy reuses its compiled form).

    The user's row is outer-joined so one round trip also says whether the account still exists and the
    token is still valid (same token version): no row at all means it is not; one row with NULL task
    columns means it has no (matching) tasks. Compiled once more for the driver (db.fetch_rows)."""
    on = [Task.user_id == User.id]
    if status is TaskStatus.pending:
        on.append(Task.completed.is_(False))
    elif status is TaskStatus.completed:
        on.append(Task.completed.is_(True))
    if by_priority:
        on.append(Task.priority == bindparam("priority"))
    return (
        select(*TASK_COLUMNS)
        .select_from(User)
        .outerjoin(Task, and_(*on))
        .where(User.id == bindparam("user_id"), User.token_version == bindparam("token_version"))
        .order_by(Task.number)
    )


@functools.cache
def _by_number_statement() -> Executable:
    """One task by number, with the same account check as _list_statement."""
    on = and_(Task.user_id == User.id, Task.number == bindparam("number"))
    return (
        select(*TASK_COLUMNS)
        .select_from(User)
        .outerjoin(Task, on)
        .where(User.id == bindparam("user_id"), User.token_version == bindparam("token_version"))
    )


async def _task_rows(
    engine: AsyncEngine, statement: Executable, params: dict[str, Any]
) -> list[TaskRow] | None:
    rows = await fetch_rows(engine, statement, params)
    if not rows:
        return None
    tasks = [dict(zip(_TASK_KEYS, row, strict=True)) for row in rows if row[0] is not None]
    return cast(list[TaskRow], tasks)


async def list_tasks(
    engine: AsyncEngine, user: TokenUser, status: TaskStatus, priority: str | None
) -> list[TaskRow] | None:
    """The user's tasks ordered by number, or None when the user does not exist or the token is revoked."""
    params: dict[str, Any] = {"user_id": user.id, "token_version": user.version}
    if priority is not None:
        params["priority"] = priority
    return await _task_rows(engine, _list_statement(status, priority is not None), params)


async def find_task(engine: AsyncEngine, user: TokenUser, number: int) -> list[TaskRow] | None:
    """[the task] or [] when the user has no such task; None when the user does not exist or the token
    is revoked."""
    params = {"user_id": user.id, "token_version": user.version, "number": number}
    return await _task_rows(engine, _by_number_statement(), params)


@functools.cache
def _update_statement(fields: tuple[str, ...]) -> Executable:
    """UPDATE of the named fields and updated_at of one task, with the account check of _list_statement in the
    same statement (the user exists and the token's version is current), returning the task as it is now.
    Built once per set of fields. The bound values are typed as their columns (UTC timestamps, dates)."""
    owner = (
        select(User.id)
        .where(User.id == bindparam("owner_id"), User.token_version == bindparam("owner_version"))
        .scalar_subquery()
    )
    columns = Task.__table__.c
    values = {name: bindparam(f"new_{name}", type_=columns[name].type) for name in (*fields, "updated_at")}
    return (
        update(Task)
        .where(Task.user_id == owner, Task.number == bindparam("task_number"))
        .values(values)
        .returning(*TASK_COLUMNS)
    )


async def update_task(
    engine: AsyncEngine, read_engine: AsyncEngine, user: TokenUser, number: int, body: TaskUpdate
) -> list[TaskRow] | None:
    """[the task as it is after the change], [] when the user has no such task, None when the user does not
    exist or the token is revoked (as find_task). One statement when the task is there: the account check,
    the change and the answer's row (on Postgres one round trip, no session); only a change that touched no
    row asks find_task why. Nothing to change: the task as it is, untouched."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        return await find_task(read_engine, user, number)
    fields = tuple(sorted(changes))
    params: dict[str, Any] = {
        "owner_id": user.id,
        "owner_version": user.version,
        "task_number": number,
        "new_updated_at": utcnow(),
        **{f"new_{name}": value.value if name == "priority" else value for name, value in changes.items()},
    }
    statement = _update_statement(fields)
    for _ in range(2):  # the task may be restored between a miss and find_task: then it is changed after all
        rows = await write_rows(engine, statement, params)
        if rows:
            return [cast(TaskRow, dict(zip(_TASK_KEYS, rows[0], strict=True)))]
        found = await find_task(read_engine, user, number)
        if not found:
            return found
    return []


async def get_task(session: AsyncSession, user_id: int, number: int) -> Task | None:
    query = select(Task).where(Task.user_id == user_id, Task.number == number)
    return (await session.execute(query)).scalar_one_or_none()


async def create_task(session: AsyncSession, user_id: int, body: TaskCreate, max_tasks: int) -> Task | None:
    """The new task, or None when the user already has max_tasks (the caller rolls back)."""
    # One UPDATE … RETURNING takes the user's row lock (Postgres) or the write lock (SQLite) and bumps the
    # counter atomically, so concurrent creates from any number of replicas get distinct numbers.
    bump = (
        update(User)
        .where(User.id == user_id)
        .values(next_task_number=User.next_task_number + 1)
        .returning(User.next_task_number)
    )
    number = (await session.execute(bump)).scalar_one() - 1
    # Counted under that lock, so concurrent creates cannot overshoot the quota together.
    count = select(func.count()).select_from(Task).where(Task.user_id == user_id)
    if (await session.execute(count)).scalar_one() >= max_tasks:
        return None
    now = utcnow()
    task = Task(
        user_id=user_id,
        number=number,
        title=body.title,
        description=body.description,
        due_date=body.due_date,
        priority=body.priority.value,
        completed=False,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    await session.flush()
    return task


async def restore_task(session: AsyncSession, user: User, number: int, body: TaskRestore) -> Task | str:
    """The task recreated under `number`, or why not: a number this user was never given, or one in use.
    Numbers are never reused for new tasks, so a restored one cannot collide with a later task."""
    if number >= user.next_task_number:
        return f"task #{number} was never created, so there is nothing to restore"
    if await get_task(session, user.id, number) is not None:
        return f"task #{number} exists; only a deleted task can be restored"
    now = utcnow()
    task = Task(
        user_id=user.id,
        number=number,
        title=body.title,
        description=body.description,
        due_date=body.due_date,
        priority=body.priority.value,
        completed=body.completed,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    await session.flush()
    return task


async def delete_task(session: AsyncSession, task: Task) -> None:
    await session.delete(task)
    await session.flush()


async def clear_completed(session: AsyncSession, user_id: int) -> list[int]:
    query = delete(Task).where(Task.user_id == user_id, Task.completed.is_(True)).returning(Task.number)
    return sorted((await session.execute(query)).scalars().all())
