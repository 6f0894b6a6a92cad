"""Why an HTTP probe got no response, worded the way Node reports it (Checkly users know these).

Every low-level failure (gaierror, OSError, ssl.SSLError, parser errors) is turned into one of these
here, in one place, so the rest of the probe and the stored results only ever see this small tree.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from vantage.probes.node_errors import error_code, lookup_code, timeout_failure

if TYPE_CHECKING:
    from vantage.probes.certificate import PeerCertificate
    from vantage.probes.http.timing import HopTimings


class ProbeError(Exception):
    """A request that produced no usable HTTP response.

    `code` is Node's error code (ENOTFOUND, ECONNREFUSED, ETIMEDOUT, ...). `network` tells retry
    strategies with `onlyOn: ["NETWORK_ERROR"]` whether this counts as a network error. `timings`
    holds the phases measured before the failure, when the client got that far; `certificate`
    the target's, when its TLS handshake was done before the failure.
    """

    code = "EPROBE"
    network = True

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.timings: HopTimings | None = None
        self.certificate: PeerCertificate | None = None

    def __str__(self) -> str:
        return self.message


class InvalidRequest(ProbeError):
    """The check's request cannot be sent at all (bad URL, header with a line break)."""

    code = "ERR_INVALID_REQUEST"
    network = False


class DnsError(ProbeError):
    """The host name did not resolve."""

    code = "ENOTFOUND"


class ConnectError(ProbeError):
    """The TCP connection could not be opened."""

    code = "ECONNECT"


class ConnectRefused(ConnectError):
    """Nothing listens on the target port (RST to our SYN)."""

    code = "ECONNREFUSED"


class ProbeTimeout(ProbeError):
    """The request's deadline passed; `phase` says what the client was waiting for."""

    code = "ETIMEDOUT"

    def __init__(self, message: str, *, phase: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.phase = phase


class TlsError(ProbeError):
    """The TLS handshake failed: untrusted or mismatched certificate, protocol mismatch."""

    code = "ERR_TLS"


class ConnectionReset(ProbeError):
    """The peer closed or reset the connection before the response was complete."""

    code = "ECONNRESET"


class ProtocolError(ProbeError):
    """The peer answered with something that is not valid HTTP/1.x."""

    code = "HPE_INVALID"


class Denied(ProbeError):
    """The operator's probe policy (VANTAGE_PROBE_DENY) forbids the address it would connect to.

    Not a network error: retrying cannot change the answer.
    """

    code = "ERR_PROBE_DENIED"
    network = False


class TooManyRedirects(ProbeError):
    """The redirect chain was longer than the client follows."""

    code = "ERR_TOO_MANY_REDIRECTS"
    network = False


def format_address(addr: Any) -> str:
    """`127.0.0.1:80` / `::1:80`, as Node prints a socket address in error messages."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr)


def dns_error(host: str, exc: BaseException) -> DnsError:
    code = lookup_code(exc)
    return DnsError(f"getaddrinfo {code} {host}", code=code)


def connect_error(addr: Any, exc: OSError) -> ProbeError:
    where = format_address(addr)
    if isinstance(exc, ConnectionRefusedError):
        return ConnectRefused(f"connect ECONNREFUSED {where}")
    name = error_code(exc, "ECONNECT")
    if name == "ETIMEDOUT":
        return ProbeTimeout(f"connect ETIMEDOUT {where}", phase="connect")
    return ConnectError(f"connect {name} {where}", code=name)


def io_error(op: str, exc: OSError) -> ProbeError:
    """A send/receive failure on an open connection (`op` is "read" or "write")."""
    name = error_code(exc, "ECONNRESET")
    if name == "ETIMEDOUT":
        return ProbeTimeout(f"{op} ETIMEDOUT", phase="read")
    # ECONNRESET, EPIPE, ECONNABORTED and the rarer rest: the connection is gone either way
    return ConnectionReset(f"{op} {name}", code=name)


def hang_up() -> ConnectionReset:
    return ConnectionReset("socket hang up")


def aborted() -> ConnectionReset:
    # The server closed after the headers but before the body it announced
    return ConnectionReset("aborted")


def tls_error(exc: BaseException) -> TlsError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        # OpenSSL's verify string ("self-signed certificate", "unable to get local issuer
        # certificate", "Hostname mismatch, ...") is exactly what Node shows
        message = exc.verify_message or exc.reason or "certificate verify failed"
        code = "DEPTH_ZERO_SELF_SIGNED_CERT" if exc.verify_code == 18 else "CERT_VERIFY_FAILED"
        if exc.verify_code == 62:
            code = "ERR_TLS_CERT_ALTNAME_INVALID"
        return TlsError(str(message), code=code)
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return TlsError(
            "Client network socket disconnected before secure TLS connection was established",
            code="ECONNRESET",
        )
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        return TlsError(reason.lower().replace("_", " "), code="EPROTO")
    return TlsError(str(exc))


def timeout_error(phase: str, timeout_s: float) -> ProbeTimeout:
    return ProbeTimeout(timeout_failure(phase, timeout_s), phase=phase)


def protocol_error(exc: BaseException) -> ProtocolError:
    return ProtocolError(f"Parse Error: {exc}")
