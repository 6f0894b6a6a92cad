"""Timeouts for clients that send a request slowly, which uvicorn does not have.

uvicorn closes a keep-alive connection that stays idle between requests, but waits forever for a
request that has begun: a client that opens connections and sends a header line now and then holds
a socket and a parser each, as long as it likes. Here a request's headers must be complete within
`header_timeout` seconds of the connection opening (or of the request's first byte, on a kept-alive
connection), or the server answers 408 and closes; the body has its own deadline in `BodyLimit`.
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from vantage.errors import error_body

_TIMED_OUT = json.dumps(error_body(408, "The request's headers did not arrive in time")).encode()
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMED_OUT)).encode() + b"\r\n\r\n" + _TIMED_OUT
)


class _HeaderDeadline(HttpToolsProtocol):
    header_timeout = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A new connection's timer runs from when it opened: its first byte does not restart it.
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def http_protocol(header_timeout: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with a deadline on each request's headers."""
    return type("HttpWithHeaderDeadline", (_HeaderDeadline,), {"header_timeout": header_timeout})
