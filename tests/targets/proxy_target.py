"""A real forward proxy on loopback: CONNECT tunnels for HTTPS and absolute-form requests for
plain HTTP, each recorded (method, target, Proxy-Authorization), so a test can see a probe went
through it. `required_auth` makes it answer 407 to anyone without that Proxy-Authorization; `tls`
makes it an HTTPS proxy (TLS to the proxy itself, then the same protocol inside)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ProxyTarget:
    url: str
    required_auth: str | None = None
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)


def _read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while chunk := a.recv(65536):
            b.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (a, b):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _serve(conn: socket.socket, proxy: ProxyTarget, tls: ssl.SSLContext | None) -> None:
    if tls is not None:
        try:
            conn = tls.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()  # a client that does not trust the proxy ends the handshake
            return
    with conn:
        head, rest = _read_head(conn)
        if not head:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        auth = headers.get("proxy-authorization")
        proxy.seen.append((method, target, auth))
        if proxy.required_auth is not None and auth != proxy.required_auth:
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        else:
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname, parts.port or 80))
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            kept = [h for h in lines[1:] if not h.lower().startswith("proxy-authorization")]
            upstream.sendall(
                f"{method} {path or '/'} HTTP/1.1\r\n".encode("latin-1")
                + "\r\n".join(kept).encode("latin-1")
                + b"\r\n\r\n"
                + rest
            )
        with upstream:
            back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
            back.start()
            _pipe(conn, upstream)
            back.join(timeout=10)


@contextmanager
def proxy_target(
    required_auth: str | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[ProxyTarget]:
    listener = socket.create_server(("127.0.0.1", 0))
    scheme = "https" if tls is not None else "http"
    proxy = ProxyTarget(f"{scheme}://127.0.0.1:{listener.getsockname()[1]}", required_auth)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_serve, args=(conn, proxy, tls), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        stop.set()
        listener.close()
