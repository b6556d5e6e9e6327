"""Server-rendered pages: signup, login, logout, the task list and the chat panel.

Every form works as a plain HTML form (POST, then a 303 redirect or the page re-rendered with the error);
with htmx loaded the task and chat forms swap fragments in place instead. Validation is the backend's:
the forms carry `novalidate` so the user always sees the same server-side messages.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from todo_frontend.proxy import UpstreamsDep, get_app_settings
from todo_frontend.session import (
    CsrfChecked,
    CsrfRejected,
    NotLoggedIn,
    SessionExpired,
    SessionToken,
    end_session,
    session_token,
    start_session,
    template_context,
)
from todo_frontend.upstream import UpstreamUnavailable

# Every state-changing form post checks the CSRF token first (session.require_csrf_form).
router = APIRouter(dependencies=[CsrfChecked])
pages_router = APIRouter()  # GET pages: nothing to protect
templates = Jinja2Templates(
    directory=Path(__file__).parent / "templates", context_processors=[template_context]
)

StatusFilter = Literal["all", "pending", "completed"]
FILTERS: tuple[StatusFilter, ...] = ("all", "pending", "completed")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def describe_error(response: httpx.Response, fallback: str) -> str:
    """The backend's `detail` for a person: a string as is, a validation list as `Field: msg; …`."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list):
        messages = [_validation_message(item) for item in detail if isinstance(item, dict)]
        if messages:
            return "; ".join(messages)
    return fallback


def _validation_message(item: dict[str, Any]) -> str:
    loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query", "path")]
    message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{loc[-1].replace('_', ' ').capitalize()}: {message}" if loc else message


def normalize_filter(value: str | None) -> StatusFilter:
    for name in FILTERS:
        if value == name:
            return name
    return "all"


def login_redirect(request: Request, *, expired: bool = False) -> Response:
    """Back to the login page, dropping the cookie; htmx requests get HX-Redirect so the whole page moves."""
    target = "/login?expired=1" if expired else "/login"
    response: Response
    if is_htmx(request):
        response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    if expired:
        end_session(response)
    return response


def unavailable_page(request: Request, exc: UpstreamUnavailable) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "unavailable.html", {"service": exc.service, "reason": exc.reason}, status_code=503
    )


async def backend_call(
    request: Request, upstreams: UpstreamsDep, method: str, path: str, token: str, **kwargs: Any
) -> httpx.Response:
    """A backend call on the user's behalf: 401 means the session has ended (SessionExpired)."""
    client_host = request.client.host if request.client else None
    response = await upstreams.request(method, path, token=token, client_host=client_host, **kwargs)
    if response.status_code == 401:
        raise SessionExpired
    return response


async def backend_get(upstreams: UpstreamsDep, token: str, path: str, **params: str) -> Any:
    """JSON of a backend GET made for a page; a failing backend counts as unavailable (the page says so)."""
    response = await upstreams.request("GET", path, token=token, params=params)
    if response.status_code == 401:
        raise SessionExpired
    if response.status_code != 200:
        raise UpstreamUnavailable("backend", f"GET {path} answered HTTP {response.status_code}")
    return response.json()


async def load_tasks(upstreams: UpstreamsDep, token: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = await backend_get(upstreams, token, "/api/tasks", status="all")
    return tasks


def list_context(
    tasks: list[dict[str, Any]], status: StatusFilter, notice: str | None = None
) -> dict[str, Any]:
    done = sum(1 for task in tasks if task.get("completed"))
    shown = [t for t in tasks if status == "all" or bool(t.get("completed")) == (status == "completed")]
    return {
        "tasks": shown,
        "status": status,
        "counts": {"all": len(tasks), "pending": len(tasks) - done, "completed": done},
        "notice": notice,
        "today": date.today().isoformat(),
    }


async def render_home(
    request: Request,
    upstreams: UpstreamsDep,
    token: str,
    status: StatusFilter,
    *,
    status_code: int = 200,
    notice: str | None = None,
    add_error: str | None = None,
    add_form: dict[str, str] | None = None,
    chat: dict[str, Any] | None = None,
) -> Response:
    user = await backend_get(upstreams, token, "/api/auth/me")
    tasks = await load_tasks(upstreams, token)
    context = {
        "user": user,
        **list_context(tasks, status, notice),
        "add_error": add_error,
        "add_form": add_form or {},
        "chat": chat,
    }
    return templates.TemplateResponse(request, "home.html", context, status_code=status_code)


async def render_list(
    request: Request,
    upstreams: UpstreamsDep,
    token: str,
    status: StatusFilter,
    notice: str | None = None,
    *,
    fragment: bool | None = None,
) -> Response:
    """The #tasks fragment (htmx) or, for a plain form post, a redirect back to the page."""
    if not (is_htmx(request) if fragment is None else fragment):
        if notice:
            return await render_home(request, upstreams, token, status, notice=notice, status_code=404)
        return RedirectResponse(f"/?status={status}", status_code=303)
    tasks = await load_tasks(upstreams, token)
    return templates.TemplateResponse(request, "_task_list.html", list_context(tasks, status, notice))


# --- account pages -----------------------------------------------------------------------------------


@pages_router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request) -> Response:
    if session_token(request):
        return RedirectResponse("/", status_code=303)
    return templates.TemplateResponse(request, "signup.html", {"form": {}})


@router.post("/signup", response_class=HTMLResponse)
async def signup(
    request: Request,
    upstreams: UpstreamsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    body: dict[str, Any] = {"email": email.strip(), "password": password}
    if name.strip():
        body["name"] = name.strip()
    return await _authenticate(request, upstreams, "signup", body, {"email": email, "name": name})


@pages_router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, expired: str | None = None) -> Response:
    if session_token(request):
        return RedirectResponse("/", status_code=303)
    notice = "Your session has ended. Please log in again." if expired else None
    return templates.TemplateResponse(request, "login.html", {"form": {}, "notice": notice})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    upstreams: UpstreamsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    body = {"email": email.strip(), "password": password}
    return await _authenticate(request, upstreams, "login", body, {"email": email})


async def _authenticate(
    request: Request,
    upstreams: UpstreamsDep,
    kind: Literal["signup", "login"],
    body: dict[str, Any],
    form: dict[str, str],
) -> Response:
    expected = 201 if kind == "signup" else 200
    client_host = request.client.host if request.client else None
    try:
        response = await upstreams.request("POST", f"/api/auth/{kind}", json=body, client_host=client_host)
    except UpstreamUnavailable as exc:
        error = f"The {exc.service} is unavailable right now; please try again in a moment."
        return templates.TemplateResponse(
            request, f"{kind}.html", {"form": form, "error": error}, status_code=503
        )
    if response.status_code == expected:
        redirect = RedirectResponse("/", status_code=303)
        start_session(redirect, request, response.json()["access_token"], get_app_settings(request))
        return redirect
    if response.status_code == 429:
        error = describe_error(response, "Too many attempts; please wait a moment and try again.")
    elif kind == "login" and response.status_code == 401:
        error = "Wrong email or password."
    elif kind == "signup" and response.status_code == 409:
        error = "An account with this email already exists. Log in instead?"
    else:
        error = describe_error(
            response, f"Could not {kind.replace('login', 'log in')} (HTTP {response.status_code})."
        )
    status_code = response.status_code if 400 <= response.status_code < 500 else 502
    headers = {"Retry-After": response.headers["retry-after"]} if "retry-after" in response.headers else None
    return templates.TemplateResponse(
        request, f"{kind}.html", {"form": form, "error": error}, status_code=status_code, headers=headers
    )


@router.post("/logout")
async def logout(request: Request, upstreams: UpstreamsDep) -> Response:
    """Ends the session here and revokes its token at the backend (every session of the account)."""
    token = session_token(request)
    if token:
        try:
            await upstreams.request("POST", "/api/auth/logout", token=token)
        except UpstreamUnavailable:
            pass  # the cookie still goes; the token then lapses at its expiry
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    return response


@pages_router.get("/account", response_class=HTMLResponse)
async def account_page(
    request: Request, upstreams: UpstreamsDep, token: SessionToken, changed: str | None = None
) -> Response:
    user = await backend_get(upstreams, token, "/api/auth/me")
    notice = "Your password was changed; every other session has ended." if changed else None
    return templates.TemplateResponse(request, "account.html", {"user": user, "notice": notice})


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    upstreams: UpstreamsDep,
    token: SessionToken,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Changes the password at the backend (which revokes every other token) and keeps this session."""
    body = {"current_password": current_password, "new_password": new_password}
    response = await backend_call(request, upstreams, "POST", "/api/auth/password", token, json=body)
    if response.status_code == 200:
        redirect = RedirectResponse("/account?changed=1", status_code=303)
        start_session(redirect, request, response.json()["access_token"], get_app_settings(request))
        return redirect
    if response.status_code == 403:
        error = "The current password is wrong."
    else:
        error = describe_error(response, f"The password was not changed (HTTP {response.status_code}).")
    user = await backend_get(upstreams, token, "/api/auth/me")
    status_code = response.status_code if 400 <= response.status_code < 500 else 502
    return templates.TemplateResponse(
        request, "account.html", {"user": user, "error": error}, status_code=status_code
    )


# --- tasks -------------------------------------------------------------------------------------------


@pages_router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, upstreams: UpstreamsDep, token: SessionToken, status: str = "all"
) -> Response:
    return await render_home(request, upstreams, token, normalize_filter(status))


@pages_router.get("/partials/tasks", response_class=HTMLResponse)
async def task_list_fragment(
    request: Request, upstreams: UpstreamsDep, token: SessionToken, status: str = "all"
) -> Response:
    return await render_list(request, upstreams, token, normalize_filter(status), fragment=True)


@router.post("/tasks", response_class=HTMLResponse)
async def add_task(
    request: Request,
    upstreams: UpstreamsDep,
    token: SessionToken,
    title: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "medium",
    status: Annotated[str, Form()] = "all",
) -> Response:
    view = normalize_filter(status)
    form = {"title": title, "due_date": due_date, "priority": priority}
    error: str | None = None
    if not title.strip():
        error = "Give the task a title."
    else:
        body = {"title": title.strip(), "due_date": due_date or None, "priority": priority or "medium"}
        try:
            response = await backend_call(request, upstreams, "POST", "/api/tasks", token, json=body)
        except UpstreamUnavailable as exc:
            error = f"The {exc.service} is unavailable right now; the task was not added."
        else:
            if response.status_code != 201:
                error = describe_error(response, f"The task was not added (HTTP {response.status_code}).")
    if error is None:
        if not is_htmx(request):
            return RedirectResponse(f"/?status={view}", status_code=303)
        return templates.TemplateResponse(
            request,
            "_add_form.html",
            {"status": view, "add_form": {}, "add_error": None, "focus": True},
            headers={"HX-Trigger": "tasks-changed"},
        )
    if not is_htmx(request):
        return await render_home(
            request, upstreams, token, view, status_code=422, add_error=error, add_form=form
        )
    return templates.TemplateResponse(
        request,
        "_add_form.html",
        {"status": view, "add_form": form, "add_error": error, "focus": True},
        status_code=422,
    )


@router.post("/tasks/{number}/complete", response_class=HTMLResponse)
async def set_completed(
    request: Request,
    upstreams: UpstreamsDep,
    token: SessionToken,
    number: int,
    completed: Annotated[str, Form()] = "true",
    status: Annotated[str, Form()] = "all",
) -> Response:
    """Sets the state the button showed (not a blind toggle), so a stale page never flips a task back."""
    body = {"completed": completed.lower() in ("true", "1", "on", "yes")}
    return await _task_action(request, upstreams, token, "PATCH", number, body, status)


@router.post("/tasks/{number}/delete", response_class=HTMLResponse)
async def delete_task(
    request: Request,
    upstreams: UpstreamsDep,
    token: SessionToken,
    number: int,
    status: Annotated[str, Form()] = "all",
) -> Response:
    return await _task_action(request, upstreams, token, "DELETE", number, None, status)


@router.post("/tasks/clear-completed", response_class=HTMLResponse)
async def clear_completed(
    request: Request, upstreams: UpstreamsDep, token: SessionToken, status: Annotated[str, Form()] = "all"
) -> Response:
    response = await backend_call(
        request, upstreams, "DELETE", "/api/tasks", token, params={"status": "completed"}
    )
    notice = (
        None if response.status_code == 200 else describe_error(response, "Could not clear completed tasks.")
    )
    return await render_list(request, upstreams, token, normalize_filter(status), notice)


async def _task_action(
    request: Request,
    upstreams: UpstreamsDep,
    token: str,
    method: Literal["PATCH", "DELETE"],
    number: int,
    body: dict[str, Any] | None,
    status: str,
) -> Response:
    response = await backend_call(request, upstreams, method, f"/api/tasks/{number}", token, json=body)
    notice = None
    if response.status_code == 404:
        notice = f"Task #{number} no longer exists."
    elif response.status_code >= 300:
        notice = describe_error(response, f"Task #{number} was not changed (HTTP {response.status_code}).")
    return await render_list(request, upstreams, token, normalize_filter(status), notice)


# --- chat --------------------------------------------------------------------------------------------


@router.post("/chat", response_class=HTMLResponse)
async def chat(
    request: Request,
    upstreams: UpstreamsDep,
    token: SessionToken,
    message: Annotated[str, Form()] = "",
    conversation_id: Annotated[str, Form()] = "",
    client_time: Annotated[str, Form()] = "",
) -> Response:
    exchange: dict[str, Any] = {"message": message, "conversation_id": conversation_id, "error": False}
    status_code = 200
    headers: dict[str, str] = {}
    if not message.strip():
        exchange |= {"reply": "Type a message first.", "error": True}
        status_code = 422
    else:
        body: dict[str, Any] = {"message": message.strip()}
        if conversation_id:
            body["conversation_id"] = conversation_id
        if client_time:
            body["client_time"] = client_time
        try:
            response = await backend_call(request, upstreams, "POST", "/api/chat", token, json=body)
        except UpstreamUnavailable as exc:
            reply = (
                "The assistant did not answer in time." if exc.timed_out else "The assistant is unavailable."
            )
            exchange |= {"reply": f"{reply} Please try again in a moment.", "error": True}
            status_code = 503
        else:
            if response.status_code == 200:
                data = response.json()
                exchange |= {
                    "reply": data.get("reply", ""),
                    "conversation_id": data.get("conversation_id", ""),
                }
                headers["HX-Trigger"] = "tasks-changed"
            else:
                exchange |= {
                    "reply": describe_error(response, f"The assistant failed (HTTP {response.status_code})."),
                    "error": True,
                }
                status_code = response.status_code if response.status_code < 500 else 502
    if not is_htmx(request):
        return await render_home(request, upstreams, token, "all", chat=exchange, status_code=status_code)
    return templates.TemplateResponse(
        request, "_chat_exchange.html", {"chat": exchange}, status_code=status_code, headers=headers
    )


# --- the session's and upstreams' failures, answered once for every page and form ------------------------


async def _not_logged_in(request: Request, exc: Exception) -> Response:
    return login_redirect(request)


async def _session_expired(request: Request, exc: Exception) -> Response:
    return login_redirect(request, expired=True)


async def _upstream_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpstreamUnavailable)
    if is_htmx(request):
        notice = f"The {exc.service} is unavailable right now."
        return templates.TemplateResponse(request, "_notice.html", {"notice": notice}, status_code=503)
    return unavailable_page(request, exc)


async def _csrf_rejected(request: Request, exc: Exception) -> Response:
    """A form or cookie-session API call without this browser's token: refused, nothing changed."""
    detail = "the request lacks this page's CSRF token (the form was stale or came from another site)"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": f"{detail}: send the X-CSRF-Token header"}, status_code=403)
    page = request.url.path.strip("/")
    if page not in ("login", "signup") and not session_token(request):
        return login_redirect(request)  # no session at all: the login page is what the user needs
    if page in ("login", "signup"):  # show the form again, with a fresh token
        error = "This form had expired. Please try again."
        return templates.TemplateResponse(
            request, f"{page}.html", {"form": {}, "error": error}, status_code=403
        )
    if is_htmx(request):
        notice = "This page had expired, so nothing was changed. Please reload it and try again."
        return templates.TemplateResponse(request, "_notice.html", {"notice": notice}, status_code=403)
    return templates.TemplateResponse(request, "stale.html", {}, status_code=403)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotLoggedIn, _not_logged_in)
    app.add_exception_handler(SessionExpired, _session_expired)
    app.add_exception_handler(UpstreamUnavailable, _upstream_unavailable)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
