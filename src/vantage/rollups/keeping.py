"""How long each roll-up bucket size is kept, and which size a window can still read (pure).

Minutes draw windows of up to 12 hours, hours up to 14 days, days beyond (`ui/ranges.py`).
Minutes and hours are kept longer than their widest window and the window before it ("vs
previous"), days as long as the longest window (400 days), so the pages miss no row they would
read, while the table stops growing: minutes were 1,440 rows a day per check and location, kept
for ever. A window that starts before its size's rows were pruned reads the next coarser size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vantage.rollups.digest import BUCKET_SECONDS

MINUTE, HOUR, DAY = BUCKET_SECONDS


@dataclass(frozen=True, slots=True)
class Keeping:
    """Days each bucket size is kept; 0 keeps it for ever."""

    minute_days: float = 2.0
    hour_days: float = 35.0
    day_days: float = 400.0

    def days(self, seconds: int) -> float:
        return {MINUTE: self.minute_days, HOUR: self.hour_days, DAY: self.day_days}[seconds]

    def cutoff(self, seconds: int, now: datetime) -> datetime | None:
        """Rows of this size that start before this are pruned (None: none are)."""
        days = self.days(seconds)
        return now - timedelta(days=days) if days > 0 else None

    def readable(self, seconds: int, start: datetime, now: datetime) -> int:
        """`seconds`, or the next coarser size whose rows from `start` on are still kept."""
        for size in BUCKET_SECONDS:
            if size < seconds:
                continue
            cutoff = self.cutoff(size, now)
            if size == DAY or cutoff is None or start >= cutoff:
                return size
        return DAY
