"""Test databases: a fresh SQLite file per test, and the PostgreSQL that CI starts, emptied per
test. Both start migrated to head, and migrating happens once per pytest process: each SQLite file
is a copy of one migrated template, and PostgreSQL is emptied with DELETE (tens of milliseconds)
rather than TRUNCATE, which replaces the files of every table, partition and index and cost seconds
per test under load.

PostgreSQL is never skipped silently: without it the suite fails and says how to start it, unless
VANTAGE_TEST_POSTGRES=skip is set on purpose.

Each pytest process works in a database of its own (`vantage_test_<pid>`, created on the server of
VANTAGE_TEST_POSTGRES_URL and dropped at the end), so two test runs on one machine never empty each
other's tables."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
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


_migrated_to: str | None = None


def _emptying_sql() -> str:
    # Children before parents, so that no foreign key is in the way; one transaction, one trip.
    tables = reversed(metadata.sorted_tables)  # our own table names, no input
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in tables)  # noqa: S608
    return f"BEGIN;{deletes}COMMIT;"


async def _revision(conn: asyncpg.Connection) -> str | None:
    if not await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
        return None
    revision: str | None = await conn.fetchval("SELECT version_num FROM alembic_version")
    return revision


async def fresh_postgres() -> str:
    """This process's test database, migrated to head, every table empty."""
    global _migrated_to
    if os.environ.get("VANTAGE_TEST_POSTGRES") == "skip":
        pytest.skip("VANTAGE_TEST_POSTGRES=skip: PostgreSQL tests deliberately not run")
    try:
        url = await _create_own_database()
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {postgres_url()} ({exc}). Start it (see .ci/run) or "
            "set VANTAGE_TEST_POSTGRES_URL; VANTAGE_TEST_POSTGRES=skip skips them on purpose."
        )
    try:
        conn = await asyncpg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(False)
        )
        try:
            if _migrated_to is None or await _revision(conn) != _migrated_to:
                # First use in this process, or a test moved the schema: migrate (again).
                db = Database(url, pool_size=1)
                try:
                    await upgrade(db)
                finally:
                    await db.dispose()
                _migrated_to = await _revision(conn)
            await conn.execute(_emptying_sql())
        finally:
            await conn.close()
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url} ({exc}). Start it (see .ci/run) or set "
            "VANTAGE_TEST_POSTGRES_URL; VANTAGE_TEST_POSTGRES=skip skips these tests on purpose."
        )
    return url


_sqlite_template: Path | None = None


async def _migrated_sqlite_template() -> Path:
    """One SQLite file migrated to head in this process, for each test to start from a copy."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="vantage-test-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "vantage.db"
        db = Database(sqlite_url(folder))
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        # Fold the write-ahead log into the file, so the file alone is the whole database.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        _sqlite_template = path
    return _sqlite_template


async def fresh_sqlite(tmp_path: Path) -> str:
    """A SQLite file of the test's own, migrated to head, every table empty."""
    shutil.copyfile(await _migrated_sqlite_template(), tmp_path / "vantage.db")
    return sqlite_url(tmp_path)


async def database_url_for(dialect: str, tmp_path: Path) -> str:
    if dialect == "postgresql":
        return await fresh_postgres()
    return await fresh_sqlite(tmp_path)


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
