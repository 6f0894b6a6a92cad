"""The certificate an HTTPS run was served: where, until when, by whom, for whom.

An API or URL check's probe completes a TLS handshake anyway; the certificate it was handed is
read from that connection (once per run, the first TLS hop's) and travels with the result, so the
server's SSL expiry alerts (vantage.alerting.ssl_expiry) also cover hosts that only a private
location's agent can reach. On the wire it is an optional `certificate` object of the result: an
agent that predates it sends none, a server that predates it ignores it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509

from vantage import storable

# Longer names are cut: a subject is for people to read, and a row must stay small.
MAX_NAME_CHARS = 500
MAX_HOST_CHARS = 255


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    host: str
    port: int
    not_after: datetime
    subject: str
    issuer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "notAfter": self.not_after.astimezone(UTC).isoformat(),
            "subject": self.subject,
            "issuer": self.issuer,
        }


def read(host: str, port: int, der: bytes | None) -> PeerCertificate | None:
    """The certificate `der` as served by host:port; None when there is none or it is unreadable
    (a run is never failed for it)."""
    if not der:
        return None
    parsed = _parsed(der)
    if parsed is None:
        return None
    not_after, subject, issuer = parsed
    return PeerCertificate(host, port, not_after, subject, issuer)


@functools.lru_cache(maxsize=1024)
def _parsed(der: bytes) -> tuple[datetime, str, str] | None:
    # Cached by the certificate itself: a check meets the same one run after run, and decoding
    # its names costs ~90 µs, the date alone ~6 µs (a run's whole CPU is about a millisecond).
    try:
        cert = x509.load_der_x509_certificate(der)
        not_after = cert.not_valid_after_utc
        subject = _name(cert.subject.rfc4514_string())
        issuer = _name(cert.issuer.rfc4514_string())
    except ValueError:
        return None
    return not_after, subject, issuer


def _name(text: str) -> str:
    text = storable.scrub(text)
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS]


def from_json(data: Any) -> PeerCertificate | None:
    """A result's `certificate` as an agent sent it (absent or null: none); ValueError naming the
    first bad field otherwise."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError('"certificate" must be an object or null')
    host = data.get("host")
    if not isinstance(host, str) or not 0 < len(host) <= MAX_HOST_CHARS:
        raise ValueError('"certificate.host" must be a host name')
    port = data.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError('"certificate.port" must be a port number')
    names = []
    for field in ("subject", "issuer"):
        value = data.get(field, "")
        if not isinstance(value, str) or len(value) > 2 * MAX_NAME_CHARS:
            raise ValueError(f'"certificate.{field}" must be a short text')
        names.append(_name(value))
    return PeerCertificate(
        storable.scrub(host), port, _not_after(data.get("notAfter")), names[0], names[1]
    )


def _not_after(value: Any) -> datetime:
    problem = '"certificate.notAfter" must be an ISO-8601 timestamp with its UTC offset'
    if not isinstance(value, str):
        raise ValueError(problem)
    try:
        return stored_timestamp(value)
    except (ValueError, OverflowError):
        raise ValueError(problem) from None


def stored_timestamp(value: Any) -> datetime:
    """A certificate's stored `notAfter` or `seenAt`, in UTC; ValueError when it is not an
    ISO-8601 timestamp with its offset (written by a later version, or damaged)."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no UTC offset")
    return parsed.astimezone(UTC)


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days until `not_after`, negative once it has passed."""
    return (not_after - now) // timedelta(days=1)
