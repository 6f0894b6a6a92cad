"""The web UI's routes. Each page answers HTML at its path and JSON at the same path + `.json`;
pages of an account need a logged-in user of that account (anyone else: a login redirect, or 404).
"""

from __future__ import annotations

import inspect
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from vantage.accounts import service as accounts_service
from vantage.checks import service as checks_service
from vantage.dashboards.badge_cache import forget_badges
from vantage.db.tables import check_sessions, jobs
from vantage.errors import BadRequest, Forbidden, NotFound, VantageError
from vantage.runtime import Runtime, get_runtime
from vantage.sessions import service as sessions_service
from vantage.sessions import starting
from vantage.sessions.wire import session_link
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.timeutil import utcnow
from vantage.ui import dashboard as dashboard_read
from vantage.ui import editing, lists, queries, run_filters
from vantage.ui.auth import (
    AccountViewer,
    Viewer,
    check_origin,
    checked_form,
    optional_viewer,
    read_form,
    require_write,
    session_token,
)
from vantage.ui.ranges import requested
from vantage.ui.render import page
from vantage.ui.security import is_secure, safe_next, session_cookie_name
from vantage.users import service as users
from vantage.users.throttle import LoginThrottle

log = structlog.get_logger("vantage.ui")
router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
LOGIN_COOKIE = "vantage_login"
STATIC = {"app.css": "text/css", "app.js": "text/javascript"}
_throttle = LoginThrottle()


def throttle() -> LoginThrottle:
    return _throttle


# --- static files and login ---------------------------------------------------------------------


@router.get("/ui/static/{name}")
async def static(name: str) -> Response:
    media = STATIC.get(name)
    if media is None:
        raise NotFound("No such file.")
    body = resources.files("vantage.ui").joinpath("static", name).read_bytes()
    return Response(body, media_type=media, headers={"cache-control": "public, max-age=300"})


@router.get("/")
async def home(request: Request, runtime: RuntimeDep) -> Response:
    viewer = await optional_viewer(request, runtime)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(f"/accounts/{viewer.user.account_id}", status_code=303)


def _login_page(
    request: Request, token: str, *, error: str = "", email: str = "", status_code: int = 200
) -> Response:
    response = page(
        "login.html",
        {"next": safe_next(request.query_params.get("next"), ""), "error": error, "email": email},
        viewer=None,
        as_json=False,
        title="Log in",
        status_code=status_code,
        extra={"login_token": token},
    )
    # Double-submit token for the login form, which has no session yet to bind a token to.
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login")
async def login_form(request: Request, runtime: RuntimeDep) -> Response:
    viewer = await optional_viewer(request, runtime)
    if viewer is not None:
        target = safe_next(request.query_params.get("next"), f"/accounts/{viewer.user.account_id}")
        return RedirectResponse(target, status_code=303)
    return _login_page(request, secrets.token_urlsafe(24))


@router.post("/login")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    check_origin(request, runtime)
    form = await read_form(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not secrets.compare_digest(form.get("csrf", ""), cookie):
        raise Forbidden("Missing or wrong login form token: reload the page and try again")
    email = users.normal_email(form.get("email", ""))
    address = request.client.host if request.client else "unknown"
    now = time.monotonic()
    fresh = secrets.token_urlsafe(24)
    if throttle().blocked(email, address, now):
        log.warning("login throttled", email=email, address=address)
        return _login_page(
            request,
            fresh,
            error="Too many failed logins. Wait a few minutes and try again.",
            email=email,
            status_code=429,
        )
    async with runtime.db.write() as conn:
        user = await users.authenticate(conn, email, form.get("password", ""))
        token = None if user is None else await users.start_session(conn, user.id, utcnow())
    if user is None or token is None:
        throttle().failed(email, address, now)
        log.info("login failed", email=email, address=address)
        # One message whether the email is unknown or the password wrong.
        return _login_page(
            request, fresh, error="Wrong email or password.", email=email, status_code=401
        )
    throttle().succeeded(email)
    log.info("login", user_id=user.id, account_id=user.account_id)
    target = safe_next(form.get("next"), f"/accounts/{user.account_id}")
    response = RedirectResponse(target, status_code=303)
    secure = is_secure(request, runtime.settings.base_url)
    response.set_cookie(
        session_cookie_name(secure),
        token,
        max_age=int(users.ABSOLUTE.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    viewer = await optional_viewer(request, runtime)
    token = session_token(request, runtime)
    if viewer is not None:
        await checked_form(request, runtime, viewer)
    if token is not None:
        async with runtime.db.write() as conn:
            await users.end_session(conn, token)
    response = RedirectResponse("/login", status_code=303)
    secure = is_secure(request, runtime.settings.base_url)
    response.delete_cookie(session_cookie_name(secure), path="/", secure=secure, httponly=True)
    return response


# --- pages --------------------------------------------------------------------------------------

Reader = Callable[[Any], Awaitable[dict[str, Any]]]


async def _render(
    runtime: Runtime,
    viewer: Viewer,
    read: Reader,
    template: str,
    *,
    as_json: bool,
    title: Callable[[dict[str, Any]], str],
) -> Response:
    try:
        async with runtime.db.read() as conn:
            data = await read(conn)
    except NotFound as exc:
        if as_json:
            raise
        return page(
            "not_found.html",
            {"message": exc.message},
            viewer=viewer,
            as_json=False,
            title="Not found",
            status_code=404,
        )
    return page(template, data, viewer=viewer, as_json=as_json, title=title(data))


def _both(path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a page at `path` and its twin at `path.json` (the twin first: Starlette would
    otherwise read `x.json` as the last path parameter)."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        async def as_json(**kwargs: Any) -> Response:
            result: Response = await endpoint(as_json=True, **kwargs)
            return result

        async def as_html(**kwargs: Any) -> Response:
            result: Response = await endpoint(as_json=False, **kwargs)
            return result

        for wrapper in (as_json, as_html):
            wrapper.__signature__ = _without_as_json(endpoint)  # type: ignore[attr-defined]
        router.add_api_route(path + ".json", as_json, methods=["GET"])
        router.add_api_route(path, as_html, methods=["GET"])
        return endpoint

    return register


def _without_as_json(endpoint: Callable[..., Any]) -> Any:
    sig = inspect.signature(endpoint, eval_str=True)
    return sig.replace(parameters=[p for n, p in sig.parameters.items() if n != "as_json"])


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


@_both("/accounts/{account_id}")
async def dashboard(
    account_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer, as_json: bool
) -> Response:
    params = request.query_params
    return await _render(
        runtime,
        viewer,
        lambda conn: dashboard_read.dashboard(
            conn,
            account_id,
            dashboard_read.View.of(params),
            now=utcnow(),
            memo=dashboard_read.memo_of(request.app.state),
        ),
        "dashboard.html",
        as_json=as_json,
        title=lambda d: "Checks",
    )


@_both("/accounts/{account_id}/checks/{check_id}")
async def check_overview(
    account_id: str,
    check_id: str,
    request: Request,
    runtime: RuntimeDep,
    viewer: AccountViewer,
    as_json: bool,
) -> Response:
    now = utcnow()
    try:
        keeping = runtime.settings.rollup_keeping()
        win = requested(dict(request.query_params), now, keeping)
        runs = run_filters.requested(request.query_params)
    except BadRequest as exc:
        if as_json:
            raise
        # A mistyped range or filter: the message, as a page (the twin answers Checkly's 400).
        heading = "Bad range" if {"from", "to"} & set(exc.keys) else "Bad filter"
        return page(
            "not_found.html",
            {"message": exc.message, "heading": heading},
            viewer=viewer,
            as_json=False,
            title=heading,
            status_code=400,
        )
    return await _render(
        runtime,
        viewer,
        lambda conn: queries.overview(conn, account_id, check_id, win, now, runs),
        "check.html",
        as_json=as_json,
        title=lambda d: d["check"]["name"],
    )


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@_both("/accounts/{account_id}/checks/{check_id}/results")
async def results_list(
    account_id: str,
    check_id: str,
    request: Request,
    runtime: RuntimeDep,
    viewer: AccountViewer,
    as_json: bool,
) -> Response:
    params = request.query_params
    return await _render(
        runtime,
        viewer,
        lambda conn: queries.results_list(
            conn,
            account_id,
            check_id,
            result_type=(params.get("type") or "FINAL").upper(),
            location=params.get("location") or "",
            failures=params.get("failures") == "1",
            start=_moment(params.get("from")),
            end=_moment(params.get("to")),
            cursor=params.get("after") or "",
        ),
        "results.html",
        as_json=as_json,
        title=lambda d: f"Results of {d['check']['name']}",
    )


@_both("/accounts/{account_id}/checks/{check_id}/check-sessions/{session_id}")
async def session_page(
    account_id: str,
    check_id: str,
    session_id: str,
    runtime: RuntimeDep,
    viewer: AccountViewer,
    as_json: bool,
) -> Response:
    return await _render(
        runtime,
        viewer,
        lambda conn: queries.session_page(conn, account_id, check_id, session_id, utcnow()),
        "session.html",
        as_json=as_json,
        title=lambda d: f"Session of {d['session']['name']}",
    )


@_both("/accounts/{account_id}/checks/{check_id}/check-sessions/{session_id}/results/{result_id}")
async def result_page(
    account_id: str,
    check_id: str,
    session_id: str,
    result_id: str,
    runtime: RuntimeDep,
    viewer: AccountViewer,
    as_json: bool,
) -> Response:
    return await _render(
        runtime,
        viewer,
        lambda conn: queries.result_page(
            conn, account_id, check_id, session_id, result_id, utcnow()
        ),
        "result.html",
        as_json=as_json,
        title=lambda d: f"{d['result']['state'].capitalize()}: {d['result']['name']}",
    )


@_both("/accounts/{account_id}/locations")
async def locations_page(
    account_id: str, runtime: RuntimeDep, viewer: AccountViewer, as_json: bool
) -> Response:
    return await _render(
        runtime,
        viewer,
        lambda conn: queries.locations_page(conn, account_id, utcnow()),
        "locations.html",
        as_json=as_json,
        title=lambda d: "Locations",
    )


@_both("/accounts/{account_id}/check-sessions")
async def sessions_list(
    account_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer, as_json: bool
) -> Response:
    cursor = request.query_params.get("after") or ""
    return await _render(
        runtime,
        viewer,
        lambda conn: lists.sessions_list(conn, account_id, cursor=cursor, now=utcnow()),
        "sessions.html",
        as_json=as_json,
        title=lambda d: "Check sessions",
    )


@_both("/accounts/{account_id}/test-sessions/{test_session_id}")
async def test_session_page(
    account_id: str,
    test_session_id: str,
    request: Request,
    runtime: RuntimeDep,
    viewer: AccountViewer,
    as_json: bool,
) -> Response:
    cursor = request.query_params.get("after") or ""
    return await _render(
        runtime,
        viewer,
        lambda conn: lists.sessions_list(
            conn, account_id, cursor=cursor, now=utcnow(), test_session_id=test_session_id
        ),
        "sessions.html",
        as_json=as_json,
        title=lambda d: f"Test session {d['heading']}",
    )


@_both("/accounts/{account_id}/alerts")
async def alerts_page(
    account_id: str, runtime: RuntimeDep, viewer: AccountViewer, as_json: bool
) -> Response:
    return await _render(
        runtime,
        viewer,
        lambda conn: lists.alerts_page(conn, account_id),
        "alerts.html",
        as_json=as_json,
        title=lambda d: "Alerts",
    )


# --- actions (read-write users) -------------------------------------------------------------


def _edit_page(
    viewer: Viewer,
    account_id: str,
    row: Any,
    fields: dict[str, Any],
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    data = {
        "accountId": account_id,
        "check": queries.check_header(row),
        "fields": fields,
        "frequencies": editing.FREQUENCIES,
        "methods": editing.METHODS,
        "error": error,
    }
    return page(
        "edit.html",
        data,
        viewer=viewer,
        as_json=False,
        title=f"Edit {row.name}",
        status_code=status_code,
    )


@router.get("/accounts/{account_id}/checks/{check_id}/edit")
async def edit_form(
    account_id: str, check_id: str, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    require_write(viewer)
    async with runtime.db.read() as conn:
        row = await queries.check_row(conn, account_id, check_id)
    return _edit_page(viewer, account_id, row, editing.fields_of(row.config or {}))


@router.post("/accounts/{account_id}/checks/{check_id}/edit")
async def edit(
    account_id: str, check_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    form = await checked_form(request, runtime, viewer)
    require_write(viewer)
    async with runtime.db.write() as conn:
        row = await queries.check_row(conn, account_id, check_id)
        has_request = bool(editing.fields_of(row.config or {})["hasRequest"])
        try:
            payload = editing.payload_of(form, has_request=has_request)
            # The API's own update path: the same validation, schedule and alerting as a PUT.
            await checks_service.update(
                conn,
                account_id,
                check_id,
                payload,
                seal=runtime.sealer.seal,
                base_url=runtime.settings.base_url,
            )
        except BadRequest as exc:
            shown = {**editing.fields_of(row.config or {}), **_as_fields(form)}
            return _edit_page(viewer, account_id, row, shown, error=exc.message, status_code=400)
    runtime.signals.checks_changed()
    log.info("check edited", user_id=viewer.user.id, check_id=check_id)
    return RedirectResponse(f"/accounts/{account_id}/checks/{check_id}", status_code=303)


def _as_fields(form: dict[str, str]) -> dict[str, Any]:
    """The submitted values, shown again beside the error so nothing typed is lost."""
    shown: dict[str, Any] = {
        key: form.get(key, "")
        for key in ("name", "locations", "tags", "degradedResponseTime", "maxResponseTime")
    }
    shown["activated"] = form.get("activated") == "on"
    shown["muted"] = form.get("muted") == "on"
    shown["method"] = form.get("method") or None
    shown["url"] = form.get("url") or None
    try:
        shown["frequency"] = int(form.get("frequency", ""))
    except ValueError:
        shown["frequency"] = None
    return shown


@router.post("/accounts/{account_id}/checks/{check_id}/run")
async def run_now(
    account_id: str, check_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    await checked_form(request, runtime, viewer)
    require_write(viewer)
    body = sessions_service.parse_trigger({"target": {"checkId": [check_id]}})
    try:
        async with runtime.db.write() as conn:
            await queries.check_row(conn, account_id, check_id)
            plans = await sessions_service.trigger(
                conn, account_id, body, run_source="SCHEDULE_NOW", settings=runtime.settings
            )
    except VantageError as exc:
        if isinstance(exc, Forbidden):
            raise
        raise NotFound(exc.message) from None
    starting.announce(runtime, plans, "SCHEDULE_NOW")
    log.info("run now", user_id=viewer.user.id, check_id=check_id, sessions=len(plans))
    target = session_link("", account_id, check_id, plans[0].session["id"])
    return RedirectResponse(target, status_code=303)


@router.post("/accounts/{account_id}/checks/{check_id}/check-sessions/{session_id}/cancel")
async def cancel(
    account_id: str,
    check_id: str,
    session_id: str,
    request: Request,
    runtime: RuntimeDep,
    viewer: AccountViewer,
) -> Response:
    await checked_form(request, runtime, viewer)
    require_write(viewer)
    async with runtime.db.write() as conn:
        await queries.session_page(conn, account_id, check_id, session_id, utcnow())
        await withdraw_jobs(conn, jobs.c.session_id == session_id)
        ended = await cancel_sessions(conn, check_sessions.c.id == session_id, utcnow())
    runtime.sessions_cancelled(ended)
    log.info("session cancelled", user_id=viewer.user.id, session_id=session_id)
    return RedirectResponse(
        session_link("", account_id, check_id, quote(session_id)), status_code=303
    )


# --- API keys (admins) --------------------------------------------------------------------------


def _require_admin(viewer: Viewer) -> None:
    if viewer.user.role != "admin":
        raise NotFound("Not found")  # the page does not exist for other roles


async def _keys_page(
    runtime: Runtime,
    viewer: Viewer,
    account_id: str,
    *,
    as_json: bool,
    new_key: str | None = None,
    message: str = "",
) -> Response:
    async with runtime.db.read() as conn:
        keys = await accounts_service.list_api_keys(conn, account_id)
    data = {"accountId": account_id, "apiKeys": [key.wire() for key in keys], "message": message}
    return page(
        "api_keys.html",
        data,
        viewer=viewer,
        as_json=as_json,
        title="API keys",
        # The new key is in the HTML of this one answer only (never in the JSON twin or a URL).
        extra={"new_key": new_key},
    )


@_both("/accounts/{account_id}/api-keys")
async def api_keys_page(
    account_id: str, runtime: RuntimeDep, viewer: AccountViewer, as_json: bool
) -> Response:
    _require_admin(viewer)
    return await _keys_page(runtime, viewer, account_id, as_json=as_json)


@router.post("/accounts/{account_id}/api-keys")
async def api_keys_create(
    account_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    await checked_form(request, runtime, viewer)
    _require_admin(viewer)
    async with runtime.db.write() as conn:
        key = await accounts_service.create_api_key(conn, account_id)
    log.info("api key created", user_id=viewer.user.id, account_id=account_id)
    return await _keys_page(runtime, viewer, account_id, as_json=False, new_key=key)


@router.post("/accounts/{account_id}/api-keys/{key_id}/revoke")
async def api_keys_revoke(
    account_id: str, key_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    await checked_form(request, runtime, viewer)
    _require_admin(viewer)
    async with runtime.db.write() as conn:
        key, _left = await accounts_service.revoke_api_key(conn, account_id, key_id)
        forget_badges(conn)  # the badges kept for that key (`badge_cache`)
    log.info("api key revoked", user_id=viewer.user.id, key_id=key.id)
    return await _keys_page(
        runtime, viewer, account_id, as_json=False, message=f"Revoked {key.prefix}…"
    )


async def _set_activated(
    account_id: str, check_id: str, request: Request, runtime: Runtime, viewer: Viewer, on: bool
) -> Response:
    await checked_form(request, runtime, viewer)
    require_write(viewer)
    async with runtime.db.write() as conn:
        await queries.check_row(conn, account_id, check_id)
        # The API's own update path: the schedule follows `activated` as it does for a PUT.
        await checks_service.update(
            conn, account_id, check_id, {"activated": on}, seal=runtime.sealer.seal
        )
    runtime.signals.checks_changed()
    log.info("check activation", user_id=viewer.user.id, check_id=check_id, activated=on)
    return RedirectResponse(f"/accounts/{account_id}/checks/{check_id}", status_code=303)


@router.post("/accounts/{account_id}/checks/{check_id}/pause")
async def pause(
    account_id: str, check_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    return await _set_activated(account_id, check_id, request, runtime, viewer, False)


@router.post("/accounts/{account_id}/checks/{check_id}/resume")
async def resume(
    account_id: str, check_id: str, request: Request, runtime: RuntimeDep, viewer: AccountViewer
) -> Response:
    return await _set_activated(account_id, check_id, request, runtime, viewer, True)
