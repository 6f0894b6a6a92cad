"""Client certificates for mutual TLS: which of a check's certificates a host gets, and the TLS
context that presents it.

The server attaches to an API or URL check's job the account's certificates (`/v1/client-
certificates`) whose host matches the check's URL, key opened. The probe presents one only to a
host it matches, redirect hops included, so a redirect to another site never receives it. A host
pattern is a name (`api.acme.com`), a wildcard for its subdomains at any depth (`*.acme.com`,
Checkly's example), and may end in `:port` to match only that port. A certificate's `ca`, when set,
replaces the trusted roots for that host, as the `ca` option of Node's TLS (what Checkly's runners
use) does.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Where the server puts them on a job's config (internal: never on Checkly's wire).
JOB_KEY = "clientCertificates"


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    host: str
    cert: str
    key: str
    passphrase: str | None = None
    ca: str | None = None


def host_matches(pattern: str, host: str, port: int | None = None) -> bool:
    name, has_port, wanted_port = pattern.strip().lower().partition(":")
    if has_port and (not wanted_port.isdigit() or port != int(wanted_port)):
        return False
    name, host = name.rstrip("."), host.lower().rstrip(".")
    if name.startswith("*."):
        return host.endswith(name[1:]) and len(host) > len(name) - 1
    return name == host


def from_job(items: Any) -> tuple[ClientCertificate, ...]:
    """The certificates on a job's config (malformed entries are left out)."""
    out = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping) and item.get("cert") and item.get("key") and item.get("host"):
            out.append(
                ClientCertificate(
                    host=str(item["host"]),
                    cert=str(item["cert"]),
                    key=str(item["key"]),
                    passphrase=item.get("passphrase") or None,
                    ca=item.get("ca") or None,
                )
            )
    return tuple(out)


def pick(
    certificates: Iterable[ClientCertificate], host: str, port: int
) -> ClientCertificate | None:
    """The certificate this host gets: the most specific pattern (an exact name before a
    wildcard, a longer wildcard before a shorter one)."""
    matching = [c for c in certificates if host_matches(c.host, host, port)]
    if not matching:
        return None
    return max(matching, key=lambda c: (not c.host.lstrip().startswith("*"), len(c.host)))


def context_for(certificate: ClientCertificate, skip_ssl: bool) -> ssl.SSLContext:
    """Raises ssl.SSLError (or ValueError) for material that does not load."""
    return _context(certificate, skip_ssl)


@functools.lru_cache(maxsize=64)
def _context(certificate: ClientCertificate, skip_ssl: bool) -> ssl.SSLContext:
    # Cached: building a context loads the roots and parses the key, milliseconds per request.
    if skip_ssl:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif certificate.ca:
        ctx = ssl.create_default_context(cadata=certificate.ca)
    else:
        ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    _load_chain(ctx, certificate)
    return ctx


def _load_chain(ctx: ssl.SSLContext, certificate: ClientCertificate) -> None:
    # The ssl module loads a certificate chain only from files: one private to this process,
    # removed as soon as it is read.
    fd, path = tempfile.mkstemp(prefix="vantage-cc-", suffix=".pem")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(certificate.key.rstrip("\n") + "\n" + certificate.cert.rstrip("\n") + "\n")
        ctx.load_cert_chain(path, password=certificate.passphrase)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
