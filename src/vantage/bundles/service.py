"""Storing and finding code bundles. The key is the SHA-256 of the content, so the same archive
uploaded twice is stored once, and a key names exactly one content.

Every `checkly test` uploads its project's bundle, so they accumulate; the retention pass keeps an
account's most recently uploaded ones (`prune`). `created_at` is the last upload: a bundle
uploaded again, unchanged, is as fresh as a new one."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import code_bundles
from vantage.errors import BadRequest, NotFound
from vantage.timeutil import iso, utcnow

BUNDLE_NOT_FOUND = "No such code bundle."
KEY = re.compile(r"^[0-9a-f]{64}$")


async def store(conn: AsyncConnection, account_id: str, data: bytes) -> dict[str, Any]:
    if not data:
        raise BadRequest('"value" must be a non-empty code bundle', keys=["value"])
    digest = hashlib.sha256(data).hexdigest()
    exists = await conn.scalar(
        sa.select(sa.func.count())
        .select_from(code_bundles)
        .where(code_bundles.c.account_id == account_id, code_bundles.c.sha256 == digest)
    )
    if exists:
        await conn.execute(
            code_bundles.update()
            .where(code_bundles.c.account_id == account_id, code_bundles.c.sha256 == digest)
            .values(created_at=utcnow())
        )
    else:
        await conn.execute(
            code_bundles.insert().values(
                account_id=account_id,
                sha256=digest,
                size=len(data),
                data=data,
                created_at=utcnow(),
            )
        )
    return {"key": digest, "checksumSha256": digest, "size": len(data)}


async def peek(conn: AsyncConnection, account_id: str, key: Any) -> dict[str, Any]:
    """What is stored under `key`, without the content; another account's bundle is a 404."""
    if not isinstance(key, str) or not KEY.match(key):
        raise BadRequest('"key" must be a code bundle key (64 hex digits)', keys=["key"])
    row = (
        await conn.execute(
            sa.select(code_bundles.c.sha256, code_bundles.c.size, code_bundles.c.created_at).where(
                code_bundles.c.account_id == account_id, code_bundles.c.sha256 == key
            )
        )
    ).first()
    if row is None:
        raise NotFound(BUNDLE_NOT_FOUND)
    return {
        "key": row.sha256,
        "checksumSha256": row.sha256,
        "size": row.size,
        "createdAt": iso(row.created_at),
    }


async def content(conn: AsyncConnection, account_id: str, key: str) -> bytes:
    """The stored archive, for the runners that will use it."""
    data = await conn.scalar(
        sa.select(code_bundles.c.data).where(
            code_bundles.c.account_id == account_id, code_bundles.c.sha256 == key
        )
    )
    if data is None:
        raise NotFound(BUNDLE_NOT_FOUND)
    return bytes(data)


async def prune(conn: AsyncConnection, keep: int, limit: int) -> int:
    """Delete up to `limit` bundles beyond each account's `keep` most recently uploaded; return
    how many went. A run uses its bundle right after uploading it, so only long-unused ones go."""
    b = code_bundles.c
    ranked = sa.select(
        b.account_id,
        b.sha256,
        sa.func.row_number()
        .over(partition_by=b.account_id, order_by=(b.created_at.desc(), b.sha256))
        .label("newness"),
    ).subquery()
    doomed = (
        sa.select(ranked.c.account_id, ranked.c.sha256).where(ranked.c.newness > keep).limit(limit)
    )
    deleted = await conn.execute(
        code_bundles.delete().where(sa.tuple_(b.account_id, b.sha256).in_(doomed))
    )
    return deleted.rowcount
