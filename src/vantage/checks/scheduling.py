"""When and where a check runs: pure arithmetic over its config, apart from the scheduler's I/O."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any


def interval_seconds(config: dict[str, Any]) -> int:
    """Seconds between scheduled runs; 0 for a heartbeat check, which is never run."""
    if "heartbeat" in config:
        return 0
    frequency = int(config.get("frequency", 10))
    if frequency == 0:
        # frequency 0 means seconds, given by frequencyOffset (10, 20 or 30)
        return int(config.get("frequencyOffset") or 10)
    return frequency * 60


def spread_offset(check_id: str, interval: int) -> float:
    """A stable offset within the interval, so checks created together do not fire together."""
    digest = hashlib.blake2b(check_id.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % (interval * 1000)) / 1000


def first_run_at(check_id: str, interval: int, now: datetime) -> datetime:
    return now + timedelta(seconds=spread_offset(check_id, interval))


def next_run_after(due: datetime, interval: int, now: datetime) -> datetime:
    """The next due time after `due`, stepping from the previous due time so that runs do not drift,
    and skipping the runs missed while nothing was scheduling (a restart does not replay them)."""
    step = timedelta(seconds=interval)
    following = due + step
    if following <= now:
        missed = int((now - following) / step) + 1
        following += missed * step
    return following


def run_locations(config: dict[str, Any], default_location: str) -> list[str]:
    """Where a run goes: the check's locations and private locations, else the default one."""
    wanted = [*config.get("locations", []), *(config.get("privateLocations") or [])]
    return list(dict.fromkeys(wanted)) or [default_location]
