"""A request-body limit enforced before anything is buffered, and a deadline for the body.

A plain ASGI middleware, like `RequestLog`: Starlette's `BaseHTTPMiddleware` would hide a client's
disconnect from the agents' long-polls. A declared `Content-Length` over the limit is answered at
once, without reading the body; a chunked body is counted as it arrives and refused as soon as it
passes the limit, so a client cannot make the server hold more than the limit in memory. A body
that has not fully arrived `timeout` seconds after the request's headers is a 408: a client that
trickles bytes cannot hold a request open (the headers' deadline is `slow_clients.py`'s).
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantage.errors import PayloadTooLarge, RequestTimeout


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Payload content length greater than maximum allowed: {limit}")


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, default: int, prefixes: dict[str, int], timeout: float = 30.0
    ) -> None:
        """`default` bytes for every path, or the limit of the first matching path prefix; the
        whole body within `timeout` seconds."""
        self.app = app
        self.default = default
        self.prefixes = prefixes
        self.timeout = timeout

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefixes.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        complete = False
        deadline = asyncio.get_running_loop().time() + self.timeout

        async def counting() -> Message:
            nonlocal received, complete
            if complete:
                # After the body, receive() waits for the client to go (long-polls): no deadline.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                # Raised inside the app, whose VantageError handler answers; so is the 413.
                raise RequestTimeout(
                    f"The request body did not arrive within {self.timeout:g} s"
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, counting, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(too_large(limit).body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
