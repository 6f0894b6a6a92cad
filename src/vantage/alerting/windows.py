"""`/v1/maintenance-windows`: Checkly's maintenance windows, validated and stored as their JSON
(`maintenance.py` decides when one is on and whom it silences).

`startsAt` and `endsAt` go out as the rest of the wire's moments (ISO-8601 UTC, milliseconds,
`Z`). `repeatEndsAt` is a calendar date; it goes back in the form it came in: `YYYY-MM-DD` as
sent, or, for a client that sent a date-time (Checkly's Go client and Terraform do), that date's
UTC midnight as a moment, as Checkly answers them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import maintenance
from vantage.db.tables import maintenance_occurrences as occurrences
from vantage.db.tables import maintenance_windows as table
from vantage.errors import BadRequest, NotFound
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

WINDOW_NOT_FOUND = "No such maintenance window."
READ_ONLY_FIELDS = ("id", "created_at", "updated_at", "createdAt", "updatedAt", "projectBindings")
MAX_ID = 2**31 - 1
Tag = Annotated[str, Field(min_length=1, max_length=200)]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_moment(value: datetime) -> datetime:
    """A sent moment in UTC (one without a zone is UTC, as Checkly reads it). A moment whose UTC
    time falls outside years 1-9999 (`9999-12-31T23:00:00-05:00`) cannot be stored or answered:
    a 400 naming the field, not a 500."""
    try:
        return _aware(value).astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "moment_range", "must be a moment between the years 1 and 9999 in UTC"
        ) from None


class MaintenanceWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    startsAt: datetime
    endsAt: datetime
    repeatInterval: Annotated[int, Field(ge=1, le=365)] | None = None
    repeatUnit: Literal["DAY", "WEEK", "MONTH"] | None = None
    # An inclusive local date; a date-time counts by its UTC date (Checkly's compatibility rule).
    repeatEndsAt: date | datetime | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    pauseAllChecks: bool = False
    silenceAlertsTags: list[Tag] = Field(default_factory=list, max_length=100)
    silenceAllAlerts: bool = False
    statusPageVisibility: Annotated[dict[str, Any], Field(max_length=50)] | None = None

    @field_validator("startsAt", "endsAt")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return utc_moment(value)

    @field_validator("repeatEndsAt")
    @classmethod
    def _day(cls, value: date | datetime | None) -> date | None:
        if isinstance(value, datetime):
            return _aware(value).astimezone(UTC).date()
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("must be an IANA time zone, e.g. Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> MaintenanceWindow:
        # Checkly accepts a window that ends as it starts (it silences nothing); not one that
        # ends before.
        if self.endsAt < self.startsAt:
            raise ValueError("endsAt: must not be before startsAt")
        if self.repeatInterval is not None and self.repeatUnit is None:
            raise ValueError("repeatUnit: is required with repeatInterval")
        return self


def validate(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    body = {k: v for k, v in payload.items() if k not in READ_ONLY_FIELDS}
    try:
        window = MaintenanceWindow.model_validate(body)
    except ValidationError as exc:
        raise bad_request(exc) from None
    config = window.model_dump(mode="json")
    config["startsAt"], config["endsAt"] = iso(window.startsAt), iso(window.endsAt)
    config["repeatEndsAt"] = repeat_end_wire(body.get("repeatEndsAt"), window.repeatEndsAt)
    return config


def repeat_end_wire(sent: Any, day: date | None) -> str | None:
    """The inclusive last date, in the form the client sent it (see the module's docstring)."""
    if day is None:
        return None
    if isinstance(sent, str) and len(sent.strip()) == len("YYYY-MM-DD"):
        return day.isoformat()
    return iso(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _moment(value: Any) -> Any:
    # Windows stored before moments carried milliseconds go out in today's form.
    try:
        return iso(datetime.fromisoformat(value)) if isinstance(value, str) else value
    except ValueError:
        return value


def wire(row: Any) -> dict[str, Any]:
    config = dict(row.config)
    for key in ("startsAt", "endsAt"):
        config[key] = _moment(config.get(key))
    return {
        "id": int(row.id),
        **config,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def row_of(conn: AsyncConnection, account_id: str, window_id: int) -> Any:
    """The account's window (404 for another account's or none)."""
    return await _row(conn, account_id, window_id)


async def _row(conn: AsyncConnection, account_id: str, window_id: int) -> Any:
    if not 1 <= window_id <= MAX_ID:
        raise NotFound(WINDOW_NOT_FOUND)
    row = (
        await conn.execute(
            sa.select(table).where(table.c.id == window_id, table.c.account_id == account_id)
        )
    ).first()
    if row is None:
        raise NotFound(WINDOW_NOT_FOUND)
    return row


async def create(conn: AsyncConnection, account_id: str, payload: Any) -> dict[str, Any]:
    config = validate(payload)
    result = await conn.execute(
        table.insert()
        .values(account_id=account_id, config=config, created_at=utcnow(), updated_at=None)
        .returning(table.c.id)
    )
    return wire(await _row(conn, account_id, int(result.scalar_one())))


async def get(conn: AsyncConnection, account_id: str, window_id: int) -> dict[str, Any]:
    return wire(await _row(conn, account_id, window_id))


async def list_page(
    conn: AsyncConnection, account_id: str, *, limit: int, page: int
) -> tuple[list[dict[str, Any]], int]:
    mine = table.c.account_id == account_id
    total = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(mine))
    rows = await conn.execute(
        sa.select(table).where(mine).order_by(table.c.id).limit(limit).offset((page - 1) * limit)
    )
    return [wire(r) for r in rows.all()], int(total or 0)


async def update(
    conn: AsyncConnection, account_id: str, window_id: int, payload: Any
) -> dict[str, Any]:
    """A PUT replaces the window (its body is a whole window, as on create). What was done to
    occurrences its new schedule still has stays; the rest goes with them."""
    await _row(conn, account_id, window_id)
    config = validate(payload)
    await conn.execute(
        table.update().where(table.c.id == window_id).values(config=config, updated_at=utcnow())
    )
    await _forget_unscheduled(conn, window_id, config)
    return wire(await _row(conn, account_id, window_id))


async def _forget_unscheduled(conn: AsyncConnection, window_id: int, config: Any) -> None:
    """After a window's schedule changed: drop what was done to occurrences it no longer has
    (their ids are gone with them, and a moved one must not silence any more)."""
    rows = (
        await conn.execute(
            sa.select(occurrences.c.id, occurrences.c.scheduled_start).where(
                occurrences.c.window_id == window_id
            )
        )
    ).all()
    if not rows:
        return
    latest = max(row.scheduled_start for row in rows)
    kept = {
        maintenance.occurrence_id(window_id, start)
        for start, _ in maintenance.occurrences(config, latest + timedelta(milliseconds=1))
    }
    gone = [row.id for row in rows if row.id not in kept]
    if gone:
        await conn.execute(occurrences.delete().where(occurrences.c.id.in_(gone)))


async def delete(conn: AsyncConnection, account_id: str, window_id: int) -> None:
    await _row(conn, account_id, window_id)
    await conn.execute(table.delete().where(table.c.id == window_id))
