"""Login throttling (pure, clock passed in): failed logins per email and per client address in a
sliding window. Kept in the process: with several replicas each allows its own budget, which still
bounds guessing to a few hundred tries an hour."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 15 * 60
PER_EMAIL = 10
PER_ADDRESS = 30


@dataclass
class LoginThrottle:
    per_email: int = PER_EMAIL
    per_address: int = PER_ADDRESS
    window: float = WINDOW_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def blocked(self, email: str, address: str, now: float) -> bool:
        return (
            len(self._recent("e:" + email, now)) >= self.per_email
            or len(self._recent("a:" + address, now)) >= self.per_address
        )

    def failed(self, email: str, address: str, now: float) -> None:
        for key in ("e:" + email, "a:" + address):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        self._failures.pop("e:" + email, None)
