"""Replicas starting together on one PostgreSQL migrate one after another, not at once."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from tests.support.databases import postgres_url
from vantage.db.engine import Database
from vantage.db.migrate import current_revision, upgrade

NAME = "vantage_test_concurrent_upgrade"


async def _admin(sql: str) -> None:
    admin = make_url(postgres_url()).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_two_replicas_upgrading_at_once_both_succeed() -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{NAME}"')
    url = make_url(postgres_url()).set(database=NAME).render_as_string(hide_password=False)
    first, second = Database(url, pool_size=1), Database(url, pool_size=1)
    try:
        await asyncio.gather(upgrade(first), upgrade(second))
        revision = await current_revision(first)
        assert revision is not None
        assert await current_revision(second) == revision
    finally:
        await first.dispose()
        await second.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
