"""Alert channels and subscriptions: validation, storage, and the JSON clients read back.

One table holds the subscriptions; a channel's `subscriptions` and a check's or group's
`alertChannelSubscriptions` are two views of it, kept in step in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import repository, secrets
from vantage.alerting.schemas import (
    CONFIG_MODELS,
    READ_ONLY_FIELDS,
    AlertChannel,
    ChannelSubscription,
    SubscriptionCreate,
)
from vantage.checks.schemas import MAX_SUBSCRIPTIONS
from vantage.errors import BadRequest, NotFound
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

CHANNEL_NOT_FOUND = "No such alert channel."


def _validated(model: type[BaseModel], body: Any, prefix: str = "") -> dict[str, Any]:
    try:
        return model.model_validate(body).model_dump(mode="json", exclude_none=False)
    except ValidationError as exc:
        errors = [{**e, "loc": (prefix, *e["loc"]) if prefix else e["loc"]} for e in exc.errors()]
        raise bad_request(errors) from None


def validate(payload: Any) -> dict[str, Any]:
    """A create body (or a merged update body) as the channel to store."""
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    body = {k: v for k, v in payload.items() if k not in READ_ONLY_FIELDS or k == "subscriptions"}
    channel = _validated(AlertChannel, body)
    channel["config"] = _validated(CONFIG_MODELS[channel["type"]], channel["config"], "config")
    return channel


def _subscription_wire(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "checkId": row.check_id,
        "groupId": None if row.group_id is None else int(row.group_id),
        "activated": bool(row.activated),
    }


@dataclass(frozen=True, slots=True)
class StoredChannel:
    row: Any
    subscriptions: Sequence[Any]

    def wire(self) -> dict[str, Any]:
        row = self.row
        return {
            "id": int(row.id),
            "type": row.type,
            "config": secrets.masked(row.type, row.config),
            "subscriptions": [_subscription_wire(s) for s in self.subscriptions],
            "sendRecovery": bool(row.send_recovery),
            "sendFailure": bool(row.send_failure),
            "sendDegraded": bool(row.send_degraded),
            "sslExpiry": bool(row.ssl_expiry),
            "sslExpiryThreshold": int(row.ssl_expiry_threshold),
            "autoSubscribe": bool(row.auto_subscribe),
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
        }


def _columns(channel: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": channel["type"],
        "config": channel["config"],
        "send_recovery": channel["sendRecovery"],
        "send_failure": channel["sendFailure"],
        "send_degraded": channel["sendDegraded"],
        "ssl_expiry": channel["sslExpiry"],
        "ssl_expiry_threshold": channel["sslExpiryThreshold"],
        "auto_subscribe": channel["autoSubscribe"],
    }


async def _load(conn: AsyncConnection, account_id: str, channel_id: int) -> StoredChannel:
    row = await repository.get(conn, account_id, channel_id)
    if row is None:
        raise NotFound(CHANNEL_NOT_FOUND)
    listed = await repository.subscriptions_of_channels(conn, [channel_id])
    return StoredChannel(row, listed[channel_id])


async def _check_target(
    conn: AsyncConnection,
    account_id: str,
    channel_id: int,
    check_id: str | None,
    group_id: int | None,
    key: str,
) -> None:
    if check_id is not None and not await repository.check_exists(conn, account_id, check_id):
        raise BadRequest(f'"{key}.checkId" must name a check of this account', keys=[key])
    if group_id is not None and not await repository.group_exists(conn, account_id, group_id):
        raise BadRequest(f'"{key}.groupId" must name a check group of this account', keys=[key])
    if not await repository.has_room(conn, channel_id, check_id=check_id, group_id=group_id):
        raise BadRequest(
            f'"{key}" would subscribe a check or group to more than {MAX_SUBSCRIPTIONS} '
            "alert channels",
            keys=[key],
        )


async def _set_channel_subscriptions(
    conn: AsyncConnection, account_id: str, channel_id: int, listed: list[dict[str, Any]]
) -> None:
    """The channel's subscriptions become `listed` (a create or update body's `subscriptions`)."""
    old_checks, old_groups = await repository.targets_of_channel(conn, channel_id)
    await repository.lock_targets(conn, old_checks, old_groups)
    await repository.delete_of_channel(conn, channel_id)
    checks: set[str] = set()
    groups: set[int] = set()
    for index, item in enumerate(listed):
        sub = ChannelSubscription.model_validate(item)
        key = f"subscriptions[{index}]"
        if (sub.checkId is None) == (sub.groupId is None):
            raise BadRequest(f'"{key}" must give either checkId or groupId, not both', keys=[key])
        await _check_target(conn, account_id, channel_id, sub.checkId, sub.groupId, key)
        await repository.upsert_one(
            conn,
            account_id,
            channel_id,
            check_id=sub.checkId,
            group_id=sub.groupId,
            activated=sub.activated,
        )
        checks.update([sub.checkId] if sub.checkId else [])
        groups.update([sub.groupId] if sub.groupId else [])
    await repository.rewrite_target_configs(conn, old_checks | checks, old_groups | groups)


async def create(conn: AsyncConnection, account_id: str, payload: Any) -> StoredChannel:
    channel = validate(payload)
    now = utcnow()
    channel_id = await repository.insert(
        conn,
        {"account_id": account_id, **_columns(channel), "created_at": now, "updated_at": None},
    )
    if channel.get("subscriptions"):
        await _set_channel_subscriptions(conn, account_id, channel_id, channel["subscriptions"])
    return await _load(conn, account_id, channel_id)


async def get(conn: AsyncConnection, account_id: str, channel_id: int) -> StoredChannel:
    return await _load(conn, account_id, channel_id)


async def list_page(
    conn: AsyncConnection, account_id: str, *, limit: int, page: int
) -> tuple[list[StoredChannel], int]:
    rows, total = await repository.list_page(
        conn, account_id, limit=limit, offset=(page - 1) * limit
    )
    listed = await repository.subscriptions_of_channels(conn, [int(r.id) for r in rows])
    return [StoredChannel(r, listed[int(r.id)]) for r in rows], total


async def update(
    conn: AsyncConnection, account_id: str, channel_id: int, payload: Any
) -> StoredChannel:
    """A PUT replaces the channel, as Checkly's (its body is a whole channel, as clients send
    it); masked secrets sent back unchanged keep the stored ones. `subscriptions`, when sent,
    replace them."""
    current = await _load(conn, account_id, channel_id)
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    row = current.row
    body = dict(payload)
    if isinstance(body.get("config"), dict) and body.get("type") == row.type:
        body["config"] = secrets.restore(row.type, row.config, body["config"])
    channel = validate(body)
    await repository.update(
        conn, account_id, channel_id, {**_columns(channel), "updated_at": utcnow()}
    )
    if channel.get("subscriptions") is not None:
        await _set_channel_subscriptions(conn, account_id, channel_id, channel["subscriptions"])
    return await _load(conn, account_id, channel_id)


async def delete(conn: AsyncConnection, account_id: str, channel_id: int) -> None:
    if await repository.get(conn, account_id, channel_id) is None:
        raise NotFound(CHANNEL_NOT_FOUND)
    checks, groups = await repository.targets_of_channel(conn, channel_id)
    await repository.lock_targets(conn, checks, groups)
    await repository.delete(conn, account_id, channel_id)
    await repository.rewrite_target_configs(conn, checks, groups)


async def subscribe(
    conn: AsyncConnection, account_id: str, channel_id: int, payload: Any
) -> dict[str, Any]:
    """PUT /v1/alert-channels/{id}/subscriptions: add or change one subscription."""
    if await repository.get(conn, account_id, channel_id) is None:
        raise NotFound(CHANNEL_NOT_FOUND)
    body = _validated(SubscriptionCreate, payload if isinstance(payload, dict) else None)
    check_id, group_id = body["checkId"], body["groupId"]
    await _check_target(conn, account_id, channel_id, check_id, group_id, "value")
    row = await repository.upsert_one(
        conn,
        account_id,
        channel_id,
        check_id=check_id,
        group_id=group_id,
        activated=body["activated"],
    )
    await repository.rewrite_target_configs(
        conn, [check_id] if check_id else [], [group_id] if group_id else []
    )
    return _subscription_wire(row)


# The checks' and groups' side: `alertChannelSubscriptions` in their bodies.


async def prepare_target(
    conn: AsyncConnection,
    account_id: str,
    config: dict[str, Any],
    *,
    sent: bool,
    auto_assign: bool = False,
) -> None:
    """Before a check or group is stored: every listed channel must be the account's (a 400
    naming the entry, else). A new check whose body lists none is subscribed to every channel
    (`autoAssignAlerts=true`, Checkly's default; the oldest MAX_SUBSCRIPTIONS) or to those with
    `autoSubscribe`."""
    listed: list[dict[str, Any]] = list(config.get("alertChannelSubscriptions") or [])
    if not sent:
        ids = await repository.ids_of_account(conn, account_id, auto_subscribe_only=not auto_assign)
        # A check listens to at most MAX_SUBSCRIPTIONS channels: the oldest ones.
        listed = [{"alertChannelId": i, "activated": True} for i in ids[:MAX_SUBSCRIPTIONS]]
    known = await repository.existing_ids(conn, account_id, [s["alertChannelId"] for s in listed])
    for index, sub in enumerate(listed):
        channel_id = sub["alertChannelId"]
        if channel_id not in known:
            key = f"alertChannelSubscriptions[{index}].alertChannelId"
            raise BadRequest(f'"{key}" must name an alert channel of this account', keys=[key])
    # One subscription per channel: a repeated channel keeps its last entry.
    by_channel = {s["alertChannelId"]: bool(s.get("activated", True)) for s in listed}
    config["alertChannelSubscriptions"] = [
        {"alertChannelId": cid, "activated": active} for cid, active in by_channel.items()
    ]


async def store_target(
    conn: AsyncConnection,
    account_id: str,
    config: Mapping[str, Any],
    *,
    check_id: str | None = None,
    group_id: int | None = None,
) -> None:
    """After a check or group is stored: its subscriptions' rows become its list."""
    listed = config.get("alertChannelSubscriptions") or []
    await repository.replace_of_target(
        conn,
        account_id,
        check_id=check_id,
        group_id=group_id,
        channels=[(int(s["alertChannelId"]), bool(s["activated"])) for s in listed],
    )
