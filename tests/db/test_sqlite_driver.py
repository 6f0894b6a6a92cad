"""The SQLite connections the database handle opens (vantage.db.sqlite_driver): a statement's
rows, counts and errors come back as SQLAlchemy expects, in one trip to the connection's thread."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.ext.asyncio

from vantage.db import sqlite_driver
from vantage.db.engine import Database

THINGS = sa.Table(
    "things",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False, unique=True),
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'driver.db'}")
    async with database.write() as conn:
        await conn.run_sync(THINGS.metadata.create_all)
    yield database
    await database.dispose()


async def test_the_handle_opens_connections_of_this_driver(db: Database) -> None:
    async with db.read() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.Connection)


async def test_rows_counts_and_returning_come_back_whole(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(THINGS.insert(), [{"name": f"n{i}"} for i in range(300)])
        updated = await conn.execute(
            THINGS.update().where(THINGS.c.id <= 10).values(name=THINGS.c.name + "!")
        )
        assert updated.rowcount == 10
        deleted = await conn.execute(
            THINGS.delete().where(THINGS.c.id > 290).returning(THINGS.c.name)
        )
        assert sorted(deleted.scalars()) == sorted(f"n{i}" for i in range(290, 300))
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(THINGS).order_by(THINGS.c.id))).all()
        assert len(rows) == 290
        assert rows[0].name == "n0!" and rows[-1].name == "n289"
        result = await conn.execute(sa.select(THINGS.c.name).order_by(THINGS.c.id))
        assert result.fetchmany(2) == [("n0!",), ("n1!",)]
        assert result.fetchone() == ("n2!",)
        assert len(result.fetchall()) == 287


async def test_a_failed_statement_raises_and_rolls_the_transaction_back(db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with db.write() as conn:
            await conn.execute(THINGS.insert(), [{"name": "same"}])
            await conn.execute(THINGS.insert(), [{"name": "same"}])
    async with db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(THINGS)) == 0
        with pytest.raises(sa.exc.OperationalError):
            await conn.execute(sa.text("SELECT nothing FROM nowhere"))


async def test_the_writers_statements_run_on_the_event_loops_thread_and_reads_on_their_own(
    db: Database,
) -> None:
    threads: list[int] = []

    async def thread_of_a_statement(conn: sa.ext.asyncio.AsyncConnection) -> int:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, sqlite_driver.Connection)
        await driver.run(
            lambda c: c.create_function("whose", 0, lambda: threads.append(threading.get_ident()))
        )
        await conn.execute(sa.text("SELECT whose()"))
        return threads.pop()

    async with db.write() as conn:
        assert await thread_of_a_statement(conn) == threading.get_ident()
    async with db.read() as conn:
        assert await thread_of_a_statement(conn) != threading.get_ident()
