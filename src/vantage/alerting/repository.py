"""SQL for alert channels and their subscriptions. Functions take the caller's connection."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks.schemas import MAX_SUBSCRIPTIONS
from vantage.db.dialect import upsert
from vantage.db.tables import alert_channel_subscriptions as subs
from vantage.db.tables import alert_channels, check_groups, checks

MAX_ID = 2**31 - 1


def valid_id(channel_id: int) -> bool:
    return 1 <= channel_id <= MAX_ID


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(
        alert_channels.insert().values(**values).returning(alert_channels.c.id)
    )
    return int(result.scalar_one())


async def get(conn: AsyncConnection, account_id: str, channel_id: int) -> Any:
    if not valid_id(channel_id):
        return None
    return (
        await conn.execute(
            sa.select(alert_channels).where(
                alert_channels.c.id == channel_id, alert_channels.c.account_id == account_id
            )
        )
    ).first()


async def list_page(
    conn: AsyncConnection, account_id: str, *, limit: int, offset: int
) -> tuple[Sequence[Any], int]:
    mine = alert_channels.c.account_id == account_id
    total = await conn.scalar(sa.select(sa.func.count()).select_from(alert_channels).where(mine))
    rows = (
        await conn.execute(
            sa.select(alert_channels)
            .where(mine)
            .order_by(alert_channels.c.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return rows, int(total or 0)


async def ids_of_account(
    conn: AsyncConnection, account_id: str, *, auto_subscribe_only: bool = False
) -> list[int]:
    query = sa.select(alert_channels.c.id).where(alert_channels.c.account_id == account_id)
    if auto_subscribe_only:
        query = query.where(alert_channels.c.auto_subscribe.is_(True))
    return [int(i) for i in (await conn.scalars(query.order_by(alert_channels.c.id))).all()]


async def existing_ids(conn: AsyncConnection, account_id: str, ids: Collection[int]) -> set[int]:
    wanted = [i for i in ids if valid_id(i)]
    if not wanted:
        return set()
    found = await conn.scalars(
        sa.select(alert_channels.c.id).where(
            alert_channels.c.account_id == account_id, alert_channels.c.id.in_(wanted)
        )
    )
    return {int(i) for i in found.all()}


async def update(
    conn: AsyncConnection, account_id: str, channel_id: int, values: dict[str, Any]
) -> None:
    await conn.execute(
        alert_channels.update()
        .where(alert_channels.c.id == channel_id, alert_channels.c.account_id == account_id)
        .values(**values)
    )


async def delete(conn: AsyncConnection, account_id: str, channel_id: int) -> bool:
    result = await conn.execute(
        alert_channels.delete().where(
            alert_channels.c.id == channel_id, alert_channels.c.account_id == account_id
        )
    )
    return result.rowcount == 1


# Subscriptions


async def subscriptions_of_channels(
    conn: AsyncConnection, channel_ids: Collection[int]
) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in channel_ids}
    if not channel_ids:
        return out
    rows = await conn.execute(
        sa.select(subs).where(subs.c.alert_channel_id.in_(list(channel_ids))).order_by(subs.c.id)
    )
    for row in rows.all():
        out[int(row.alert_channel_id)].append(row)
    return out


async def subscriptions_of_target(
    conn: AsyncConnection, *, check_id: str | None = None, group_id: int | None = None
) -> Sequence[Any]:
    column, value = (subs.c.check_id, check_id) if check_id else (subs.c.group_id, group_id)
    return (await conn.execute(sa.select(subs).where(column == value).order_by(subs.c.id))).all()


async def replace_of_target(
    conn: AsyncConnection,
    account_id: str,
    *,
    check_id: str | None = None,
    group_id: int | None = None,
    channels: Sequence[tuple[int, bool]],
) -> None:
    """The target's subscriptions become exactly `channels` (channel id, activated); rows of
    channels that stay keep their ids."""
    current = {
        int(r.alert_channel_id): r
        for r in await subscriptions_of_target(conn, check_id=check_id, group_id=group_id)
    }
    wanted = dict(channels)
    gone = [r.id for cid, r in current.items() if cid not in wanted]
    if gone:
        await conn.execute(subs.delete().where(subs.c.id.in_(gone)))
    for channel_id, activated in wanted.items():
        row = current.get(channel_id)
        if row is None:
            await _insert_or_set(conn, account_id, channel_id, check_id, group_id, activated)
        elif bool(row.activated) != activated:
            await conn.execute(subs.update().where(subs.c.id == row.id).values(activated=activated))


async def has_room(
    conn: AsyncConnection, channel_id: int, *, check_id: str | None, group_id: int | None
) -> bool:
    """Whether the target may take this subscription: it has it already, or fewer than
    MAX_SUBSCRIPTIONS (Checkly's limit, and what a check's JSON may list)."""
    column, value = (subs.c.check_id, check_id) if check_id else (subs.c.group_id, group_id)
    rows = (await conn.execute(sa.select(subs.c.alert_channel_id).where(column == value))).all()
    return any(int(r.alert_channel_id) == channel_id for r in rows) or len(rows) < MAX_SUBSCRIPTIONS


async def upsert_one(
    conn: AsyncConnection,
    account_id: str,
    channel_id: int,
    *,
    check_id: str | None,
    group_id: int | None,
    activated: bool,
) -> Any:
    column, value = (subs.c.check_id, check_id) if check_id else (subs.c.group_id, group_id)
    where = sa.and_(subs.c.alert_channel_id == channel_id, column == value)
    found = (await conn.execute(sa.select(subs.c.id).where(where))).first()
    if found is None:
        await _insert_or_set(conn, account_id, channel_id, check_id, group_id, activated)
    else:
        await conn.execute(subs.update().where(subs.c.id == found.id).values(activated=activated))
    return (await conn.execute(sa.select(subs).where(where))).one()


async def _insert_or_set(
    conn: AsyncConnection,
    account_id: str,
    channel_id: int,
    check_id: str | None,
    group_id: int | None,
    activated: bool,
) -> None:
    """Insert the subscription, or set `activated` on the row that a concurrent transaction
    inserted since this one looked: on PostgreSQL two writers of one target (a check's PUT and
    its channel's subscriptions PUT) both find it missing, and the second insert would fail."""
    target = "check_id" if check_id else "group_id"
    await conn.execute(
        upsert(
            conn, subs, index_elements=["alert_channel_id", target], update_columns=["activated"]
        ).values(
            account_id=account_id,
            alert_channel_id=channel_id,
            check_id=check_id,
            group_id=group_id,
            activated=activated,
        )
    )


async def delete_of_channel(conn: AsyncConnection, channel_id: int) -> None:
    await conn.execute(subs.delete().where(subs.c.alert_channel_id == channel_id))


async def targets_of_channel(conn: AsyncConnection, channel_id: int) -> tuple[set[str], set[int]]:
    rows = (
        await conn.execute(
            sa.select(subs.c.check_id, subs.c.group_id).where(subs.c.alert_channel_id == channel_id)
        )
    ).all()
    return {r.check_id for r in rows if r.check_id}, {int(r.group_id) for r in rows if r.group_id}


# A change of subscriptions rewrites its targets' JSON (`rewrite_target_configs`), so it takes
# their rows first, before any subscription row: deleting a check takes the check's row, then
# its subscriptions'. In the other order each waited on the other's row (a deadlock on
# PostgreSQL). FOR NO KEY UPDATE: only the JSON changes, never the key; SQLite ignores the lock.


async def check_exists(conn: AsyncConnection, account_id: str, check_id: str) -> bool:
    """Whether the account has this check; its row stays locked for this transaction."""
    found = await conn.scalar(
        sa.select(checks.c.id)
        .where(checks.c.id == check_id, checks.c.account_id == account_id)
        .with_for_update(key_share=True)
    )
    return found is not None


async def group_exists(conn: AsyncConnection, account_id: str, group_id: int) -> bool:
    """Whether the account has this group; its row stays locked for this transaction."""
    found = await conn.scalar(
        sa.select(check_groups.c.id)
        .where(check_groups.c.id == group_id, check_groups.c.account_id == account_id)
        .with_for_update(key_share=True)
    )
    return found is not None


async def lock_targets(
    conn: AsyncConnection, check_ids: Collection[str], group_ids: Collection[int]
) -> None:
    """Lock these checks' and groups' rows, in id order, so two writers never cross."""
    for table, ids in ((checks, sorted(check_ids)), (check_groups, sorted(group_ids))):
        if ids:
            await conn.execute(
                sa.select(table.c.id)
                .where(table.c.id.in_(ids))
                .order_by(table.c.id)
                .with_for_update(key_share=True)
            )


async def rewrite_target_configs(
    conn: AsyncConnection, check_ids: Collection[str], group_ids: Collection[int]
) -> None:
    """Checks and groups show their subscriptions in their JSON (`alertChannelSubscriptions`):
    a copy of the table's rows, refreshed in the transaction that changed them."""
    for table, column, ids in (
        (checks, subs.c.check_id, list(check_ids)),
        (check_groups, subs.c.group_id, list(group_ids)),
    ):
        if not ids:
            continue
        listed: dict[Any, list[dict[str, Any]]] = {i: [] for i in ids}
        rows = await conn.execute(
            sa.select(column.label("target"), subs.c.alert_channel_id, subs.c.activated)
            .where(column.in_(ids))
            .order_by(subs.c.id)
        )
        for row in rows.all():
            listed[row.target].append(
                {"alertChannelId": int(row.alert_channel_id), "activated": bool(row.activated)}
            )
        configs = await conn.execute(
            sa.select(table.c.id, table.c.config).where(table.c.id.in_(ids))
        )
        for target in configs.all():
            config = dict(target.config)
            if config.get("alertChannelSubscriptions") != listed[target.id]:
                config["alertChannelSubscriptions"] = listed[target.id]
                await conn.execute(
                    table.update().where(table.c.id == target.id).values(config=config)
                )
