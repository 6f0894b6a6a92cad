"""A purpose-built HTTP/1.1 client for probes: one fresh connection per request, exact phases.

General-purpose clients (httpx, aiohttp) cost 3-10x the CPU per request and time phases from user
space, which is tens of milliseconds late when hundreds of probes share a core (perf-anchors.md).
This one resolves, connects, handshakes and parses itself (httptools/llhttp), takes the first and
last response byte times from the kernel, and sends `Connection: close` so nothing is reused.

Callers depend on the `HttpProbe` protocol only, so the implementation can be swapped.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import httptools

from vantage.probes import certificate
from vantage.probes.certificate import PeerCertificate
from vantage.probes.http import errors
from vantage.probes.http.client_certs import ClientCertificate, context_for, pick
from vantage.probes.http.conn import Conn
from vantage.probes.http.errors import ProbeError
from vantage.probes.http.timing import HopTimings
from vantage.probes.target_policy import ALLOW_ALL, TargetDenied, TargetPolicy

MAX_BODY_BYTES = 1024 * 1024
# Past the kept part we keep reading (the download time stays real) up to this much, then abort
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Vantage/0.1 (synthetic monitoring)"

IpFamily = Literal["IPv4", "IPv6"]
_FAMILIES = {"IPv4": socket.AF_INET, "IPv6": socket.AF_INET6}
_perf = time.perf_counter
_wall = time.time


@dataclass(slots=True)
class HttpRequestSpec:
    """What to send. Header values are sent as given; the client adds Host, Connection: close,
    Content-Length and (unless given) User-Agent, Accept and Authorization (from `basic_auth`)."""

    url: str
    method: str = "GET"
    headers: Sequence[tuple[str, str]] = ()
    params: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    basic_auth: tuple[str, str] | None = None
    follow_redirects: bool = True
    max_redirects: int = 10
    timeout_s: float = 30.0
    ip_family: IpFamily = "IPv4"
    skip_ssl: bool = False
    ssl_context: ssl.SSLContext | None = None
    # Mutual TLS: presented to the hosts they match only (client_certs.py)
    client_certificates: Sequence[ClientCertificate] = ()
    # A forward proxy (a private location's `proxyUrl`): HTTPS goes through a CONNECT tunnel,
    # plain HTTP as an absolute-form request to it. An https:// proxy is spoken to over TLS,
    # verified with `ssl_context` (else the system's roots) whatever `skip_ssl` says: that is
    # the check's word on its target, not on the operator's proxy
    proxy_url: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    drain_limit_bytes: int = DRAIN_LIMIT_BYTES
    # Asked about the address of every connection, redirect hops included
    policy: TargetPolicy = ALLOW_ALL


@dataclass(slots=True)
class Hop:
    """One exchange of a redirect chain that was followed (not the final one)."""

    url: str
    status: int
    location: str
    timings: HopTimings


@dataclass(slots=True)
class HttpResponse:
    """The final response. `body` holds at most `max_body_bytes`; `truncated` says more came."""

    url: str
    method: str
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    timings: HopTimings
    remote_address: str
    hops: list[Hop] = field(default_factory=list)
    # The certificate of the exchange's first TLS hop (redirects are not read again)
    certificate: PeerCertificate | None = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_map(self) -> dict[str, str]:
        """Lower-case names; repeated headers joined with ", " (as Node's `res.headers`)."""
        out: dict[str, str] = {}
        for key, value in self.headers:
            lkey = key.lower()
            out[lkey] = f"{out[lkey]}, {value}" if lkey in out else value
        return out


class HttpProbe(Protocol):
    """Sends one probe request (following redirects if asked); raises `ProbeError` on failure."""

    async def request(self, spec: HttpRequestSpec) -> HttpResponse: ...


@functools.cache
def default_tls_context() -> ssl.SSLContext:
    # Built once: loading the system CA store costs milliseconds
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@functools.cache
def insecure_tls_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _client_context(spec: HttpRequestSpec, target: _Target) -> ssl.SSLContext:
    certificate = pick(spec.client_certificates, target.host, target.port)
    if certificate is None:
        return (
            insecure_tls_context() if spec.skip_ssl else spec.ssl_context or default_tls_context()
        )
    try:
        return context_for(certificate, spec.skip_ssl)
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise errors.tls_error(exc) from None


def _proxy(url: str) -> tuple[_Target, str | None]:
    """The proxy to dial (an https:// one is spoken to over TLS), and its Proxy-Authorization
    value (from the URL's user:password)."""
    try:
        dial = parse_target(url)
    except errors.InvalidRequest:
        # Not the URL itself: it may carry the proxy's password
        raise errors.InvalidRequest("Invalid proxy URL") from None
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return dial, None
    return dial, basic_auth_value(unquote(parts.username or ""), unquote(parts.password or ""))


async def _tunnel(conn: Conn, target: _Target, auth: str | None) -> None:
    """CONNECT through the proxy to the target's host and port; the proxy must answer 2xx."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    authority = f"{host}:{target.port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if auth:
        lines.append(f"Proxy-Authorization: {auth}")
    await conn.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    head = b""
    while b"\r\n\r\n" not in head:
        data = await conn.read()
        if not data or len(head) > 16_384:
            raise errors.hang_up()
        head += data
    status_line, _, rest = head.partition(b"\r\n")
    fields = status_line.split(b" ", 2)
    if len(fields) < 2 or not fields[1].isdigit() or not 200 <= int(fields[1]) < 300:
        shown = status_line.decode("latin-1", "replace")
        raise errors.ConnectError(f"The proxy refused the tunnel: {shown}", code="ECONNREFUSED")
    if rest.partition(b"\r\n\r\n")[2]:
        raise errors.protocol_error(ValueError("the proxy sent data before the tunnel opened"))


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    tls: bool
    host: str
    port: int
    path: str
    host_header: str
    family: int | None  # set for IP literals, which skip DNS

    @property
    def origin(self) -> tuple[bool, str, int]:
        return (self.tls, self.host.lower(), self.port)


def _literal_family(host: str) -> int | None:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return family
    return None


@functools.lru_cache(maxsize=4096)
def parse_target(url: str) -> _Target:
    """Split a URL once; checks hit the same URLs over and over, so the result is cached."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise errors.InvalidRequest(f"Invalid URL: {url} ({exc})") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        raise errors.InvalidRequest(f"Invalid URL: {url}")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise errors.InvalidRequest(f"Invalid URL: {url}") from None
    tls = scheme == "https"
    default_port = 443 if tls else 80
    port = port or default_port
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    family = _literal_family(host)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    return _Target(url, tls, host, port, path, host_header, family)


def with_params(url: str, params: Sequence[tuple[str, str]]) -> str:
    if not params:
        return url
    base, _, fragment = url.partition("#")
    sep = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        sep = ""
    return f"{base}{sep}{urlencode(list(params))}"


def _check_token(text: str) -> str:
    if "\r" in text or "\n" in text:
        raise errors.InvalidRequest(f"Invalid character in header content {text!r}")
    return text


def basic_auth_value(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


_OWN_HEADERS = frozenset({"host", "connection", "content-length", "transfer-encoding"})


def build_head(
    method: str, target: _Target, headers: Sequence[tuple[str, str]], body_len: int
) -> bytes:
    lines = [
        f"{_check_token(method)} {_check_token(target.path)} HTTP/1.1",
        f"Host: {target.host_header}",
    ]
    seen: set[str] = set()
    for key, value in headers:
        lkey = key.lower()
        if lkey in _OWN_HEADERS:
            continue
        seen.add(lkey)
        lines.append(f"{_check_token(key)}: {_check_token(value)}")
    if "user-agent" not in seen:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept" not in seen:
        lines.append("Accept: */*")
    if body_len or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {body_len}")
    lines.append("Connection: close")
    lines.append("\r\n")
    try:
        return "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        # Node refuses these too ("Invalid character in header content")
        raise errors.InvalidRequest("Invalid character in request header") from None


class _Sink:
    """httptools callbacks: collects status, headers and the (capped) body."""

    __slots__ = (
        "body",
        "body_len",
        "complete",
        "cap",
        "chunks",
        "headers",
        "headers_done",
        "is_head",
        "parser",
        "reason",
    )

    def __init__(self, cap: int, is_head: bool) -> None:
        self.cap = cap
        self.is_head = is_head
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.body_len = 0
        self.headers_done = False
        self.complete = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return
        self.headers_done = True
        if self.is_head:
            # llhttp can't know a HEAD response has no body; without this it waits for one
            self.complete = True

    def on_body(self, data: bytes) -> None:
        room = self.cap - self.body_len
        if room > 0:
            self.chunks.append(data if len(data) <= room else data[:room])
        self.body_len += len(data)

    def on_message_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            # An interim response (100 Continue, 103 Early Hints): the real one follows
            self.reason = b""
            self.headers = []
            return
        self.complete = True


class _Exchange:
    """State of one request in flight, so a timeout can say what it was waiting for."""

    __slots__ = ("expired", "peer", "phase", "timings")

    def __init__(self) -> None:
        self.phase = "socket"
        self.expired = False
        self.timings: HopTimings | None = None
        # The first TLS hop's host, port and certificate (DER), decoded once the clock stops
        self.peer: tuple[str, int, bytes | None] | None = None

    def certificate(self) -> PeerCertificate | None:
        return None if self.peer is None else certificate.read(*self.peer)


def _expire(task: asyncio.Task[HttpResponse], state: _Exchange) -> None:
    if not task.done():
        state.expired = True
        task.cancel()


class RawHttpProbe:
    """The default `HttpProbe`: non-blocking sockets on the running loop, httptools parser."""

    async def request(self, spec: HttpRequestSpec) -> HttpResponse:
        state = _Exchange()
        task = asyncio.current_task()
        assert task is not None
        # A bare timer instead of asyncio.timeout(): same semantics for one task, a fraction of
        # the CPU, and it knows which phase was interrupted
        timer = asyncio.get_running_loop().call_later(spec.timeout_s, _expire, task, state)
        try:
            return await self._follow(spec, state)
        except asyncio.CancelledError:
            # Ours only if the timer fired and nobody else cancelled too (the agent stopping at
            # that moment): that cancellation must go on.
            if not state.expired or task.uncancel() > 0:
                raise
            err: ProbeError = errors.timeout_error(state.phase, spec.timeout_s)
        except ProbeError as exc:
            err = exc
        finally:
            timer.cancel()
        if state.timings is not None:
            state.timings.failed_at = _perf()
        err.timings = state.timings
        err.certificate = state.certificate()
        raise err

    async def _follow(self, spec: HttpRequestSpec, state: _Exchange) -> HttpResponse:
        url = with_params(spec.url, spec.params)
        method = spec.method.upper()
        body = spec.body
        headers = list(spec.headers)
        if spec.basic_auth is not None and not any(
            k.lower() == "authorization" for k, _ in headers
        ):
            headers.append(("Authorization", basic_auth_value(*spec.basic_auth)))
        target = parse_target(url)
        origin = target.origin
        hops: list[Hop] = []
        while True:
            resp = await self._exchange(spec, state, target, method, headers, body)
            location = resp.header("location") if spec.follow_redirects else None
            if location is None or resp.status not in REDIRECT_STATUSES:
                resp.hops = hops
                resp.certificate = state.certificate()
                return resp
            if len(hops) >= spec.max_redirects:
                raise errors.TooManyRedirects(f"Redirected {spec.max_redirects} times. Aborting.")
            hops.append(Hop(resp.url, resp.status, location, resp.timings))
            target = parse_target(urljoin(resp.url, location))
            if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                # What browsers and Node do: the body is not re-sent
                method = "GET" if method != "HEAD" else method
                body = b""
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            if target.origin != origin:
                # Credentials are for the origin the user configured, not wherever it redirects
                headers = [
                    (k, v) for k, v in headers if k.lower() not in ("authorization", "cookie")
                ]
                origin = target.origin

    async def _exchange(
        self,
        spec: HttpRequestSpec,
        state: _Exchange,
        target: _Target,
        method: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
    ) -> HttpResponse:
        # Built before the clock starts: it's the same work whatever the network does
        dial, proxy_auth = _proxy(spec.proxy_url) if spec.proxy_url else (target, None)
        if dial is not target and not target.tls:
            absolute = dataclasses.replace(target, path=f"http://{target.host_header}{target.path}")
            auth = [("Proxy-Authorization", proxy_auth)] if proxy_auth else []
            payload = build_head(method, absolute, [*headers, *auth], len(body)) + body
        else:
            payload = build_head(method, target, headers, len(body)) + body
        loop = asyncio.get_running_loop()
        timings = HopTimings(start=_perf())
        state.timings = timings
        state.phase = "socket"
        family = dial.family or _FAMILIES.get(spec.ip_family, socket.AF_INET)
        sock = Conn.open(family)
        conn = Conn(loop, sock)
        try:
            timings.socket = _perf()
            state.phase = "lookup"
            if dial.family is not None:
                addr: Any = (dial.host, dial.port)
            else:
                try:
                    infos = await loop.getaddrinfo(
                        dial.host, dial.port, family=family, type=socket.SOCK_STREAM
                    )
                except socket.gaierror as exc:
                    raise errors.dns_error(dial.host, exc) from None
                if not infos:
                    raise errors.dns_error(dial.host, socket.gaierror(socket.EAI_NONAME))
                addr = infos[0][4]
            timings.lookup = _perf()
            try:
                # Through a proxy, the address connected to is the proxy's
                spec.policy.check(dial.host, addr[0])
            except TargetDenied as exc:
                raise errors.Denied(exc.message) from None
            state.phase = "connect"
            await conn.connect(addr)
            timings.connect = _perf()
            timings.tcp_rtt = conn.handshake_rtt()
            if dial is not target and dial.tls:
                # Still "connect" to the check (Node's phases know of no proxy)
                await conn.start_tls(spec.ssl_context or default_tls_context(), dial.host)
            if dial is not target and target.tls:
                await _tunnel(conn, target, proxy_auth)
            if target.tls:
                state.phase = "secureConnect"
                timings.tls = True
                if spec.client_certificates:
                    ctx = _client_context(spec, target)
                elif spec.skip_ssl:
                    ctx = insecure_tls_context()
                else:
                    ctx = spec.ssl_context or default_tls_context()
                await conn.start_tls(ctx, target.host)
                timings.secure = _perf()
            state.phase = "send"
            timings.sent_wall = _wall()
            timings.sent = _perf()
            await conn.send(payload)
            state.phase = "response"
            sink = await self._read_response(conn, timings, spec, method == "HEAD", state)
        finally:
            if timings.secure is not None and state.peer is None:
                # Once per run, from the session the exchange made (no connection of its own),
                # after the clock; only once the target's handshake is done (before it, the
                # session may be an HTTPS proxy's)
                state.peer = (target.host, target.port, conn.peer_certificate())
            conn.close()
        return HttpResponse(
            url=target.url,
            method=method,
            status=sink.parser.get_status_code() if sink.parser else 0,
            reason=sink.reason.decode("latin-1"),
            http_version=sink.parser.get_http_version() if sink.parser else "1.1",
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in sink.headers],
            body=b"".join(sink.chunks),
            truncated=sink.body_len > spec.max_body_bytes,
            timings=timings,
            remote_address=errors.format_address(addr),
        )

    async def _read_response(
        self,
        conn: Conn,
        timings: HopTimings,
        spec: HttpRequestSpec,
        is_head: bool,
        state: _Exchange,
    ) -> _Sink:
        sink = _Sink(spec.max_body_bytes, is_head)
        parser = httptools.HttpResponseParser(sink)
        sink.parser = parser
        limit = spec.max_body_bytes + spec.drain_limit_bytes
        wait = True  # the answer can't be there yet: skip a recv that would only say EAGAIN
        while not sink.complete:
            data = await conn.read(wait)
            wait = False
            if not data:
                if not sink.headers_done:
                    raise errors.hang_up()
                if _delimited_by_close(sink):
                    break
                raise errors.aborted()
            if timings.first_byte_user is None:
                timings.first_byte_user = conn.last_user_ts
                timings.first_byte_kernel = conn.last_kernel_ts
                state.phase = "read"
            timings.end_user = conn.last_user_ts
            timings.end_kernel = conn.last_kernel_ts
            try:
                parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                break
            except httptools.HttpParserError as exc:
                if sink.complete:
                    break  # junk after a complete response (a body on a 204) is not our problem
                raise errors.protocol_error(exc) from None
            if sink.body_len > limit:
                break
        return sink


def _delimited_by_close(sink: _Sink) -> bool:
    """A response with neither Content-Length nor chunked encoding ends when the server closes."""
    for name, value in sink.headers:
        lname = name.lower()
        if lname == b"content-length":
            return False
        if lname == b"transfer-encoding" and b"chunked" in value.lower():
            return False
    return True
