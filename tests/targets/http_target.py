"""A small real HTTP/1.1 server for probe tests and timing benchmarks.

Deliberately independent of the client under test: blocking sockets, one thread per connection,
its own tiny request parser. Plain listeners read requests with `recvmsg` + `SO_TIMESTAMPNS`, so
`/hold` can report how long it really held a request (kernel arrival to its own `send`), which a
timing-accuracy benchmark compares with what the prober measured.

Run standalone: `python -m tests.targets.http_target --port 8080`.
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

SO_TIMESTAMPNS: int | None = getattr(
    socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None
)
_TIMESPEC = struct.Struct("@qq")

JSON_DOC: dict[str, Any] = {
    "status": "up",
    "count": 3,
    "ratio": 0.75,
    "active": True,
    "nothing": None,
    "empty": [],
    "name": "vantage",
    "items": [
        {"id": 1, "name": "alpha", "tags": ["a", "x"]},
        {"id": 2, "name": "beta", "tags": []},
        {"id": 3, "name": "gamma", "tags": ["x"]},
    ],
    "meta": {"version": "1.2.3", "nested": {"deep": True, "name": "inner"}},
}
TEXT_BODY = "hello world, service status: healthy (build 4711)"
# `/gate?name=N` answers once a test opens gate N (`open_gate`), at most GATE_MAX_S later: a run
# that stays under way for exactly as long as a test needs, however slow the machine.
GATE_MAX_S = 30.0
_gates: dict[str, threading.Event] = {}
_gates_lock = threading.Lock()


def _gate(name: str) -> threading.Event:
    with _gates_lock:
        return _gates.setdefault(name, threading.Event())


def open_gate(name: str) -> None:
    _gate(name).set()


def wait_at_gate(name: str, seconds: float = GATE_MAX_S) -> None:
    """Block until gate `name` opens, or `seconds` pass (a target's handler thread calls it)."""
    _gate(name).wait(seconds)


PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    418: "I'm a teapot",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    received_wall: float  # kernel receive time of the first request bytes when known
    kernel_stamped: bool

    def arg(self, name: str, default: str) -> str:
        return self.query.get(name, [default])[0]


@dataclass(slots=True)
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/json"
    # (delay_s, bytes) pieces sent after the head, for slow/chunked/close-delimited bodies
    stream: list[tuple[float, bytes]] | None = None
    chunked: bool = False
    raw: bytes | None = None  # bytes sent verbatim instead of a response
    reset: bool = False
    hold_until_wall: float | None = None


def _json(doc: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(doc).encode())


def route(req: Request) -> Response:
    path = req.path
    if path == "/ok":
        return _json({"ok": True})
    if path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        return _json({"status": code}, status=code)
    if path == "/json":
        return _json(JSON_DOC)
    if path == "/text":
        return Response(body=TEXT_BODY.encode(), content_type="text/plain; charset=utf-8")
    if path == "/not-json":
        return Response(body=b"<html>not json</html>", content_type="text/html")
    if path == "/image":
        return Response(body=PNG_BYTES, content_type="image/png")
    if path == "/headers":
        resp = _json({k: v for k, v in req.headers.items()})
        resp.headers += [
            ("X-Request-Id", "req-abc-123"),
            ("Cache-Control", "public, max-age=60"),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
        ]
        return resp
    if path == "/echo":
        return _json(_echo(req))
    if path == "/set-cookie":
        resp = _json(_echo(req))
        resp.headers.append(("Set-Cookie", f"sid={req.arg('sid', 'sid-value')}; Path=/; HttpOnly"))
        return resp
    if path == "/slow":
        time.sleep(float(req.arg("ms", "100")) / 1000.0)
        return _json({"slow": True})
    if path == "/gate":
        wait_at_gate(req.arg("name", ""))
        return _json({"gate": "open"})
    if path == "/hold":
        return Response(
            body=b'{"held":true}',
            hold_until_wall=req.received_wall + float(req.arg("ms", "100")) / 1000.0,
        )
    if path == "/slow-body":
        delay = float(req.arg("ms", "200")) / 1000.0
        return Response(stream=[(0.0, b"first,"), (delay, b"second")], chunked=True)
    if path == "/chunked":
        return Response(stream=[(0.0, b'{"chunked":'), (0.01, b"true}")], chunked=True)
    if path == "/close-delimited":
        return Response(stream=[(0.0, b"until"), (0.01, b" close")], content_type="text/plain")
    if path.startswith("/redirect/"):
        n = int(path.rsplit("/", 1)[1])
        if n <= 0:
            return _json({"redirected": True})
        return Response(status=302, headers=[("Location", f"/redirect/{n - 1}")], content_type=None)
    if path == "/redirect-to":
        status = int(req.arg("status", "302"))
        return Response(
            status=status, headers=[("Location", req.arg("url", "/ok"))], content_type=None
        )
    if path == "/big":
        size = int(req.arg("size", str(1536 * 1024)))
        return Response(body=b"a" * size, content_type="text/plain")
    if path == "/repeat":
        # "a" * 40 + "!" is what a catastrophically backtracking regex needs to stall on
        text = req.arg("text", "a") * int(req.arg("times", "1")) + req.arg("tail", "")
        return Response(body=text.encode(), content_type="text/plain; charset=utf-8")
    if path == "/big-json":
        items = int(req.arg("items", "10000"))
        return _json([{"id": i, "name": f"item-{i}", "tags": ["x", "y"]} for i in range(items)])
    if path == "/reset":
        return Response(reset=True)
    if path == "/garbage":
        return Response(raw=b"this is not http\r\n\r\n")
    return _json({"error": "not found"}, status=404)


def _echo(req: Request) -> dict[str, Any]:
    auth = req.headers.get("authorization", "")
    user = password = None
    if auth.lower().startswith("basic "):
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    return {
        "method": req.method,
        "path": req.path,
        "body": req.body.decode("utf-8", "replace"),
        "contentType": req.headers.get("content-type"),
        "query": {k: v if len(v) > 1 else v[0] for k, v in req.query.items()},
        "auth": {"username": user, "password": password} if user is not None else None,
        "headers": req.headers,
    }


def _recv(sock: socket.socket, stamped: bool) -> tuple[bytes, float | None]:
    if not stamped:
        return sock.recv(65536), None
    data, anc, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(_TIMESPEC.size))
    for _level, _type, cdata in anc:
        if len(cdata) >= _TIMESPEC.size:
            sec, nsec = _TIMESPEC.unpack_from(cdata)
            return data, sec + nsec * 1e-9
    return data, None


def read_request(sock: socket.socket, stamped: bool) -> Request | None:
    buf = b""
    received: float | None = None
    fallback = time.time()
    while b"\r\n\r\n" not in buf:
        data, ts = _recv(sock, stamped)
        if not data:
            return None
        if received is None:
            received = ts
            fallback = time.time()
        buf += data
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        data, _ts = _recv(sock, stamped)
        if not data:
            break
        body += data
    parts = urlsplit(target)
    return Request(
        method=method,
        path=parts.path,
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=headers,
        body=body,
        received_wall=received if received is not None else fallback,
        kernel_stamped=received is not None,
    )


def _head(resp: Response, extra: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}"]
    if resp.content_type:
        lines.append(f"Content-Type: {resp.content_type}")
    lines += [f"{k}: {v}" for k, v in resp.headers + extra]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(sock: socket.socket, req: Request, resp: Response) -> None:
    if resp.reset:
        # SO_LINGER 0: close sends RST instead of FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return
    if resp.raw is not None:
        sock.sendall(resp.raw)
        return
    body = b"" if req.method == "HEAD" or resp.status in (204, 304) else resp.body
    if resp.stream is None:
        extra = [] if resp.status in (204, 304) else [("Content-Length", str(len(resp.body)))]
        if resp.hold_until_wall is not None:
            time.sleep(max(0.0, resp.hold_until_wall - time.time()))
            sent = time.time()
            held_ms = (sent - req.received_wall) * 1000.0
            extra += [
                ("X-Held-Ms", f"{held_ms:.3f}"),
                ("X-Held-Clock", "kernel" if req.kernel_stamped else "user"),
            ]
        sock.sendall(_head(resp, extra) + body)
        return
    chunked = resp.chunked
    extra = [("Transfer-Encoding", "chunked")] if chunked else []
    sock.sendall(_head(resp, extra))
    for delay, piece in resp.stream:
        if delay:
            time.sleep(delay)
        if chunked:
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        else:
            sock.sendall(piece)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


class HttpTarget:
    """Plain, HTTPS (trusted test CA), HTTPS (untrusted CA), HTTPS (self-signed) and, when the
    machine has `::1`, plain IPv6 listeners, all serving the same routes."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self._untrusted_ca = trustme.CA()
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self.base_url = ""
        self.https_url = ""
        self.untrusted_url = ""
        self.self_signed_url = ""
        self.ipv6_url: str | None = None
        self.port = 0
        # every request read, on any listener: lets a test prove a probe never reached the target
        self.seen: list[Request] = []
        # connections accepted, on any listener: lets a test count who connected, request or not
        self.accepted = 0

    def client_context(self) -> ssl.SSLContext:
        """A client SSLContext that trusts the test CA (and nothing else)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(ctx)
        return ctx

    def _server_context(self, ca: trustme.CA, self_signed: bool = False) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if self_signed:
            # the CA certificate is self-signed: serving it as the leaf is a self-signed server
            leaf_pem = ca.cert_pem.bytes() + ca.private_key_pem.bytes()
            _load_pem(ctx, leaf_pem)
        else:
            ca.issue_cert("localhost", "127.0.0.1", "::1").configure_cert(ctx)
        return ctx

    def start(self, host: str = "127.0.0.1", port: int = 0) -> HttpTarget:
        self.port = self._listen(host, port, None)
        self.base_url = f"http://{host}:{self.port}"
        https = self._listen(host, 0, self._server_context(self.ca))
        self.https_url = f"https://{host}:{https}"
        untrusted = self._listen(host, 0, self._server_context(self._untrusted_ca))
        self.untrusted_url = f"https://{host}:{untrusted}"
        self_signed = self._listen(host, 0, self._server_context(self.ca, self_signed=True))
        self.self_signed_url = f"https://{host}:{self_signed}"
        try:
            v6 = self._listen("::1", 0, None, socket.AF_INET6)
            self.ipv6_url = f"http://[::1]:{v6}"
        except OSError:
            self.ipv6_url = None
        return self

    def listen_tls(self, leaf: trustme.LeafCert, host: str = "127.0.0.1") -> str:
        """One more HTTPS listener, serving `leaf` (one of `self.ca`'s: a certificate expiring
        soon, say); its base URL."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(ctx)
        return f"https://{host}:{self._listen(host, 0, ctx)}"

    def _listen(
        self, host: str, port: int, tls: ssl.SSLContext | None, family: int = socket.AF_INET
    ) -> int:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
        self._sockets.append(sock)
        threading.Thread(target=self._accept, args=(sock, tls), daemon=True).start()
        port_: int = sock.getsockname()[1]
        return port_

    def _accept(self, listener: socket.socket, tls: ssl.SSLContext | None) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn, tls), daemon=True).start()

    def _serve(self, conn: socket.socket, tls: ssl.SSLContext | None) -> None:
        sock: socket.socket = conn
        try:
            stamped = tls is None and SO_TIMESTAMPNS is not None
            if stamped:
                assert SO_TIMESTAMPNS is not None
                conn.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            if tls is not None:
                sock = tls.wrap_socket(conn, server_side=True)
            req = read_request(sock, stamped)
            if req is not None:
                self.seen.append(req)
                respond(sock, req, route(req))
        except (OSError, ValueError):
            pass  # clients that reject our certificate or hang up are part of the tests
        finally:
            sock.close()

    def stop(self) -> None:
        self._stop.set()
        for sock in self._sockets:
            sock.close()


def _load_pem(ctx: ssl.SSLContext, pem: bytes) -> None:
    # load_cert_chain only reads files
    with tempfile.NamedTemporaryFile(suffix=".pem") as fh:
        fh.write(pem)
        fh.flush()
        ctx.load_cert_chain(fh.name)


def start_target(host: str = "127.0.0.1", port: int = 0) -> HttpTarget:
    """Start all listeners in daemon threads; returns the target (see its `*_url` fields)."""
    return HttpTarget().start(host, port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    target = start_target(args.host, args.port)
    print(f"serving {target.base_url} {target.https_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        target.stop()


if __name__ == "__main__":
    main()
