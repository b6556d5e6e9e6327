"""A user's tasks, addressed by their per-user number. Another user's task is indistinguishable from a
missing one (404), so numbers leak nothing across accounts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from starlette.types import Receive, Scope, Send

from todo_backend import crud
from todo_backend.api.deps import (
    ACCOUNT_GONE,
    BEARER_SECURITY,
    AuthenticatedRoute,
    CurrentUser,
    SessionDep,
    SettingsDep,
    authenticate,
    route_user,
    unauthorized,
)
from todo_backend.core.security import TokenUser
from todo_backend.models import Task
from todo_backend.schemas import (
    ClearedOut,
    Priority,
    TaskCreate,
    TaskOut,
    TaskRestore,
    TaskStatus,
    TaskUpdate,
)

_ROUTER_OPTIONS: dict[str, Any] = {
    "prefix": "/api/tasks",
    "tags": ["tasks"],
    "responses": {401: {"description": "Not authenticated"}},
}
router = APIRouter(**_ROUTER_OPTIONS)
# The hot routes (the reads and PATCH): the token is checked by the route itself, not by a dependency
# (AuthenticatedRoute).
reads = APIRouter(route_class=AuthenticatedRoute, **_ROUTER_OPTIONS)

# The same JSON as TaskOut's (pydantic writes UTC as "Z" too); tests/backend compares the two.
_JSON_OPTIONS = orjson.OPT_UTC_Z
TaskNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="The task's number, as shown as #N")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No task with this number for this user"}}


def _task_out(task: Task) -> TaskOut:
    return TaskOut.model_validate(task)


async def _get_or_404(session: SessionDep, user_id: int, number: int) -> Task:
    task = await crud.get_task(session, user_id, number)
    if task is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"task #{number} not found")
    return task


async def _task_list(
    request: Request, user: TokenUser, status_: TaskStatus, priority: Priority | None
) -> Response:
    # The hot path: no session, one query on the driver that also checks the account exists and the token is
    # not revoked, rows serialized by orjson (from our own typed columns: nothing to validate).
    engine = request.app.state.read_engine
    tasks = await crud.list_tasks(engine, user, status_, priority.value if priority else None)
    if tasks is None:
        raise unauthorized(ACCOUNT_GONE)
    return Response(orjson.dumps(tasks, option=_JSON_OPTIONS), media_type="application/json")


class TaskListRoute(AuthenticatedRoute):
    """`GET /api/tasks` without query parameters, what the app and the chatbot ask all the time, is answered
    by the route itself: the same token check, query and response as the endpoint, without FastAPI's request
    handler (its exit stacks, parameter solving and validation). An error is raised as in the endpoint and
    answered by the app's exception handlers; with query parameters the endpoint runs as usual."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["query_string"] or scope["method"] != "GET":
            await super().handle(scope, receive, send)
            return
        request = Request(scope, receive, send)
        response = await _task_list(request, authenticate(request), TaskStatus.all, None)
        await response(scope, receive, send)


async def list_tasks(
    request: Request,
    status_: Annotated[TaskStatus, Query(alias="status")] = TaskStatus.all,
    priority: Priority | None = None,
) -> Response:
    return await _task_list(request, route_user(request), status_, priority)


reads.add_api_route(
    "",
    list_tasks,
    methods=["GET"],
    response_model=list[TaskOut],
    openapi_extra=BEARER_SECURITY,
    route_class_override=TaskListRoute,
)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={409: {"description": "The account's task limit"}}
)
async def create_task(
    body: TaskCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> TaskOut:
    task = await crud.create_task(session, user.id, body, settings.max_tasks_per_user)
    if task is None:
        await session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"task limit reached: an account keeps at most {settings.max_tasks_per_user} tasks; "
            "delete some (or clear completed ones) to add more",
        )
    await session.commit()
    return _task_out(task)


@router.delete("")
async def clear_completed(
    user: CurrentUser,
    session: SessionDep,
    status_: Annotated[
        Literal["completed"], Query(alias="status", description="Only completed tasks can be cleared in bulk")
    ],
) -> ClearedOut:
    deleted = await crud.clear_completed(session, user.id)
    await session.commit()
    return ClearedOut(deleted=deleted)


@reads.get("/{number}", responses=_NOT_FOUND, response_model=TaskOut, openapi_extra=BEARER_SECURITY)
async def get_task(number: TaskNumber, request: Request) -> Response:
    # Read path like list_tasks: one query, no session.
    found = await crud.find_task(request.app.state.read_engine, route_user(request), number)
    if found is None:
        raise unauthorized(ACCOUNT_GONE)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"task #{number} not found")
    return Response(orjson.dumps(found[0], option=_JSON_OPTIONS), media_type="application/json")


@reads.patch("/{number}", responses=_NOT_FOUND, response_model=TaskOut, openapi_extra=BEARER_SECURITY)
async def update_task(number: TaskNumber, body: TaskUpdate, request: Request) -> Response:
    # The chatbot's usual write ("mark it done", "move it to friday"): as the reads, the token checked by the
    # route and no session; one statement checks the account, changes the task and returns it.
    state = request.app.state
    found = await crud.update_task(state.engine, state.read_engine, route_user(request), number, body)
    if found is None:
        raise unauthorized(ACCOUNT_GONE)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"task #{number} not found")
    return Response(orjson.dumps(found[0], option=_JSON_OPTIONS), media_type="application/json")


@router.post(
    "/{number}/restore",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "This user was never given that number"},
        409: {"description": "A task with that number exists"},
    },
)
async def restore_task(
    number: TaskNumber, body: TaskRestore, user: CurrentUser, session: SessionDep
) -> TaskOut:
    """Put a deleted task back under its own number (undo). Only numbers this user was given and that are
    free now: a task is never overwritten, and another user's numbers are as unknown as ever."""
    result = await crud.restore_task(session, user, number, body)
    if isinstance(result, str):
        code = status.HTTP_409_CONFLICT if "exists" in result else status.HTTP_404_NOT_FOUND
        raise HTTPException(code, detail=result)
    await session.commit()
    return _task_out(result)


@router.delete("/{number}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
async def delete_task(number: TaskNumber, user: CurrentUser, session: SessionDep) -> None:
    task = await _get_or_404(session, user.id, number)
    await crud.delete_task(session, task)
    await session.commit()
