"""Data access as small functions over an AsyncSession. Callers commit; each function leaves the session
in a state where a commit writes everything or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from todo_backend.core.security import hash_password
from todo_backend.models import Task, User, utcnow
from todo_backend.schemas import SignupRequest, TaskCreate, TaskStatus, TaskUpdate


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


async def list_tasks(
    session: AsyncSession, user_id: int, status: TaskStatus, priority: str | None
) -> Sequence[RowMapping]:
    query = select(*TASK_COLUMNS).where(Task.user_id == user_id).order_by(Task.number)
    if status is TaskStatus.pending:
        query = query.where(Task.completed.is_(False))
    elif status is TaskStatus.completed:
        query = query.where(Task.completed.is_(True))
    if priority is not None:
        query = query.where(Task.priority == priority)
    return (await session.execute(query)).mappings().all()


async def get_task(session: AsyncSession, user_id: int, number: int) -> Task | None:
    query = select(Task).where(Task.user_id == user_id, Task.number == number)
    return (await session.execute(query)).scalar_one_or_none()


async def create_task(session: AsyncSession, user_id: int, body: TaskCreate) -> Task:
    # One UPDATE … RETURNING takes the user's row lock (Postgres) or the write lock (SQLite) and bumps the
    # counter atomically, so concurrent creates from any number of replicas get distinct numbers.
    bump = (
        update(User)
        .where(User.id == user_id)
        .values(next_task_number=User.next_task_number + 1)
        .returning(User.next_task_number)
    )
    number = (await session.execute(bump)).scalar_one() - 1
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


def apply_update(task: Task, body: TaskUpdate) -> None:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        return
    for field, value in changes.items():
        setattr(task, field, value.value if field == "priority" else value)
    task.updated_at = utcnow()


async def delete_task(session: AsyncSession, task: Task) -> None:
    await session.delete(task)
    await session.flush()


async def clear_completed(session: AsyncSession, user_id: int) -> list[int]:
    query = delete(Task).where(Task.user_id == user_id, Task.completed.is_(True)).returning(Task.number)
    return sorted((await session.execute(query)).scalars().all())
