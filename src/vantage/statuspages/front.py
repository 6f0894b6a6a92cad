"""Cached public pages answered before the web framework.

Hundreds of readers of one status page or public dashboard ask for the same bytes. Through the
framework, each read paid for routing, dependencies and the middleware stack, several times what
taking the page from the cache costs. `PublicFront` sits in front of all that: a GET or HEAD whose
path the cache has answered before (`public_cache.remember`) and whose copy is fresh is answered
from it here, 304 included. Everything else goes on to the framework unchanged: a first read, an
expired copy with no refresh under way (the framework's read starts it), a private page to a
reader without its cookie (the framework asks for the key), other methods and paths.

What the answer is (headers, 304, who may read a private page) is `answer`, which the framework's
endpoints use too, so both paths answer the same.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from vantage.api.conditional import not_modified
from vantage.statuspages.public_cache import Rendered, path_of, served

MAX_AGE = 10
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PREFIXES = ("/status/", "/dashboards/")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def answer(rendered: Rendered, cookie_header: str, if_none_match: str) -> Answer | None:
    """The response to a reader of `rendered`; None when the page is private and the reader's
    cookies prove none of its keys (they get the key form instead)."""
    cache_control = f"public, max-age={MAX_AGE}"
    if rendered.private:
        cookie = cookie_parser(cookie_header).get(rendered.cookie, "") if rendered.cookie else ""
        if not cookie or not any(hmac.compare_digest(cookie, p) for p in rendered.proofs):
            return None
        # for the readers who typed its key: kept by no shared cache
        cache_control = "private, no-cache"
    headers = {
        **SECURITY,
        "ETag": rendered.etag,
        "Cache-Control": cache_control,
        "Vary": "Host",
    }
    if not_modified(if_none_match, rendered.etag):
        return Answer(304, headers, b"")
    headers["Content-Type"] = rendered.media_type
    return Answer(200, headers, rendered.body)


class PublicFront:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"].startswith(PREFIXES)
        ):
            rendered = served(path_of(scope))
            if rendered is not None:
                cookie, etags = "", ""
                for name, value in scope["headers"]:
                    if name == b"cookie":
                        cookie = value.decode("latin-1")
                    elif name == b"if-none-match":
                        etags = value.decode("latin-1")
                reply = answer(rendered, cookie, etags)
                if reply is not None:
                    await _send(send, reply, head=scope["method"] == "HEAD")
                    return
        await self.app(scope, receive, send)


async def _send(send: Send, reply: Answer, *, head: bool) -> None:
    headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in reply.headers.items()]
    if reply.status != 304:
        headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else reply.body})
