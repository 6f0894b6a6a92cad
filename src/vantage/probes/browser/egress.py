"""Where a script's browser may connect: a forward proxy on loopback, in the agent, that asks the
agent's probe policy (`VANTAGE_PROBE_DENY`, vantage.probes.target_policy) about every address it
is about to connect to, as the protocol probes do.

Chromium and Playwright's `request` are pointed at it (the generated config's `use.proxy`, with
loopback proxied too), so a page, a redirect, a subresource, a WebSocket or an API call to the
cloud's metadata service (169.254.169.254, fd00:ec2::254...) or to any denied network is refused
with a 403 naming the policy. The proxy resolves host names itself, so a name that resolves to a
denied address is refused too. What it does not see: connections a script opens by hand (Node's
`net`, Python's `socket`); docs/operations.md says how to deny those to the runner's uid.

HTTPS and WebSockets go through CONNECT tunnels; plain HTTP is forwarded one request per
connection (`Connection: close`), so a kept-alive connection can never carry a second request to
another host past the check.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog

from vantage.probes.target_policy import SETTING, TargetPolicy

log = structlog.get_logger("vantage.browser")

MAX_HEAD_BYTES = 64 * 1024
HEAD_SECONDS = 30.0
CONNECT_SECONDS = 15.0
BUFFER = 64 * 1024
HALF_CLOSED_SECONDS = 30.0
# Headers about the connection to the proxy, not for the destination.
HOP_HEADERS = frozenset({"connection", "proxy-connection", "proxy-authorization", "keep-alive"})
_PROXIES: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Future[EgressProxy]]
] = weakref.WeakKeyDictionary()


class Refused(Exception):
    """The request cannot go out: (status, reason)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Head:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]


def parse_head(raw: bytes) -> Head:
    """A request's line and headers (pure); Refused(400) when they are not HTTP/1.x."""
    try:
        text = raw.decode("latin-1")
        line, *rest = text.split("\r\n")
        method, target, version = line.split(" ")
    except ValueError:
        raise Refused(400, "not an HTTP request") from None
    if not version.startswith("HTTP/1."):
        raise Refused(400, "not an HTTP/1 request")
    headers: list[tuple[str, str]] = []
    for item in rest:
        if not item:
            continue
        name, colon, value = item.partition(":")
        if not colon:
            raise Refused(400, "a malformed header")
        headers.append((name.strip(), value.strip()))
    return Head(method, target, version, headers)


def destination(head: Head) -> tuple[str, int, bytes | None]:
    """(host, port, head to send upstream) of a request; None for a CONNECT tunnel (pure)."""
    if head.method == "CONNECT":
        host, colon, digits = head.target.rpartition(":")
        if not colon or not digits.isdigit() or not 0 < int(digits) < 65536:
            raise Refused(400, "CONNECT needs host:port")
        return host.strip("[]"), int(digits), None
    parts = urlsplit(head.target)
    if parts.scheme != "http" or not parts.hostname:
        raise Refused(400, "only http:// URLs are forwarded; HTTPS goes through CONNECT")
    try:
        port = parts.port or 80
    except ValueError:
        raise Refused(400, "a malformed port") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    kept = [(name, value) for name, value in head.headers if name.lower() not in HOP_HEADERS]
    lines = [f"{head.method} {path} {head.version}", *(f"{n}: {v}" for n, v in kept)]
    lines.append("Connection: close")
    return parts.hostname, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def allowed_address(policy: TargetPolicy, host: str, port: int) -> str:
    """The first address of `host` the policy allows; Refused(403) when none is."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise Refused(502, f"cannot resolve {host}") from None
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if not policy.denies(address):
            return address
    shown = addresses[0] if addresses else host
    shown = shown if shown == host else f"{host} ({shown})"
    raise Refused(403, f"Connection to {shown} refused by the operator's probe policy ({SETTING})")


class EgressProxy:
    """The proxy of one policy, listening on 127.0.0.1 until `close()`."""

    def __init__(self, policy: TargetPolicy) -> None:
        self.policy = policy
        self.url = ""
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(HEAD_SECONDS):
                raw = await reader.readuntil(b"\r\n\r\n")
            head = parse_head(raw[:-4])
            host, port, upstream_head = destination(head)
            address = await allowed_address(self.policy, host, port)
            async with asyncio.timeout(CONNECT_SECONDS):
                up_reader, up_writer = await asyncio.open_connection(address, port)
        except Refused as exc:
            if exc.status == 403:
                log.info("script connection refused", reason=exc.reason)
            await _answer(writer, exc.status, exc.reason)
            return
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            await _answer(writer, 502, "the destination cannot be reached")
            return
        try:
            if upstream_head is None:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                up_writer.write(upstream_head)
            pipes = [
                asyncio.ensure_future(_pipe(reader, up_writer)),
                asyncio.ensure_future(_pipe(up_reader, writer)),
            ]
            _, pending = await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            # One side is done: the other gets a moment to finish, so that a destination that
            # never closes cannot keep the connection (and its file descriptors) forever.
            if pending:
                await asyncio.wait(pending, timeout=HALF_CLOSED_SECONDS)
            for pipe in pending:
                pipe.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        finally:
            up_writer.transport.abort()
            writer.transport.abort()


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = (reason + "\n").encode()
    titles = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}
    head = (
        f"HTTP/1.1 {status} {titles.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        writer.write(head.encode() + body)
        await writer.drain()
    writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(BUFFER):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):
        writer.transport.abort()


async def proxy_for(policy: TargetPolicy) -> str | None:
    """The URL of this event loop's proxy for `policy`, started on first use; None when the
    policy denies nothing (scripts then connect directly)."""
    if not policy.deny:
        return None
    loop = asyncio.get_running_loop()
    proxies = _PROXIES.setdefault(loop, {})
    key = policy.describe()
    started = proxies.get(key)
    if started is None:
        # A future, so that runs starting together share one proxy.
        started = proxies[key] = asyncio.ensure_future(_started(policy))
    try:
        return (await asyncio.shield(started)).url
    except OSError:
        proxies.pop(key, None)
        raise


async def _started(policy: TargetPolicy) -> EgressProxy:
    proxy = EgressProxy(policy)
    await proxy.start()
    return proxy
