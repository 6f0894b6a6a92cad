"""The migrations build exactly the schema `vantage.db.tables` declares, on both databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.databases import DIALECTS, postgres_url, sqlite_url
from vantage.db.engine import Database
from vantage.db.migrate import current_revision, upgrade
from vantage.db.tables import accounts, check_results, check_sessions, jobs, metadata
from vantage.db.types import UtcDateTime
from vantage.timeutil import utcnow


def differences(sync: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(sync, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


@asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """A database of its own on the test PostgreSQL server, created empty and dropped after, so
    that the shared test database is never left half-built."""
    if os.environ.get("VANTAGE_TEST_POSTGRES") == "skip":
        pytest.skip("VANTAGE_TEST_POSTGRES=skip: PostgreSQL tests deliberately not run")
    server = make_url(postgres_url())
    name = f"vantage_migrations_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(params=DIALECTS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with AsyncExitStack() as stack:
        if request.param == "postgresql":
            url = await stack.enter_async_context(scratch_postgres())
        else:
            url = sqlite_url(tmp_path)
        db = Database(url, pool_size=1)
        stack.push_async_callback(db.dispose)
        yield db


async def test_a_fresh_database_migrates_to_exactly_the_declared_schema(
    empty_database: Database,
) -> None:
    assert await current_revision(empty_database) is None
    await upgrade(empty_database)
    async with empty_database.read() as conn:
        found = await conn.run_sync(differences)
    assert found == []


async def test_every_declared_table_exists_after_migrating(empty_database: Database) -> None:
    await upgrade(empty_database)
    async with empty_database.read() as conn:
        tables = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_migrating_twice_changes_nothing(empty_database: Database) -> None:
    await upgrade(empty_database)
    revision = await current_revision(empty_database)
    assert revision is not None
    await upgrade(empty_database)
    assert await current_revision(empty_database) == revision
    async with empty_database.read() as conn:
        assert await conn.run_sync(differences) == []


async def test_an_empty_schema_differs_from_the_declared_one(empty_database: Database) -> None:
    """The comparison itself works: before migrating, it reports every table as missing."""
    async with empty_database.read() as conn:
        found = await conn.run_sync(differences)
    added = {diff[1].name for diff in found if diff[0] == "add_table"}
    assert added == set(metadata.tables)


# Tables as revision 0003 had them: jobs named their location by slug only.
JOBS_0003 = sa.table(
    "jobs",
    *(sa.column(name) for name in ("id", "session_id", "account_id", "check_id", "location")),
    *(sa.column(name) for name in ("attempt", "sequence_id", "state", "leases")),
    sa.column("config", sa.JSON()),
    sa.column("run_at", UtcDateTime()),
    sa.column("created_at", UtcDateTime()),
)
LOCATIONS_0003 = sa.table(
    "locations",
    *(sa.column(name) for name in ("slug", "name", "id")),
    sa.column("created_at", UtcDateTime()),
)


async def test_existing_jobs_are_bound_to_their_locations_id_and_orphans_withdrawn(
    empty_database: Database,
) -> None:
    """0004: a job of an existing location gets its id; a job whose location does not exist (the
    `local` of a server without its embedded agent) is withdrawn before anyone can create it."""
    await upgrade(empty_database, "0003")
    now = utcnow()
    async with empty_database.write() as conn:
        await conn.execute(
            LOCATIONS_0003.insert().values(slug="edge", name="Edge", id="edge-id", created_at=now)
        )
        for job_id, location in (("j-edge", "edge"), ("j-orphan", "local")):
            await conn.execute(
                JOBS_0003.insert().values(
                    id=job_id,
                    session_id="s",
                    account_id="a",
                    check_id="c",
                    location=location,
                    attempt=1,
                    sequence_id="q",
                    state="QUEUED",
                    leases=0,
                    config={},
                    run_at=now,
                    created_at=now,
                )  # fmt: skip
            )
    await upgrade(empty_database)
    async with empty_database.read() as conn:
        rows = (await conn.execute(sa.select(jobs.c.id, jobs.c.location_id))).all()
    assert [tuple(row) for row in rows] == [("j-edge", "edge-id")]


async def test_0006_keeps_every_session_and_result_and_swaps_the_session_indexes(
    empty_database: Database,
) -> None:
    """0006 on a database with data: rows stay, the two unread session indexes go, the retention
    indexes come, and the schema is then exactly the declared one."""
    await upgrade(empty_database, "0004")
    now = utcnow()
    async with empty_database.write() as conn:
        await conn.execute(accounts.insert().values(id="a", name="A", created_at=now))
        await conn.execute(
            check_sessions.insert(),
            [
                {
                    "id": f"s{i}",
                    "account_id": "a",
                    "check_id": "c",
                    "check_type": "API",
                    "name": "n",
                    "status": "PASSED",
                    "run_source": "SCHEDULER",
                    "run_locations": ["local"],
                    "started_at": now,
                    "stopped_at": now,
                    "deadline_at": now,
                }
                for i in range(3)
            ],
        )
        await conn.execute(
            check_results.insert(),
            [
                {
                    "id": f"r{i}",
                    "account_id": "a",
                    "check_id": "c",
                    "session_id": f"s{i}",
                    "job_id": f"j{i}",
                    "name": "n",
                    "check_type": "API",
                    "run_location": "local",
                    "result_type": "FINAL",
                    "attempts": 1,
                    "has_failures": False,
                    "has_errors": False,
                    "is_degraded": False,
                    "over_max_response_time": False,
                    "response_time": 1.0,
                    "check_run_id": i,
                    "started_at": now,
                    "stopped_at": now,
                    "created_at": now,
                }
                for i in range(3)
            ],
        )

    await upgrade(empty_database)

    async with empty_database.read() as conn:
        assert await conn.run_sync(differences) == []
        indexes = await conn.run_sync(
            lambda sync: {
                table: {index["name"] for index in sa.inspect(sync).get_indexes(table)}
                for table in ("check_sessions", "check_results")
            }
        )
        stored = (await conn.execute(sa.select(check_results.c.id))).scalars().all()
        sessions = (await conn.execute(sa.select(check_sessions.c.id))).scalars().all()
    assert "ix_check_sessions_stopped" in indexes["check_sessions"]
    assert not {"ix_check_sessions_check", "ix_check_sessions_open"} & indexes["check_sessions"]
    assert "ix_check_results_created" in indexes["check_results"]
    assert sorted(stored) == ["r0", "r1", "r2"]
    assert sorted(sessions) == ["s0", "s1", "s2"]
