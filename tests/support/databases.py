"""Test databases: a fresh SQLite file per test, and the PostgreSQL that CI starts, emptied per
test. PostgreSQL is never skipped silently: without it the suite fails and says how to start it,
unless VANTAGE_TEST_POSTGRES=skip is set on purpose.

Each pytest process works in a database of its own (`vantage_test_<pid>`, created on the server of
VANTAGE_TEST_POSTGRES_URL and dropped at the end), so two test runs on one machine never empty each
other's tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.db.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DIALECTS = ["sqlite", "postgresql"]


def postgres_url() -> str:
    return os.environ.get("VANTAGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vantage.db'}"


_own_database: str | None = None


def own_database_name() -> str:
    return f"vantage_test_{os.getpid()}"


async def _create_own_database() -> str:
    global _own_database
    base = make_url(postgres_url())
    name = own_database_name()
    if _own_database is None:
        conn = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        _own_database = name
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_own_database() -> None:
    if _own_database is None:
        return
    base = make_url(postgres_url()).set(drivername="postgresql")
    conn = await asyncpg.connect(base.render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_own_database}" WITH (FORCE)')
    finally:
        await conn.close()


async def fresh_postgres() -> str:
    """This process's test database, migrated to head, every table empty."""
    if os.environ.get("VANTAGE_TEST_POSTGRES") == "skip":
        pytest.skip("VANTAGE_TEST_POSTGRES=skip: PostgreSQL tests deliberately not run")
    try:
        url = await _create_own_database()
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {postgres_url()} ({exc}). Start it (see .ci/run) or "
            "set VANTAGE_TEST_POSTGRES_URL; VANTAGE_TEST_POSTGRES=skip skips them on purpose."
        )
    db = Database(url, pool_size=1)
    try:
        await upgrade(db)
        async with db.write() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            await conn.execute(sa.text(f"TRUNCATE {names}"))
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url} ({exc}). Start it (see .ci/run) or set "
            "VANTAGE_TEST_POSTGRES_URL; VANTAGE_TEST_POSTGRES=skip skips these tests on purpose."
        )
    finally:
        await db.dispose()
    return url


async def database_url_for(dialect: str, tmp_path: Path) -> str:
    if dialect == "postgresql":
        return await fresh_postgres()
    return sqlite_url(tmp_path)


@asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """A database of its own on the test PostgreSQL server, created empty and dropped after, so
    that the shared test database is never left half-built."""
    if os.environ.get("VANTAGE_TEST_POSTGRES") == "skip":
        pytest.skip("VANTAGE_TEST_POSTGRES=skip: PostgreSQL tests deliberately not run")
    server = make_url(postgres_url())
    name = f"vantage_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(
        server.set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
