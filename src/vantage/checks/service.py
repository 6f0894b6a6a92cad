"""Checks: validation against Checkly's schema, storage, and the shape clients read back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import service as alerting
from vantage.checks import repository
from vantage.checks.scheduling import first_run_at, interval_seconds
from vantage.checks.schemas import CHECK_MODELS
from vantage.db.tables import check_sessions, jobs
from vantage.errors import BadRequest, NotFound
from vantage.groups import repository as groups_repository
from vantage.locations import service as locations_service
from vantage.results import repository as results_repository
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.statuses import repository as statuses_repository
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

CHECK_NOT_FOUND = "No such check."


def validate(check_type: str, payload: Any) -> dict[str, Any]:
    """Validate a create payload for `check_type`; return its config with every default applied."""
    model = CHECK_MODELS.get(check_type)
    if model is None:
        raise BadRequest(
            f'"checkType" must be one of [{", ".join(CHECK_MODELS)}]', keys=["checkType"]
        )
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    body = {k: v for k, v in payload.items() if k != "checkType"}
    try:
        return model.model_validate(body).model_dump(mode="json")
    except ValidationError as exc:
        raise bad_request(exc) from None


async def check_locations(
    conn: AsyncConnection, config: dict[str, Any], account_id: str | None = None
) -> None:
    """Every location named must be the operator's or one of the account's private ones."""
    known = await locations_service.usable_slugs(conn, account_id)
    for field in ("locations", "privateLocations"):
        for index, slug in enumerate(config.get(field) or []):
            if slug not in known:
                key = f"{field}[{index}]"
                raise BadRequest(
                    f'"{key}" must be one of [{", ".join(sorted(known))}]: '
                    f"no run location {slug!r} exists",
                    keys=[key],
                )


async def _check_group(conn: AsyncConnection, account_id: str, config: dict[str, Any]) -> None:
    """A check's `groupId` must name a check group of the check's own account."""
    group_id = config.get("groupId")
    if group_id is not None and not await groups_repository.exists(conn, account_id, group_id):
        raise BadRequest(
            f'"groupId" must name a check group of this account: no check group {group_id} exists',
            keys=["groupId"],
        )


def _schedule_values(check_id: str, config: dict[str, Any]) -> dict[str, Any]:
    interval = interval_seconds(config)
    return {
        "interval_seconds": interval,
        "next_run_at": first_run_at(check_id, interval, utcnow()) if config["activated"] else None,
    }


@dataclass(frozen=True, slots=True)
class StoredCheck:
    id: str
    check_type: str
    config: dict[str, Any]
    created_at: Any
    updated_at: Any

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "checkType": self.check_type,
            **self.config,
            "alertChannels": [],
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


def stored_check(row: sa.Row[Any]) -> StoredCheck:
    return StoredCheck(
        id=row.id,
        check_type=row.check_type,
        config=row.config,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def create(
    conn: AsyncConnection,
    account_id: str,
    check_type: str,
    payload: Any,
    *,
    auto_assign: bool = True,
) -> StoredCheck:
    config = validate(check_type, payload)
    await check_locations(conn, config, account_id)
    await _check_group(conn, account_id, config)
    sent = "alertChannelSubscriptions" in payload
    await alerting.prepare_target(conn, account_id, config, sent=sent, auto_assign=auto_assign)
    check_id = str(uuid.uuid4())
    now = utcnow()
    await repository.insert(
        conn,
        {
            "id": check_id,
            "account_id": account_id,
            "check_type": check_type,
            "name": config["name"],
            "activated": config["activated"],
            "tags": config["tags"],
            "group_id": config.get("groupId"),
            "config": config,
            "created_at": now,
            "updated_at": None,
            **_schedule_values(check_id, config),
        },
    )
    await alerting.store_target(conn, account_id, config, check_id=check_id)
    return StoredCheck(check_id, check_type, config, now, None)


async def get(conn: AsyncConnection, account_id: str, check_id: str) -> StoredCheck:
    row = await repository.get(conn, account_id, check_id)
    if row is None:
        raise NotFound(CHECK_NOT_FOUND)
    return stored_check(row)


def merge_partial(current: dict[str, Any], changes: dict[str, Any], nested: str) -> dict[str, Any]:
    """Apply a partial PUT body (Checkly's update schemas have no required fields). The object
    under `nested` is merged key by key, so `{"request": {"url": ...}}` keeps the method."""
    merged = {**current, **changes}
    old, new = current.get(nested), changes.get(nested)
    if isinstance(old, dict) and isinstance(new, dict):
        merged[nested] = {**old, **new}
    return merged


async def update(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    payload: Any,
    *,
    check_type: str | None = None,
) -> StoredCheck:
    current = await get(conn, account_id, check_id)
    if check_type is not None and check_type != current.check_type:
        # Checkly answers a typed PUT on another type's check as an unknown check.
        raise NotFound(CHECK_NOT_FOUND)
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    if "checkType" in payload and payload["checkType"] != current.check_type:
        raise BadRequest('"checkType" cannot be changed', keys=["checkType"])
    config = validate(current.check_type, merge_partial(current.config, payload, "request"))
    await check_locations(conn, config, account_id)
    await _check_group(conn, account_id, config)
    await alerting.prepare_target(conn, account_id, config, sent=True)
    now = utcnow()
    values: dict[str, Any] = {
        "name": config["name"],
        "activated": config["activated"],
        "tags": config["tags"],
        "group_id": config.get("groupId"),
        "config": config,
        "updated_at": now,
    }
    schedule_changed = config["activated"] != current.config["activated"] or interval_seconds(
        config
    ) != interval_seconds(current.config)
    if schedule_changed:
        values.update(_schedule_values(check_id, config))
    await repository.update(conn, account_id, check_id, values)
    await alerting.store_target(conn, account_id, config, check_id=check_id)
    return StoredCheck(check_id, current.check_type, config, current.created_at, now)


async def delete(conn: AsyncConnection, account_id: str, check_id: str) -> list[str]:
    """Delete the check with its results and status, withdraw its runs (queued, retrying or under
    way) and end its open sessions; return the sessions this ended."""
    if not await repository.delete(conn, account_id, check_id):
        raise NotFound(CHECK_NOT_FOUND)
    # Checkly's DELETE removes the check's results too.
    await results_repository.delete_of_check(conn, check_id)
    await statuses_repository.delete_of_check(conn, check_id)
    await withdraw_jobs(conn, jobs.c.check_id == check_id)
    return await cancel_sessions(conn, check_sessions.c.check_id == check_id, utcnow())


@dataclass(frozen=True, slots=True)
class CheckFilter:
    tags: Sequence[str] = ()
    check_type: str | None = None
    search: str | None = None


def matches(row: sa.Row[Any], flt: CheckFilter) -> bool:
    if flt.tags and not set(flt.tags) & set(row.tags):
        return False
    if flt.check_type and row.check_type != flt.check_type:
        return False
    return not (flt.search and flt.search.lower() not in row.name.lower())


async def list_page(
    conn: AsyncConnection, account_id: str, flt: CheckFilter, *, limit: int, page: int
) -> tuple[list[StoredCheck], int]:
    # Tags live in a JSON column; filtering in Python keeps one code path for both databases and is
    # cheap at the scale of one account's checks.
    rows = [row for row in await repository.list_all(conn, account_id) if matches(row, flt)]
    start = (page - 1) * limit
    return [stored_check(row) for row in rows[start : start + limit]], len(rows)
