"""An HTTPS server on loopback whose certificate expires soon, for SSL expiry tests: the routes of
`http_target`, one listener, a certificate from its own test CA valid for `days` more."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.targets.http_target import HttpTarget


@dataclass
class ExpiringTarget:
    server: HttpTarget
    url: str
    not_after: datetime

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@contextmanager
def expiring_target(days: float) -> Iterator[ExpiringTarget]:
    """Served until the block ends (or `server.stop()`: then nothing answers there)."""
    server = HttpTarget()
    # Whole seconds: what a certificate can say
    not_after = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    leaf = server.ca.issue_cert("localhost", "127.0.0.1", not_after=not_after)
    try:
        yield ExpiringTarget(server, server.listen_tls(leaf), not_after)
    finally:
        server.stop()
