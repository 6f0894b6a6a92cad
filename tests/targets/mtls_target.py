"""A real loopback HTTPS server that requires a client certificate (mutual TLS): it answers
`{"client": <the certificate's DNS name>}` to whoever presents one its client CA signed, and
ends the handshake of anyone else."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trustme
from cryptography.hazmat.primitives import serialization


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        peer: Any = self.connection.getpeercert()
        names = [value for kind, value in peer.get("subjectAltName", ()) if kind == "DNS"]
        body = json.dumps({"client": names[0] if names else None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Material:
    """A client certificate as `/v1/client-certificates` takes it."""

    cert: str
    key: str
    ca: str  # the CA that signed the server's certificate: what the probe must trust

    def body(self, host: str, passphrase: str | None = None) -> dict[str, Any]:
        key = self.key
        if passphrase:
            loaded = serialization.load_pem_private_key(key.encode(), password=None)
            key = loaded.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase.encode()),
            ).decode()
        out = {"host": host, "cert": self.cert, "key": key, "ca": self.ca}
        return {**out, "passphrase": passphrase} if passphrase else out


@dataclass(frozen=True)
class MtlsTarget:
    url: str  # https://localhost:<port>/
    port: int
    client: Material  # signed by the CA the server requires
    stranger: Material  # a well-formed certificate from a CA the server does not know


def _material(ca: trustme.CA, name: str, server_ca: trustme.CA) -> Material:
    leaf = ca.issue_cert(name)
    return Material(
        cert=leaf.cert_chain_pems[0].bytes().decode(),
        key=leaf.private_key_pem.bytes().decode(),
        ca=server_ca.cert_pem.bytes().decode(),
    )


@contextmanager
def mtls_target() -> Iterator[MtlsTarget]:
    server_ca, client_ca, other_ca = trustme.CA(), trustme.CA(), trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    client_ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield MtlsTarget(
            url=f"https://localhost:{port}/",
            port=port,
            client=_material(client_ca, "vantage-probe", server_ca),
            stranger=_material(other_ca, "stranger", server_ca),
        )
    finally:
        server.shutdown()
        server.server_close()
