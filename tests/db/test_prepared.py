"""Prepared statements store exactly what SQLAlchemy Core stores, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from vantage.db.engine import Database
from vantage.db.prepared import Encoded, Prepared
from vantage.db.tables import metadata

things = sa.Table(
    "prepared_things",
    sa.MetaData(),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("flag", sa.Boolean(), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("at", metadata.tables["check_results"].c.created_at.type, nullable=True),
    sa.Column("doc", metadata.tables["check_results"].c.detail.type, nullable=True),
)

INSERT = Prepared(things.insert())
ADD = Prepared(
    things.update()
    .where(things.c.id == sa.bindparam("b_id"))
    .values(count=things.c.count + sa.bindparam("b_more"))
)
LATER = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.write() as conn:
        await conn.run_sync(things.metadata.create_all)
    try:
        yield database
    finally:
        async with database.write() as conn:
            await conn.run_sync(things.metadata.drop_all)
        await database.dispose()


def row(id: str, **changes: Any) -> dict[str, Any]:
    return {"id": id, "flag": True, "count": 1, "at": LATER, "doc": {"a": [1, "é"]}, **changes}


async def stored(db: Database) -> dict[str, Any]:
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(things).order_by(things.c.id))).all()
    return {r.id: r._asdict() for r in rows}


async def test_rows_read_back_as_rows_stored_through_core(db: Database) -> None:
    rows = [row("a"), row("b", flag=False, at=None, doc=None), row("c", doc=[])]
    async with db.write() as conn:
        await INSERT.execute(conn, rows)
    prepared = await stored(db)
    async with db.write() as conn:
        await conn.execute(things.delete())
        await conn.execute(things.insert(), rows)
    assert prepared == await stored(db)
    assert prepared["a"]["at"] == LATER.astimezone(UTC)
    assert prepared["a"]["doc"] == {"a": [1, "é"]}


async def test_encoded_json_is_stored_as_it_is(db: Database) -> None:
    async with db.write() as conn:
        await INSERT.execute(conn, [row("a", doc=Encoded(json.dumps({"k": [1, 2]})))])
    assert (await stored(db))["a"]["doc"] == {"k": [1, 2]}


async def test_bind_parameters_of_an_update_are_taken_by_name(db: Database) -> None:
    async with db.write() as conn:
        await INSERT.execute(conn, [row("a"), row("b")])
        await ADD.execute(conn, [{"b_id": "a", "b_more": 4}, {"b_id": "b", "b_more": 9}])
        await ADD.execute(conn, [{"b_id": "a", "b_more": 1}])
    assert {k: v["count"] for k, v in (await stored(db)).items()} == {"a": 6, "b": 10}


async def test_nothing_to_store_runs_nothing(db: Database) -> None:
    async with db.write() as conn:
        assert await INSERT.execute(conn, []) is None
    assert await stored(db) == {}


async def test_a_row_without_a_column_is_refused(db: Database) -> None:
    incomplete = row("a")
    del incomplete["doc"]
    with pytest.raises(KeyError):
        async with db.write() as conn:
            await INSERT.execute(conn, [incomplete])
