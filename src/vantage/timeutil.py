"""UTC clocks and Checkly's timestamp format (ISO-8601, milliseconds, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    # The year padded by hand: strftime's %Y gives "467" for the year 467 on glibc.
    return (
        f"{value.year:04d}"
        + value.strftime("-%m-%dT%H:%M:%S.")
        + f"{value.microsecond // 1000:03d}Z"
    )


def _truncate_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def elapsed_ms(start: datetime, stop: datetime) -> int:
    """Milliseconds between the two timestamps as `iso()` shows them, so that a client computing
    stoppedAt - startedAt gets exactly timeElapsed."""
    return round((_truncate_ms(stop) - _truncate_ms(start)).total_seconds() * 1000)


def whole_ms(value: float | None) -> int | None:
    """Milliseconds as Checkly sends them: an integer (its Go client decodes them into int64)."""
    return None if value is None else round(value)
