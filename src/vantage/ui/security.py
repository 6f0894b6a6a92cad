"""What every UI response carries (a strict Content-Security-Policy and friends), the session
cookie's rules, and the Origin check on unsafe requests."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
UI_PREFIXES = ("/accounts/", "/login", "/logout", "/ui/")


def is_ui_path(path: str) -> bool:
    return path == "/" or path.startswith(UI_PREFIXES)


class UiHeaders:
    """Adds HEADERS to every UI response (pages, redirects, errors, static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_ui_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, sending)


def is_secure(request: Request, public_url: str) -> bool:
    """Served over TLS: the request came in over https, or the public URL says so (behind a
    TLS-terminating proxy)."""
    return request.url.scheme == "https" or public_url.startswith("https://")


def session_cookie_name(secure: bool) -> str:
    # __Host- binds the cookie to this host and path "/", but browsers accept it only with Secure.
    return "__Host-vantage_session" if secure else "vantage_session"


def allowed_origins(request: Request, public_url: str) -> set[str]:
    origins = {f"{request.url.scheme}://{request.url.netloc}"}
    if public_url:
        parts = urlsplit(public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def same_origin(request: Request, public_url: str) -> bool:
    """An unsafe request must come from a page of this site: `Origin` is one of ours, or (old
    browsers) `Sec-Fetch-Site` says same-origin; a request with neither is refused."""
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in allowed_origins(request, public_url)
    return request.headers.get("sec-fetch-site") == "same-origin"


def safe_next(target: str | None, default: str) -> str:
    """A redirect target from `?next=`: a path on this site only (no scheme, no //host)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target
