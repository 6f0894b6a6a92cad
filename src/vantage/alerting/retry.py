"""When to try a failed delivery again (pure): growing delays with jitter, a receiver's
`Retry-After` honoured up to a cap, and a last attempt after which the notification is given up."""

from __future__ import annotations

import random
from collections.abc import Callable

# Multiples of the base delay (10 s by default: 10 s, 30 s, 1 min, 2 min, 5 min, 10 min, 15 min…).
STEPS = (1, 3, 6, 12, 30, 60, 90)
JITTER = 0.2


def delay_seconds(
    attempts: int,
    base: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait before the next attempt, after `attempts` attempts (1 = the first one failed)."""
    step = STEPS[min(max(attempts, 1), len(STEPS)) - 1]
    delay = base * step * (1 + JITTER * (2 * rand() - 1))
    if retry_after is not None:
        # A receiver's own wish wins when it asks for longer, up to the longest step.
        delay = max(delay, min(retry_after, base * STEPS[-1]))
    return delay


def gives_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
