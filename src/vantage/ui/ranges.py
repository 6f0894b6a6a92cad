"""Time ranges of the check overview (pure): the window, which roll-ups it reads, the buckets it
draws, the one before it, and the windows one length earlier and later (the ◀ ▶ links).

A window reads the finest roll-up that keeps its rows few (minutes up to 12 hours, hours up to 14
days, days beyond) and draws at most MAX_BARS bars: several roll-up buckets make one bar when the
window holds more (3 hours of minutes: 2-minute bars). A window older than its size's rows are
kept reads the next coarser size (`rollups/keeping.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vantage.errors import BadRequest
from vantage.rollups.digest import bucket_start
from vantage.rollups.keeping import Keeping

PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "3h": timedelta(hours=3),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT = "24h"
MAX_BARS = 168
LONGEST = timedelta(days=400)  # a year and some: daily roll-ups are kept that long


def rollup_seconds(length: timedelta) -> int:
    """The roll-up bucket a window of `length` reads."""
    if length <= timedelta(hours=12):
        return 60
    if length <= timedelta(days=14):
        return 3600
    return 86400


@dataclass(frozen=True, slots=True)
class Window:
    preset: str  # a PRESETS name, or "custom"
    start: datetime
    end: datetime
    rollup_seconds: int  # the roll-up rows read
    bucket_seconds: int  # one bar: a whole number of roll-up buckets

    @classmethod
    def spanning(
        cls,
        preset: str,
        start: datetime,
        end: datetime,
        *,
        now: datetime | None = None,
        keeping: Keeping | None = None,
    ) -> Window:
        """The window [start, end) with its edges moved out to whole roll-up buckets; with
        `keeping`, of a size whose rows were not pruned yet (at `now`) from the start of the
        window before it on, which its "vs previous" figures read."""
        seconds = rollup_seconds(end - start)
        if keeping is not None and now is not None:
            seconds = keeping.readable(seconds, start - (end - start), now)
        start = bucket_start(start, seconds)
        if bucket_start(end, seconds) != end:
            end = bucket_start(end, seconds) + timedelta(seconds=seconds)
        count = math.ceil((end - start).total_seconds() / seconds)
        return cls(preset, start, end, seconds, seconds * math.ceil(count / MAX_BARS))

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous(self) -> Window:
        """The window of the same length just before, for the "vs previous" figures."""
        return Window(
            self.preset,
            self.start - self.length,
            self.start,
            self.rollup_seconds,
            self.bucket_seconds,
        )

    def shifted(self, steps: int) -> tuple[datetime, datetime]:
        """From and to of the window `steps` lengths later (earlier when negative)."""
        return self.start + steps * self.length, self.end + steps * self.length

    def bucket_of(self, moment: datetime) -> datetime:
        """The start of the bar that holds `moment`."""
        offset = (moment - self.start).total_seconds() // self.bucket_seconds
        return self.start + timedelta(seconds=offset * self.bucket_seconds)

    def buckets(self) -> list[datetime]:
        step = timedelta(seconds=self.bucket_seconds)
        out: list[datetime] = []
        at = self.start
        while at < self.end:
            out.append(at)
            at += step
        return out


def window(preset: str | None, now: datetime, keeping: Keeping | None = None) -> Window:
    """The window of a preset ending with the minute, hour or day that holds `now` (unknown
    presets: 24h)."""
    name = preset if preset in PRESETS else DEFAULT
    length = PRESETS[name]
    seconds = rollup_seconds(length)
    end = bucket_start(now, seconds) + timedelta(seconds=seconds)
    return Window.spanning(name, end - length, end, now=now, keeping=keeping)


def moment(value: str, field: str) -> datetime:
    """An ISO 8601 time from the query string; without an offset it is UTC (what the page shows
    and a `datetime-local` field sends). Anything else is a 400 naming the field."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f'"{field}" must be a date and time such as 2026-11-27T10:00',
            keys=[field],
            source="query",
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def requested(params: dict[str, str], now: datetime, keeping: Keeping | None = None) -> Window:
    """The window a check overview's query string asks for: `from` and `to` (a custom range,
    `to` defaulting to now) win over `range`. `keeping`: how long each roll-up size is kept, so
    that an old window reads a size that still has its rows."""
    raw_from, raw_to = params.get("from") or "", params.get("to") or ""
    if not raw_from:
        if raw_to:
            raise BadRequest('"from" is required with "to"', keys=["from"], source="query")
        return window(params.get("range"), now, keeping)
    start = moment(raw_from, "from")
    end = moment(raw_to, "to") if raw_to else now
    if end <= start:
        raise BadRequest('"to" must be after "from"', keys=["to"], source="query")
    if end - start > LONGEST:
        raise BadRequest(
            f'"from" must be at most {LONGEST.days} days before "to"', keys=["from"], source="query"
        )
    return Window.spanning("custom", start, end, now=now, keeping=keeping)
