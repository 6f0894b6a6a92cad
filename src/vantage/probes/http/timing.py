"""Per-hop timestamps and their conversion to Checkly's Node-style `timings` / `timingPhases`.

User-space stamps are `time.perf_counter()` values. The first and last response bytes are also
stamped by the kernel on arrival (`SO_TIMESTAMPNS`, CLOCK_REALTIME); those are mapped onto the
perf_counter axis through the pair (`sent`, `sent_wall`) taken together right before `send`, so a
probe that waited in the event loop's queue is not charged for the wait.

The TCP handshake is timed by the kernel too: its round trip (`tcpi_rtt` of TCP_INFO, read right
after the connect completes) replaces the user-space span, which includes however long the connect
callback waited for the loop. With kernel times, `total` and the cumulative `timings` are the sum of
the phases, so no wait between phases is counted either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


@dataclass(slots=True)
class HopTimings:
    """Timestamps of one request/response exchange on one fresh connection."""

    start: float
    socket: float | None = None
    lookup: float | None = None
    connect: float | None = None
    secure: float | None = None
    sent: float | None = None
    sent_wall: float | None = None
    first_byte_user: float | None = None
    first_byte_kernel: float | None = None  # CLOCK_REALTIME seconds
    end_user: float | None = None
    end_kernel: float | None = None  # CLOCK_REALTIME seconds
    failed_at: float | None = None
    tls: bool = False  # an https hop: `secure` stays None if its handshake failed
    tcp_rtt: float | None = None  # seconds, the kernel's measure of the handshake round trip

    def _from_kernel(self, wall: float | None, user: float | None) -> float | None:
        if wall is None or self.sent is None or self.sent_wall is None:
            return user
        # The response can't arrive before the request left; clock steps can't push it there
        return self.sent + max(0.0, wall - self.sent_wall)

    @property
    def kernel_stamped(self) -> bool:
        return self.first_byte_kernel is not None

    def first_byte(self, *, user: bool = False) -> float | None:
        if user:
            return self.first_byte_user
        return self._from_kernel(self.first_byte_kernel, self.first_byte_user)

    def end(self, *, user: bool = False) -> float | None:
        if user:
            return self.end_user
        end = self._from_kernel(self.end_kernel, self.end_user)
        first = self.first_byte()
        if end is not None and first is not None and end < first:
            return first
        return end

    def _kernel_sum(self, user: bool) -> bool:
        return not user and self.kernel_stamped and self.end() is not None

    def phases_s(self, *, user: bool = False) -> dict[str, float | None]:
        """Seconds per phase: wait, dns, tcp, tls, firstByte, download."""
        first = self.first_byte(user=user)
        tcp = _span(self.lookup, self.connect)
        if not user and self.tcp_rtt is not None and self.connect is not None:
            tcp = self.tcp_rtt
        return {
            "wait": _span(self.start, self.socket),
            "dns": _span(self.socket, self.lookup),
            "tcp": tcp,
            "tls": _span(self.connect, self.secure) if self.tls else 0.0,
            "firstByte": _span(self.sent, first),
            "download": _span(first, self.end(user=user)),
        }

    def total_s(self, *, user: bool = False) -> float:
        """Start to last byte (or to the failure, for a request that failed)."""
        if self._kernel_sum(user):
            return sum(v for v in self.phases_s().values() if v is not None)
        end = self.end(user=user)
        if end is None:
            end = self.failed_at
        return 0.0 if end is None else end - self.start

    def _rel(self, value: float | None) -> float | None:
        return None if value is None else value - self.start

    def node_timings(self, *, user: bool = False) -> dict[str, Any]:
        """Cumulative milliseconds since the request started, like Node's `timings`."""
        if self._kernel_sum(user):
            p = self.phases_s()
            socket_ = p["wait"] or 0.0
            lookup = socket_ + (p["dns"] or 0.0)
            connect = lookup + (p["tcp"] or 0.0)
            response = connect + (p["tls"] or 0.0) + (p["firstByte"] or 0.0)
            return {
                "socket": _ms(socket_),
                "lookup": _ms(lookup),
                "connect": _ms(connect),
                "response": _ms(response),
                "end": _ms(response + (p["download"] or 0.0)),
            }
        return {
            "socket": _ms(self._rel(self.socket)),
            "lookup": _ms(self._rel(self.lookup)),
            "connect": _ms(self._rel(self.connect)),
            "response": _ms(self._rel(self.first_byte(user=user))),
            "end": _ms(self._rel(self.end(user=user))),
        }

    def node_phases(self, *, user: bool = False) -> dict[str, Any]:
        """Per-phase milliseconds (`timingPhases`), plus `tls`, which Checkly folds elsewhere."""
        phases: dict[str, Any] = {
            name: _ms(value) for name, value in self.phases_s(user=user).items()
        }
        phases["total"] = _ms(self.total_s(user=user))
        return phases


def _span(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, b - a)
