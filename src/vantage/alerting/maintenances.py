"""`/v1/maintenance-windows/{id}/maintenances`: a window's occurrences ("maintenances") in
Checkly's shape, read from the window's schedule (`maintenance.occurrences`), and what can be
done to one of them: delete it, move it (PATCH its `startsAt`/`endsAt`), and post, edit and
delete status updates on it.

An occurrence's id is derived from its window and its scheduled start (a UUID v5), so it stays
the same across reads and replicas for as long as the window's schedule does. An occurrence
nothing was done to is not stored; one that was has a row in `maintenance_occurrences`, keyed by
that id. A deleted occurrence is gone from the list and silences nothing; a moved one silences
during its new times instead of its scheduled ones (`maintenance.is_active`); the window's other
occurrences are untouched. Its status follows the clock over its (moved) times: SCHEDULED before
its start, IN_PROGRESS during, COMPLETED after. A status update is a note on the occurrence, read
back with it (newest first): its `status` is recorded as sent and changes neither the
occurrence's status nor what it silences (move or delete the occurrence for that). With
`notifySubscribers`, it is mailed to the verified subscribers of the status pages the window's
`statusPageVisibility` shows it on (`statuspages.mail.maintenance_pages`); an edit of an update
mails nobody. A repeating window lists its occurrences up to a year ahead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import maintenance, windows
from vantage.alerting.maintenance import occurrence_id
from vantage.db.tables import maintenance_occurrences as table
from vantage.db.tables import maintenance_windows
from vantage.errors import BadRequest, NotFound
from vantage.statuspages import mail
from vantage.timeutil import iso
from vantage.validation import bad_request

MAINTENANCE_NOT_FOUND = "No such maintenance."
UPDATE_NOT_FOUND = "No such maintenance update."
HORIZON = timedelta(days=366)

UpdateStatus = Literal["SCHEDULED", "IN_PROGRESS", "VERIFYING", "COMPLETED", "CANCELLED"]
Description = Annotated[str, Field(min_length=1, max_length=2000)]


class MaintenanceEdit(BaseModel):
    """`PATCH …/maintenances/{maintenanceId}` (Checkly's `Model63`): new times for this
    occurrence only; an absent (or null) one stays as it is."""

    model_config = ConfigDict(extra="forbid")

    startsAt: datetime | None = None
    endsAt: datetime | None = None

    @field_validator("startsAt", "endsAt")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else windows.utc_moment(value)


class UpdateCreate(BaseModel):
    """`POST …/updates` (Checkly's `MaintenanceWindowUpdatePayload`)."""

    model_config = ConfigDict(extra="forbid")

    status: UpdateStatus
    description: Description
    notifySubscribers: bool = False


class UpdateEdit(BaseModel):
    """`PUT …/updates/{updateId}` (Checkly's `MaintenanceWindowUpdateEditPublicPayload`): without
    a `status` the stored one is kept."""

    model_config = ConfigDict(extra="forbid")

    status: UpdateStatus | None = None
    description: Description


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise bad_request(exc) from None


def status_at(start: datetime, end: datetime, now: datetime) -> str:
    if now < start:
        return "SCHEDULED"
    return "IN_PROGRESS" if now < end else "COMPLETED"


@dataclass(frozen=True, slots=True)
class Occurrence:
    window: Any
    scheduled_start: datetime
    scheduled_end: datetime
    # Its `maintenance_occurrences` row, when something was done to it.
    edit: Any | None

    @property
    def id(self) -> str:
        return occurrence_id(int(self.window.id), self.scheduled_start)

    @property
    def times(self) -> tuple[datetime, datetime]:
        if self.edit is not None and self.edit.starts_at is not None:
            return self.edit.starts_at, self.edit.ends_at
        return self.scheduled_start, self.scheduled_end

    @property
    def updates(self) -> list[dict[str, Any]]:
        return list(self.edit.updates) if self.edit is not None else []

    def wire(self, now: datetime) -> dict[str, Any]:
        start, end = self.times
        made = self.window.updated_at or self.window.created_at
        changed = max(self.edit.updated_at, made) if self.edit is not None else made
        return {
            "id": self.id,
            "maintenanceWindowId": int(self.window.id),
            "startsAt": iso(start),
            "endsAt": iso(end),
            "status": status_at(start, end, now),
            "created_at": iso(made),
            "updated_at": iso(changed),
            "updates": list(reversed(self.updates)),
        }


async def _edits(conn: AsyncConnection, window_id: int) -> dict[str, Any]:
    rows = await conn.execute(sa.select(table).where(table.c.window_id == window_id))
    return {row.id: row for row in rows.all()}


async def _all(
    conn: AsyncConnection, account_id: str, window_id: int, now: datetime
) -> list[Occurrence]:
    row = await windows.row_of(conn, account_id, window_id)
    edits = await _edits(conn, int(row.id))
    out: list[Occurrence] = []
    for start, end in maintenance.occurrences(row.config, now + HORIZON):
        edit = edits.get(occurrence_id(int(row.id), start))
        if edit is None or not edit.deleted:
            out.append(Occurrence(row, start, end, edit))
    return out


async def _one(
    conn: AsyncConnection, account_id: str, window_id: int, maintenance_id: str, now: datetime
) -> Occurrence:
    # Compared in Python, never put in SQL: any text may arrive in the path.
    for item in await _all(conn, account_id, window_id, now):
        if item.id == maintenance_id:
            return item
    raise NotFound(MAINTENANCE_NOT_FOUND)


async def list_page(
    conn: AsyncConnection, account_id: str, window_id: int, now: datetime, *, limit: int, page: int
) -> tuple[list[dict[str, Any]], int]:
    every = await _all(conn, account_id, window_id, now)
    return [o.wire(now) for o in every[(page - 1) * limit : page * limit]], len(every)


async def get(
    conn: AsyncConnection, account_id: str, window_id: int, maintenance_id: str, now: datetime
) -> dict[str, Any]:
    return (await _one(conn, account_id, window_id, maintenance_id, now)).wire(now)


async def _for_change(
    conn: AsyncConnection, account_id: str, window_id: int, maintenance_id: str, now: datetime
) -> Occurrence:
    """The occurrence, its window locked first: changes to one window's occurrences (and a PUT
    of the window, which updates that row) take turns on PostgreSQL; SQLite has one writer."""
    await windows.row_of(conn, account_id, window_id)
    await conn.execute(
        sa.select(maintenance_windows.c.id)
        .where(maintenance_windows.c.id == window_id)
        .with_for_update()
    )
    return await _one(conn, account_id, window_id, maintenance_id, now)


async def _save(conn: AsyncConnection, item: Occurrence, now: datetime, **values: Any) -> None:
    if item.edit is None:
        await conn.execute(
            table.insert().values(
                id=item.id,
                window_id=int(item.window.id),
                scheduled_start=item.scheduled_start,
                deleted=False,
                starts_at=None,
                ends_at=None,
                updates=[],
                created_at=now,
                updated_at=now,
            )
        )
    await conn.execute(table.update().where(table.c.id == item.id).values(updated_at=now, **values))


async def delete(
    conn: AsyncConnection, account_id: str, window_id: int, maintenance_id: str, now: datetime
) -> None:
    """This occurrence no longer happens (the window's others still do)."""
    item = await _for_change(conn, account_id, window_id, maintenance_id, now)
    await _save(conn, item, now, deleted=True)


async def move(
    conn: AsyncConnection,
    account_id: str,
    window_id: int,
    maintenance_id: str,
    payload: Any,
    now: datetime,
) -> dict[str, Any]:
    """PATCH: this occurrence's new `startsAt` and/or `endsAt`; it silences then instead."""
    body = _parse(MaintenanceEdit, payload)
    item = await _for_change(conn, account_id, window_id, maintenance_id, now)
    start, end = item.times
    start = body.startsAt if body.startsAt is not None else start
    end = body.endsAt if body.endsAt is not None else end
    if end < start:
        # The window's own rule (windows.MaintenanceWindow), over the merged times.
        raise BadRequest('"endsAt" must not be before startsAt', keys=["endsAt"])
    await _save(conn, item, now, starts_at=start, ends_at=end)
    return await get(conn, account_id, window_id, maintenance_id, now)


def _update_wire(item: Occurrence, body: UpdateCreate, now: datetime) -> dict[str, Any]:
    start, end = item.times
    return {
        "id": str(uuid.uuid4()),
        "maintenanceWindowId": int(item.window.id),
        "maintenanceId": item.id,
        "status": body.status,
        "description": body.description,
        "notifySubscribers": body.notifySubscribers,
        "created_at": iso(now),
        # The occurrence's status (by the clock) when the update was posted.
        "previousStatus": status_at(start, end, now),
        # An update moves no dates (a PATCH of the occurrence does).
        "previousStartsAt": None,
        "previousEndsAt": None,
        "dateAdjustments": None,
    }


async def add_update(
    conn: AsyncConnection,
    account_id: str,
    window_id: int,
    maintenance_id: str,
    payload: Any,
    now: datetime,
) -> dict[str, Any]:
    body = _parse(UpdateCreate, payload)
    item = await _for_change(conn, account_id, window_id, maintenance_id, now)
    update = _update_wire(item, body, now)
    await _save(conn, item, now, updates=[*item.updates, update])
    if body.notifySubscribers:
        await mail.queue_maintenance_update(
            conn, account_id, item.window.config, item.times, body.status, body.description, now
        )
    return update


async def edit_update(
    conn: AsyncConnection,
    account_id: str,
    window_id: int,
    maintenance_id: str,
    update_id: str,
    payload: Any,
    now: datetime,
) -> dict[str, Any]:
    body = _parse(UpdateEdit, payload)
    return await _change_update(conn, account_id, window_id, maintenance_id, update_id, body, now)


async def delete_update(
    conn: AsyncConnection,
    account_id: str,
    window_id: int,
    maintenance_id: str,
    update_id: str,
    now: datetime,
) -> None:
    await _change_update(conn, account_id, window_id, maintenance_id, update_id, None, now)


async def _change_update(
    conn: AsyncConnection,
    account_id: str,
    window_id: int,
    maintenance_id: str,
    update_id: str,
    body: UpdateEdit | None,
    now: datetime,
) -> dict[str, Any]:
    """Edit one update as `body` says or, without one, delete it; the update (as edited)."""
    item = await _for_change(conn, account_id, window_id, maintenance_id, now)
    kept: list[dict[str, Any]] = []
    found: dict[str, Any] | None = None
    for update in item.updates:
        if update.get("id") == update_id:
            if body is None:
                found = update
                continue
            update = {
                **update,
                "description": body.description,
                "status": body.status or update["status"],
            }
            found = update
        kept.append(update)
    if found is None:
        raise NotFound(UPDATE_NOT_FOUND)
    await _save(conn, item, now, updates=kept)
    return found
