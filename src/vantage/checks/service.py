"""Checks: validation against Checkly's schema, storage, and the shape clients read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import service as alerting
from vantage.assets import repository as assets_repository
from vantage.checks import repository, severity
from vantage.checks.filtering import CheckFilter, conditions
from vantage.checks.scheduling import first_run_at, interval_seconds
from vantage.checks.schemas import CHECK_MODELS, Wire
from vantage.dashboards.badge_cache import forget_shown
from vantage.db.tables import check_sessions, jobs
from vantage.errors import BadRequest, NotFound
from vantage.groups import repository as groups_repository
from vantage.heartbeats import service as heartbeats_service
from vantage.locations import service as locations_service
from vantage.locations.regions import CHECKLY_REGIONS
from vantage.results import repository as results_repository
from vantage.rollups import repository as rollups_repository
from vantage.sessions.withdrawal import cancel_sessions, withdraw_jobs
from vantage.statuses import repository as statuses_repository
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request
from vantage.variables.masking import Seal, keep_secret_values, without_secret_values

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
    """Every location named must be the operator's, one of the account's private ones, or (in
    `locations`) one of Checkly's public regions, which runs once the operator creates it."""
    usable = await locations_service.usable_slugs(conn, account_id)
    for field in ("locations", "privateLocations"):
        regions = field == "locations"
        known = usable | CHECKLY_REGIONS if regions else usable
        for index, slug in enumerate(config.get(field) or []):
            if slug not in known:
                key = f"{field}[{index}]"
                also = " or a Checkly region" if regions else ""
                raise BadRequest(
                    f'"{key}" must be one of [{", ".join(sorted(usable))}]{also}: '
                    f"no run location {slug!r} exists (an operator creates it with "
                    f"`vantage locations create {slug}`)",
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
    runs = config["activated"] and interval > 0
    return {
        "interval_seconds": interval,
        "next_run_at": first_run_at(check_id, interval, utcnow()) if runs else None,
    }


async def _heartbeat_token(
    conn: AsyncConnection, config: dict[str, Any], base_url: str, check_id: str | None
) -> dict[str, Any]:
    """A heartbeat check's config with its ping token and URL; a token another check has is a
    400 (tokens are global: the ping URL names no account)."""
    config = heartbeats_service.with_token(config, base_url)
    if await heartbeats_service.token_taken(conn, config["heartbeat"]["pingToken"], check_id):
        raise BadRequest(
            '"heartbeat.pingToken" is taken: leave it out and Vantage makes one',
            keys=["heartbeat.pingToken"],
        )
    return config


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
            "environmentVariables": without_secret_values(
                self.config.get("environmentVariables") or []
            ),
            # Checkly's legacy inline channels, by kind; channels are subscribed to by id now
            # (`alertChannelSubscriptions`), so these lists stay empty.
            "alertChannels": {"email": [], "webhook": [], "slack": [], "sms": []},
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
    seal: Seal,
    base_url: str = "",
    auto_assign: bool = True,
) -> StoredCheck:
    """`base_url`: the server's public URL, which a heartbeat check's ping URL starts with;
    `seal` seals secret variable values (vantage.sealing)."""
    config = validate(check_type, payload)
    config["environmentVariables"] = keep_secret_values([], config["environmentVariables"], seal)
    await check_locations(conn, config, account_id)
    await _check_group(conn, account_id, config)
    if check_type == "HEARTBEAT":
        config = await _heartbeat_token(conn, config, base_url, None)
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
            "name_key": severity.name_key(config["name"]),
            "activated": config["activated"],
            "severity": severity.of_new_check(config["activated"]),
            "tags": config["tags"],
            "group_id": config.get("groupId"),
            "config": config,
            "created_at": now,
            "updated_at": None,
            **_schedule_values(check_id, config),
        },
    )
    forget_shown(conn)  # a badge or dashboard asked for it before it existed
    if check_type == "HEARTBEAT":
        await heartbeats_service.register(conn, account_id, check_id, config, now)
    await alerting.store_target(conn, account_id, config, check_id=check_id)
    return StoredCheck(check_id, check_type, config, now, None)


async def get(conn: AsyncConnection, account_id: str, check_id: str) -> StoredCheck:
    row = await repository.get(conn, account_id, check_id)
    if row is None:
        raise NotFound(CHECK_NOT_FOUND)
    return stored_check(row)


def merge_partial(
    current: dict[str, Any],
    changes: dict[str, Any],
    nested: str,
    model: type[Wire] | None = None,
) -> dict[str, Any]:
    """Apply a partial PUT body (Checkly's update schemas have no required fields). The object
    under `nested` is merged key by key, so `{"request": {"url": ...}}` keeps the method. A `null`
    for a field of `model` that is not nullable leaves the stored value alone: Go clients send
    `null` for a list they did not set, and Checkly then keeps the list; Checkly's update
    schemas even declare a browser check's `script` nullable, and a null there keeps the script."""
    keep = model.NOT_NULLABLE if model is not None else frozenset()
    changes = {k: v for k, v in changes.items() if not (v is None and k in keep)}
    merged = {**current, **changes}
    old, new = current.get(nested), changes.get(nested)
    if isinstance(old, dict) and isinstance(new, dict):
        inner = _nested_model(model, nested)
        inner_keep = inner.NOT_NULLABLE if inner is not None else frozenset()
        merged[nested] = {
            **old,
            **{k: v for k, v in new.items() if not (v is None and k in inner_keep)},
        }
    return merged


def _nested_model(model: type[Wire] | None, field: str) -> type[Wire] | None:
    if model is None or field not in model.model_fields:
        return None
    annotation = model.model_fields[field].annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, Wire) else None


async def update(
    conn: AsyncConnection,
    account_id: str,
    check_id: str,
    payload: Any,
    *,
    seal: Seal,
    check_type: str | None = None,
    base_url: str = "",
) -> StoredCheck:
    current = await get(conn, account_id, check_id)
    if check_type is not None and check_type != current.check_type:
        # Checkly answers a typed PUT on another type's check as an unknown check.
        raise NotFound(CHECK_NOT_FOUND)
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    if "checkType" in payload and payload["checkType"] != current.check_type:
        raise BadRequest('"checkType" cannot be changed', keys=["checkType"])
    merged = merge_partial(current.config, payload, "request", CHECK_MODELS[current.check_type])
    config = validate(current.check_type, merged)
    config["environmentVariables"] = keep_secret_values(
        current.config.get("environmentVariables") or [], config["environmentVariables"], seal
    )
    await check_locations(conn, config, account_id)
    await _check_group(conn, account_id, config)
    if current.check_type == "HEARTBEAT":
        if not config["heartbeat"].get("pingToken"):
            config["heartbeat"]["pingToken"] = current.config["heartbeat"]["pingToken"]
        config = await _heartbeat_token(conn, config, base_url, check_id)
    await alerting.prepare_target(conn, account_id, config, sent=True)
    now = utcnow()
    values: dict[str, Any] = {
        "name": config["name"],
        "name_key": severity.name_key(config["name"]),
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
    forget_shown(conn)  # its name, tags and group show on badges and dashboards
    if config["activated"] != current.config["activated"]:
        await severity.refresh(conn, [check_id])
    if current.check_type == "HEARTBEAT":
        await heartbeats_service.register(conn, account_id, check_id, config, now)
    await alerting.store_target(conn, account_id, config, check_id=check_id)
    return StoredCheck(check_id, current.check_type, config, current.created_at, now)


async def delete(conn: AsyncConnection, account_id: str, check_id: str) -> list[str]:
    """Delete the check with its results and status, withdraw its runs (queued, retrying or under
    way) and end its open sessions; return the sessions this ended."""
    if not await repository.delete(conn, account_id, check_id):
        raise NotFound(CHECK_NOT_FOUND)
    forget_shown(conn)  # its badge is a 404 from now on, and dashboards drop it
    # Checkly's DELETE removes the check's results too.
    await results_repository.delete_of_check(conn, check_id)
    await assets_repository.delete_of_check(conn, check_id)
    await statuses_repository.delete_of_check(conn, check_id)
    await rollups_repository.delete_of_check(conn, check_id)
    await withdraw_jobs(conn, jobs.c.check_id == check_id)
    return await cancel_sessions(conn, check_sessions.c.check_id == check_id, utcnow())


async def list_page(
    conn: AsyncConnection, account_id: str, flt: CheckFilter, *, limit: int, page: int
) -> tuple[list[StoredCheck], int]:
    """One page of the account's checks that match `flt`, oldest first, and how many match:
    filtered, counted and paged in SQL (two statements whatever the account's size)."""
    rows, total = await repository.list_page(
        conn, account_id, conditions(flt, conn.dialect.name), limit=limit, offset=(page - 1) * limit
    )
    return [stored_check(row) for row in rows], total
