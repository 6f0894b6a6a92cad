"""Who is looking: the session cookie's user, a redirect to the login page when nobody is, a 404
for another account's pages, and the CSRF and Origin checks on every form."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from vantage.errors import Forbidden, NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import utcnow
from vantage.ui.security import is_secure, same_origin, session_cookie_name
from vantage.users import service as users
from vantage.users.roles import can_write

MAX_FORM_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class Viewer:
    user: users.User
    token: str
    secure: bool

    @property
    def csrf(self) -> str:
        return users.csrf_token(self.token)

    @property
    def can_write(self) -> bool:
        return can_write(self.user.role)


def session_token(request: Request, runtime: Runtime) -> str | None:
    secure = is_secure(request, runtime.settings.base_url)
    return request.cookies.get(session_cookie_name(secure)) or None


async def optional_viewer(request: Request, runtime: Runtime) -> Viewer | None:
    token = session_token(request, runtime)
    if token is None:
        return None
    now = utcnow()
    async with runtime.db.read() as conn:
        found = await users.session_user(conn, token, now)
    if found is None:
        return None
    user, stale = found
    if stale:
        async with runtime.db.write() as conn:
            await users.touch_session(conn, token, now)
    return Viewer(user, token, is_secure(request, runtime.settings.base_url))


def login_redirect(request: Request) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(303, "Log in first", headers={"Location": f"/login?next={quote(target)}"})


async def _viewer_of_account(
    request: Request, runtime: Annotated[Runtime, Depends(get_runtime)], account_id: str
) -> Viewer:
    viewer = await optional_viewer(request, runtime)
    if viewer is None:
        raise login_redirect(request)
    # Another account's pages do not exist, as far as this user can tell.
    if viewer.user.account_id != account_id:
        raise NotFound("Not found")
    return viewer


AccountViewer = Annotated[Viewer, Depends(_viewer_of_account)]


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form, first value of each field (the forms here need no more)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Forbidden("Form too large")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def check_origin(request: Request, runtime: Runtime) -> None:
    if not same_origin(request, runtime.settings.base_url):
        raise Forbidden("Cross-site form submission refused")


async def checked_form(request: Request, runtime: Runtime, viewer: Viewer) -> dict[str, str]:
    """The form of an unsafe request from a logged-in viewer: same origin and the session's CSRF
    token, or 403."""
    check_origin(request, runtime)
    form = await read_form(request)
    if not hmac.compare_digest(form.get("csrf", ""), viewer.csrf):
        raise Forbidden("Missing or wrong CSRF token: reload the page and try again")
    return form


def require_write(viewer: Viewer) -> None:
    if not viewer.can_write:
        raise Forbidden("Your role is read-only")
