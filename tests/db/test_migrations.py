"""The migrations build exactly the schema `vantage.db.tables` declares, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.support.databases import DIALECTS, scratch_postgres, sqlite_url
from vantage.checks.severity import STATES
from vantage.db.compare import include_name, include_object_for
from vantage.db.engine import Database
from vantage.db.migrate import current_revision, upgrade
from vantage.db.partitions import DAYS_AHEAD, DEFAULT, before_partition, day_partition
from vantage.db.tables import accounts, check_results, check_sessions, checks, jobs, metadata
from vantage.db.types import UtcDateTime
from vantage.results.repository import ids_by_job
from vantage.retention.partitioning import partition_names
from vantage.timeutil import utcnow


def differences(sync: sa.Connection) -> list[Any]:
    opts = {
        "compare_type": True,
        "include_name": include_name,
        "include_object": include_object_for(sync.dialect.name),
    }
    context = MigrationContext.configure(sync, opts=opts)
    return list(compare_metadata(context, metadata))


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


def result_at(i: int, at: datetime) -> dict[str, Any]:
    return {
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
        "has_failures": i % 2 == 0,
        "has_errors": False,
        "is_degraded": False,
        "over_max_response_time": False,
        "response_time": 1.0,
        "check_run_id": i,
        "started_at": at,
        "stopped_at": at,
        "created_at": at,
    }


async def partitions_of(conn: Any) -> dict[str, int]:
    """Each partition of check_results and how many rows it holds."""
    names = await partition_names(conn)
    return {
        name: int(await conn.scalar(sa.text(f"SELECT count(*) FROM {name}")) or 0)  # noqa: S608
        for name in names
    }


@pytest.mark.parametrize("empty_database", ["postgresql"], indirect=True)
async def test_0016_makes_the_existing_results_one_partition_and_partitions_the_next_days(
    empty_database: Database,
) -> None:
    """The rows stay where they are (the old table becomes the partition of everything before
    tomorrow), every index of the parent is there, the keys hold the partition key, and a result of
    a later day goes into that day's partition."""
    await upgrade(empty_database, "0015")
    now = utcnow()
    async with empty_database.write() as conn:
        await conn.execute(
            check_results.insert(), [result_at(0, now - timedelta(days=40)), result_at(1, now)]
        )

    await upgrade(empty_database)

    today = now.date()
    old = before_partition(today + timedelta(days=1)).name
    later = now + timedelta(days=2)
    async with empty_database.write() as conn:
        await conn.execute(check_results.insert(), [result_at(2, later)])
    async with empty_database.read() as conn:
        assert await conn.run_sync(differences) == []
        held = await partitions_of(conn)
        stored = (await conn.execute(sa.select(check_results.c.id))).scalars().all()
        keys = await conn.run_sync(
            lambda sync: sa.inspect(sync).get_pk_constraint("check_results")["constrained_columns"]
        )
        indexes = await conn.run_sync(
            lambda sync: {i["name"] for i in sa.inspect(sync).get_indexes("check_results")}
        )
    assert sorted(stored) == ["r0", "r1", "r2"]
    assert held == {
        old: 2,
        DEFAULT: 0,
        **{day_partition(today + timedelta(days=n)).name: 0 for n in range(1, DAYS_AHEAD + 1)},
        day_partition(later.date()).name: 1,
    }
    assert keys == ["id", "created_at"]
    assert {i.name for i in check_results.indexes} <= indexes


async def test_0016_keeps_a_jobs_result_findable_by_its_job(empty_database: Database) -> None:
    await upgrade(empty_database)
    async with empty_database.write() as conn:
        await conn.execute(check_results.insert(), [result_at(0, utcnow())])
    async with empty_database.read() as conn:
        assert await ids_by_job(conn, ["j0", "j9"]) == {"j0": "r0"}


# Tables as revision 0019 had them: checks without their dashboard severity and name key.
CHECKS_0019 = sa.table(
    "checks",
    *(sa.column(name) for name in ("id", "account_id", "check_type", "name", "activated")),
    *(sa.column(name) for name in ("group_id", "interval_seconds")),
    sa.column("tags", sa.JSON()),
    sa.column("config", sa.JSON()),
    sa.column("created_at", UtcDateTime()),
)
STATUSES_0019 = sa.table(
    "check_statuses",
    *(sa.column(name) for name in ("check_id", "account_id", "has_failures", "has_errors")),
    sa.column("is_degraded"),
    sa.column("created_at", UtcDateTime()),
)


async def test_0021_backfills_each_checks_severity_from_its_status_and_its_name_key(
    empty_database: Database,
) -> None:
    await upgrade(empty_database, "0020")
    now = utcnow()
    async with empty_database.write() as conn:
        await conn.execute(accounts.insert().values(id="a", name="ops", created_at=now))
        cases = {
            # id: activated, status flags (failures, errors, degraded) or None for no row
            "failing": (True, (False, True, False)),
            "degraded": (True, (False, False, True)),
            "pending": (True, None),
            "passing": (True, (False, False, False)),
            "paused": (False, (True, False, False)),
        }
        for check_id, (activated, flags) in cases.items():
            await conn.execute(
                CHECKS_0019.insert().values(
                    id=check_id,
                    account_id="a",
                    check_type="API",
                    name=f"Straße {check_id.upper()}",
                    activated=activated,
                    group_id=None,
                    interval_seconds=60,
                    tags=[],
                    config={},
                    created_at=now,
                )
            )
            if flags is not None:
                failures, errors, degraded = flags
                await conn.execute(
                    STATUSES_0019.insert().values(
                        check_id=check_id,
                        account_id="a",
                        has_failures=failures,
                        has_errors=errors,
                        is_degraded=degraded,
                        created_at=now,
                    )
                )
    await upgrade(empty_database)
    async with empty_database.read() as conn:
        rows = (
            await conn.execute(sa.select(checks.c.id, checks.c.severity, checks.c.name_key))
        ).all()
    assert {row.id: STATES[row.severity] for row in rows} == {state: state for state in cases}
    assert {row.name_key for row in rows} == {f"strasse {state}" for state in cases}
