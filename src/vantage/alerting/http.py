"""A small HTTP/1.1 client for alert deliveries, with keep-alive connections per origin.

Why not httpx2: profiling the delivery of 1,000 webhooks (docs/benchmarks.md, `alert_latency.py`)
put about 0.9 ms of CPU per send in httpx2's request model, auth and redirect layers, its
connection pool and two socket writes per request, on the core the result intake shares. A
notification needs none of that: one request, no redirects, no cookies, no proxies (alerts go
where the channel says), an answer of which the log keeps 4,000 characters. This client writes the
request in one write on a pooled connection and reads the status, the headers and at most
`MAX_BODY_BYTES` of the body.

`target_of` and `encode_request` are pure; `HttpClient` does the I/O. Anything that keeps an
answer from arriving (no connection, a reset, a timeout, a malformed answer) is an `HttpError`;
a request that cannot be sent as built (a bad URL or header) is an `InvalidRequest`.
"""

from __future__ import annotations

import asyncio
import base64
import json as jsonlib
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

# Longest status line and headers of an answer; longer is a malformed answer.
MAX_HEADER_BYTES = 64 * 1024
# What is kept of an answer's body (the notification log keeps 4,000 characters of it); a longer
# body is cut there and its connection closed instead of being drained.
MAX_BODY_BYTES = 64 * 1024
# How long an idle connection is kept for the next request to the same origin (as httpx's default).
IDLE_SECONDS = 5.0
USER_AGENT = "vantage-alerts"

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Characters left as they are in a URL's path and query: those with a meaning there, and "%" so
# that what is already escaped stays so; anything else (a space, non-ASCII) is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
# Set by the client, whatever the channel's headers say.
_OURS = frozenset({"content-length", "transfer-encoding", "connection"})


class HttpError(Exception):
    """No answer: the connection failed, broke or timed out, or the answer was malformed."""


class InvalidRequest(HttpError):
    """The request cannot be sent as it was built: resending it will not help."""


class _NoAnswer(HttpError):
    """The connection closed before a byte of the answer: a reused one may have gone stale."""


@dataclass(frozen=True, slots=True)
class Response:
    status_code: int
    # Lower-case names; a repeated header's values joined with ", ".
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Target:
    secure: bool
    host: str
    port: int
    request_target: str
    host_header: str
    authorization: str | None


def _param(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def target_of(url: str, params: Sequence[tuple[str, object]] = ()) -> Target:
    """Where a request for `url` (plus `params`, appended to its query) goes (pure)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError as exc:
        raise InvalidRequest(f"invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidRequest(f"unsupported URL scheme {scheme!r}: use http or https")
    if not host:
        raise InvalidRequest("the URL has no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidRequest(f"invalid host name {host!r}") from None
    secure = scheme == "https"
    default_port = 443 if secure else 80
    port = port or default_port
    query = quote(parts.query, safe=_QUERY_SAFE)
    extra = urlencode([(str(k), _param(v)) for k, v in params], quote_via=quote)
    if extra:
        query = f"{query}&{extra}" if query else extra
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    named = f"[{host}]" if ":" in host else host
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return Target(
        secure=secure,
        host=host,
        port=port,
        request_target=f"{path}?{query}" if query else path,
        host_header=named if port == default_port else f"{named}:{port}",
        authorization=authorization,
    )


def encode_request(
    method: str, target: Target, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    """The request's bytes (pure). A header name that is not a token, or a value with a line
    break, is refused: a template must not be able to add headers or requests of its own."""
    if not _TOKEN.fullmatch(method):
        raise InvalidRequest(f"invalid method {method!r}")
    lines = [f"{method.upper()} {target.request_target} HTTP/1.1"]
    given: set[str] = set()
    for name, value in headers.items():
        name, text = str(name), str(value)
        if not _TOKEN.fullmatch(name):
            raise InvalidRequest(f"invalid header name {name!r}")
        if "\r" in text or "\n" in text or "\0" in text:
            raise InvalidRequest(f"the value of header {name!r} has a line break")
        lower = name.lower()
        if lower in _OURS:
            continue
        given.add(lower)
        lines.append(f"{name}: {text.strip()}")
    if "host" not in given:
        lines.insert(1, f"Host: {target.host_header}")
    if target.authorization and "authorization" not in given:
        lines.append(f"Authorization: {target.authorization}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept" not in given:
        lines.append("Accept: */*")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode() + (body or b"")


def parse_head(head: bytes) -> tuple[str, int, dict[str, str]]:
    """An answer's version, status and headers from its head (pure)."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest.partition(" ")[0]
    if not version.startswith("HTTP/") or not (len(code) == 3 and code.isdigit()):
        raise HttpError(f"malformed status line {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(f"malformed header line {line[:100]!r}")
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return version, int(code), headers


class _Conn:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        return (
            now - self.idle_since < IDLE_SECONDS
            and not self.writer.is_closing()
            and not self.reader.at_eof()
        )

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    """Requests with a timeout each, over keep-alive connections (at most `max_idle` kept per
    origin). Never follows redirects, never reads proxies from the environment."""

    def __init__(self, *, timeout: float, max_idle: int = 100) -> None:
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: dict[tuple[bool, str, int], list[_Conn]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(
        self, url: str, *, json: Any, headers: Mapping[str, str] | None = None
    ) -> Response:
        body = jsonlib.dumps(json).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        return await self.request("POST", url, headers=sent, content=body)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Sequence[tuple[str, object]] = (),
        content: bytes | None = None,
    ) -> Response:
        target = target_of(url, params)
        data = encode_request(method, target, headers or {}, content)
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(target, method.upper(), data)
        except TimeoutError:
            raise HttpError(f"timed out after {self.timeout:g} s") from None

    async def aclose(self) -> None:
        for pool in self._idle.values():
            for conn in pool:
                conn.close()
        self._idle.clear()

    async def _exchange(self, target: Target, method: str, data: bytes) -> Response:
        key = (target.secure, target.host, target.port)
        conn = self._take(key)
        if conn is not None:
            try:
                return await self._over(conn, key, method, data)
            except (_NoAnswer, ConnectionError):
                pass  # the server closed it while idle: once more, on a new connection
            except OSError as exc:
                raise HttpError(f"{type(exc).__name__}: {exc}") from None
        conn = await self._open(target)
        try:
            return await self._over(conn, key, method, data)
        except OSError as exc:
            raise HttpError(f"{type(exc).__name__}: {exc}") from None

    async def _over(
        self, conn: _Conn, key: tuple[bool, str, int], method: str, data: bytes
    ) -> Response:
        reusable = False
        try:
            conn.writer.write(data)
            await conn.writer.drain()
            response, reusable = await _read_response(conn.reader, method)
        finally:
            if reusable:
                self._put(key, conn)
            else:
                conn.close()
        return response

    def _take(self, key: tuple[bool, str, int]) -> _Conn | None:
        pool = self._idle.get(key)
        now = time.monotonic()
        while pool:
            conn = pool.pop()
            if conn.usable(now):
                return conn
            conn.close()
        return None

    def _put(self, key: tuple[bool, str, int], conn: _Conn) -> None:
        pool = self._idle.setdefault(key, [])
        if len(pool) >= self.max_idle:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        pool.append(conn)

    async def _open(self, target: Target) -> _Conn:
        context = None
        if target.secure:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            context = self._tls
        try:
            reader, writer = await asyncio.open_connection(
                target.host,
                target.port,
                ssl=context,
                server_hostname=target.host if context else None,
                limit=MAX_HEADER_BYTES,
            )
        except OSError as exc:
            raise HttpError(f"cannot connect to {target.host}:{target.port}: {exc}") from None
        return _Conn(reader, writer)


async def _read_response(reader: asyncio.StreamReader, method: str) -> tuple[Response, bool]:
    """The answer (interim 1xx answers skipped) and whether its connection can carry another."""
    first = True
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if first and not exc.partial:
                raise _NoAnswer("the connection closed without an answer") from None
            raise HttpError("the connection closed in the middle of the answer") from None
        except asyncio.LimitOverrunError:
            raise HttpError("the answer's headers are too long") from None
        first = False
        version, status, headers = parse_head(head)
        if not 100 <= status < 200:
            break
    connection = headers.get("connection", "").lower()
    reusable = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
    try:
        if method == "HEAD" or status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, complete = await _read_chunked(reader)
            reusable = reusable and complete
        elif "content-length" in headers:
            length = int(headers["content-length"])
            body = await reader.readexactly(min(length, MAX_BODY_BYTES))
            reusable = reusable and length <= MAX_BODY_BYTES
        else:
            body = await _read_to_end(reader)
            reusable = False
    except asyncio.IncompleteReadError:
        raise HttpError("the connection closed in the middle of the answer") from None
    except (ValueError, asyncio.LimitOverrunError):
        raise HttpError("malformed answer body") from None
    return Response(status, headers, body), reusable


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    """A chunked body, up to MAX_BODY_BYTES; whether it was read to its end."""
    parts: list[bytes] = []
    kept = 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return b"".join(parts), True
        if kept + size > MAX_BODY_BYTES:
            parts.append(await reader.readexactly(MAX_BODY_BYTES - kept))
            return b"".join(parts), False
        parts.append(await reader.readexactly(size))
        kept += size
        await reader.readexactly(2)


async def _read_to_end(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    kept = 0
    while kept < MAX_BODY_BYTES:
        chunk = await reader.read(MAX_BODY_BYTES - kept)
        if not chunk:
            break
        parts.append(chunk)
        kept += len(chunk)
    return b"".join(parts)
