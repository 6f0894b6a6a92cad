"""Time ranges of the check overview (pure): the window, its bucket size, the one before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vantage.rollups.digest import bucket_start

# preset -> (window, bucket seconds); at most 168 bars per chart
PRESETS: dict[str, tuple[timedelta, int]] = {
    "1h": (timedelta(hours=1), 60),
    "24h": (timedelta(hours=24), 3600),
    "7d": (timedelta(days=7), 3600),
    "30d": (timedelta(days=30), 86400),
}
DEFAULT = "24h"


@dataclass(frozen=True, slots=True)
class Window:
    preset: str
    start: datetime
    end: datetime
    bucket_seconds: int

    @property
    def previous(self) -> Window:
        length = self.end - self.start
        return Window(self.preset, self.start - length, self.start, self.bucket_seconds)

    def buckets(self) -> list[datetime]:
        step = timedelta(seconds=self.bucket_seconds)
        out: list[datetime] = []
        at = self.start
        while at < self.end:
            out.append(at)
            at += step
        return out


def window(preset: str | None, now: datetime) -> Window:
    """The window of a preset ending with the bucket that holds `now` (unknown presets: 24h)."""
    name = preset if preset in PRESETS else DEFAULT
    length, seconds = PRESETS[name]
    end = bucket_start(now, seconds) + timedelta(seconds=seconds)
    return Window(name, end - length, end, seconds)
