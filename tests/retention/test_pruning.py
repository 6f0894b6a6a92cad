"""Retention: results and ended sessions past their age are deleted in batches, young ones and
status rows stay, the API answers 404 for what was pruned, and two pruners never prune twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.checks import api_check
from tests.support.databases import scratch_postgres
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.config import Settings
from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.db.partitions import DAYS_AHEAD, DEFAULT, day_partition
from vantage.db.tables import (
    accounts,
    check_results,
    check_sessions,
    check_statuses,
    jobs,
    locations,
)
from vantage.retention.partitioning import partition_names
from vantage.retention.pruner import RETENTION_LOCK, Prune, Pruner
from vantage.retention.repository import prune_results
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

OLD = timedelta(days=40)


def final_id(session: dict[str, Any]) -> str:
    [final] = [r for r in session["results"] if r["resultType"] == "FINAL"]
    return str(final["checkResultId"])


async def age(harness: Harness, session_id: str, by: timedelta) -> None:
    """Move a session and its results back in time, as if they had been stored `by` ago."""
    then = utcnow() - by
    async with harness.runtime.db.write() as conn:
        await conn.execute(
            check_results.update()
            .where(check_results.c.session_id == session_id)
            .values(created_at=then)
        )
        await conn.execute(
            check_sessions.update().where(check_sessions.c.id == session_id).values(stopped_at=then)
        )


async def test_old_results_and_their_sessions_are_pruned_and_young_ones_and_statuses_stay(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok", name="Home"))
    old = await run(alice, check_id)
    young = await run(alice, check_id)
    await age(vantage, old["checkSessionId"], OLD)

    done = await Pruner(vantage.runtime).run_once()

    assert done is not None
    assert (done.results, done.sessions) == (1, 1)
    listed = await alice.get(f"/v2/check-results/{check_id}")
    assert [r["id"] for r in listed.json()["entries"]] == [final_id(young)]
    assert (await alice.get(f"/v2/check-sessions/{young['checkSessionId']}")).status_code == 200
    statuses = await alice.get("/v1/check-statuses")
    assert [s["checkId"] for s in statuses.json()] == [check_id]


async def test_a_pruned_result_and_session_answer_404_in_checklys_body(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    old = await run(alice, check_id)
    await age(vantage, old["checkSessionId"], OLD)
    await Pruner(vantage.runtime).run_once()

    for path in (
        f"/v1/check-results/{check_id}/{final_id(old)}",
        f"/v2/check-results/{check_id}/{final_id(old)}",
        f"/v1/check-sessions/{old['checkSessionId']}",
        f"/v2/check-sessions/{old['checkSessionId']}",
        f"/v2/check-sessions/{old['checkSessionId']}/completion",
    ):
        response = await alice.get(path)
        assert response.status_code == 404, path
        assert response.json()["statusCode"] == 404
        assert response.json()["error"] == "Not Found"


async def test_a_check_whose_results_are_all_pruned_keeps_its_status_row(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    old = await run(alice, check_id)
    await age(vantage, old["checkSessionId"], OLD)
    await Pruner(vantage.runtime).run_once()

    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(check_results)) == 0
        assert await conn.scalar(sa.select(check_statuses.c.check_id)) == check_id
    status = await alice.get(f"/v1/check-statuses/{check_id}")
    assert status.status_code == 200
    assert status.json()["hasFailures"] is False


# Rows written straight to the tables: the counts below need many of them.


def session_row(account_id: str, *, stopped_at: datetime | None) -> dict[str, Any]:
    started = (stopped_at or utcnow()) - timedelta(seconds=1)
    return {
        "id": str(uuid.uuid4()),
        "account_id": account_id,
        "check_id": "check",
        "check_type": "API",
        "name": "API check",
        "status": "PASSED" if stopped_at else "STARTED",
        "run_source": "SCHEDULER",
        "run_locations": ["local"],
        "started_at": started,
        "stopped_at": stopped_at,
        "deadline_at": started + timedelta(minutes=1),
    }


def result_row(session: dict[str, Any], *, created_at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "account_id": session["account_id"],
        "check_id": "check",
        "session_id": session["id"],
        "job_id": str(uuid.uuid4()),
        "name": "API check",
        "check_type": "API",
        "run_location": "local",
        "result_type": "FINAL",
        "attempts": 1,
        "has_failures": False,
        "has_errors": False,
        "is_degraded": False,
        "over_max_response_time": False,
        "response_time": 12.5,
        "check_run_id": 1,
        "started_at": created_at - timedelta(seconds=1),
        "stopped_at": created_at,
        "created_at": created_at,
        "detail": {"apiCheckResult": {"response": {"status": 200}}},
    }


async def store(db: Database, old: int, young: int) -> None:
    """`old` sessions with one result each from 40 days ago and `young` ones from now."""
    now = utcnow()
    sessions: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for count, when in ((old, now - OLD), (young, now)):
        for _ in range(count):
            session = session_row("account", stopped_at=when)
            sessions.append(session)
            results.append(result_row(session, created_at=when))
    async with db.write() as conn:
        await conn.execute(check_sessions.insert(), sessions)
        await conn.execute(check_results.insert(), results)


async def counts(db: Database) -> tuple[int, int]:
    async with db.read() as conn:
        results = await conn.scalar(sa.select(sa.func.count()).select_from(check_results))
        sessions = await conn.scalar(sa.select(sa.func.count()).select_from(check_sessions))
    return int(results or 0), int(sessions or 0)


async def prepare(db: Database) -> None:
    """Migrated, with the account and the location the rows below belong to."""
    await upgrade(db)
    async with db.write() as conn:
        await conn.execute(accounts.insert().values(id="account", name="A", created_at=utcnow()))
        await conn.execute(
            locations.insert().values(
                slug="nowhere", name="Nowhere", id=LOCATION_ID, created_at=utcnow()
            )
        )


def runtime_for(database_url: str, **settings: Any) -> Runtime:
    values: dict[str, Any] = {"database_url": database_url, "local_agent": False, **settings}
    return Runtime(settings=Settings(**values), db=Database(database_url))


async def test_a_pass_deletes_in_batches_until_nothing_old_is_left(database_url: str) -> None:
    runtime = runtime_for(database_url, retention_batch=7)
    try:
        await prepare(runtime.db)
        await store(runtime.db, old=30, young=5)

        done = await Pruner(runtime).run_once()

        assert done is not None
        assert (done.results, done.sessions) == (30, 30)
        assert await counts(runtime.db) == (5, 5)
        again = await Pruner(runtime).run_once()
        assert again is not None
        assert (again.results, again.sessions) == (0, 0)
    finally:
        await runtime.db.dispose()


async def test_two_pruners_at_once_delete_each_row_exactly_once(database_url: str) -> None:
    """Two replicas' pruners started together: between them every old row goes once, and
    neither fails (on PostgreSQL one of them usually finds the other pruning and skips)."""
    first = runtime_for(database_url, retention_batch=10)
    second = runtime_for(database_url, retention_batch=10)
    try:
        await prepare(first.db)
        await store(first.db, old=200, young=20)

        passes = await asyncio.gather(Pruner(first).run_once(), Pruner(second).run_once())

        ran = [p for p in passes if p is not None]
        assert ran
        assert sum(p.results for p in ran) == 200
        assert sum(p.sessions for p in ran) == 200
        assert await counts(first.db) == (20, 20)
    finally:
        await first.db.dispose()
        await second.db.dispose()


async def test_a_pruner_skips_its_pass_while_another_replica_holds_the_turn(
    database_url: str,
) -> None:
    runtime = runtime_for(database_url)
    other = runtime_for(database_url)
    try:
        await prepare(runtime.db)
        await store(runtime.db, old=3, young=0)
        async with other.db.exclusive(RETENTION_LOCK) as held:
            assert held
            skipped = await Pruner(runtime).run_once()
        if runtime.db.is_sqlite:
            # One process owns a SQLite file: there is no other replica to wait for.
            assert skipped is not None
        else:
            assert skipped is None
            assert await counts(runtime.db) == (3, 3)
            done = await Pruner(runtime).run_once()
            assert done is not None
            assert done.results == 3
    finally:
        await runtime.db.dispose()
        await other.db.dispose()


async def test_open_sessions_sessions_with_jobs_and_sessions_with_young_results_stay(
    database_url: str,
) -> None:
    runtime = runtime_for(database_url)
    try:
        await prepare(runtime.db)
        long_ago = utcnow() - OLD
        running = session_row("account", stopped_at=None)
        running["started_at"] = long_ago
        queued = session_row("account", stopped_at=long_ago)
        late = session_row("account", stopped_at=long_ago)  # its result arrived after it ended
        async with runtime.db.write() as conn:
            await conn.execute(check_sessions.insert(), [running, queued, late])
            await conn.execute(check_results.insert(), [result_row(late, created_at=utcnow())])
            await conn.execute(jobs.insert(), [job_row(queued["id"])])

        done = await Pruner(runtime).run_once()

        assert done is not None
        assert (done.results, done.sessions) == (0, 0)
        assert await counts(runtime.db) == (1, 3)
    finally:
        await runtime.db.dispose()


def job_row(session_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "session_id": session_id,
        "account_id": "account",
        "check_id": "check",
        "location": "nowhere",
        "location_id": LOCATION_ID,
        "attempt": 1,
        "sequence_id": str(uuid.uuid4()),
        "state": "QUEUED",
        "run_at": utcnow(),
        "config": {},
        "created_at": utcnow(),
    }


LOCATION_ID = "loc-id"


async def test_retention_days_zero_keeps_everything(database_url: str) -> None:
    runtime = runtime_for(database_url, retention_days=0)
    try:
        await prepare(runtime.db)
        await store(runtime.db, old=3, young=1)
        assert await Pruner(runtime).run_once() is None
        assert await counts(runtime.db) == (4, 4)
    finally:
        await runtime.db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_batch_skips_the_rows_another_pruner_holds(database_url: str) -> None:
    """SKIP LOCKED: a second pruner's batch takes other rows at once instead of waiting for the
    first one's transaction (SQLite has one writer, so there the second simply waits)."""
    runtime = runtime_for(database_url)
    try:
        await prepare(runtime.db)
        await store(runtime.db, old=20, young=0)
        cutoff = utcnow() - timedelta(days=30)
        async with runtime.db.write() as first:
            assert await prune_results(first, cutoff, 10) == 10
            async with runtime.db.write() as second:
                assert await asyncio.wait_for(prune_results(second, cutoff, 10), 10) == 10
                assert await prune_results(second, cutoff, 10) == 0
        assert await counts(runtime.db) == (0, 20)
    finally:
        await runtime.db.dispose()


async def test_a_running_server_prunes_by_itself(database_url: str) -> None:
    settings = settings_for(database_url, retention_interval_seconds=0.2, local_agent=False)
    async with running_vantage(settings) as harness:
        db = harness.runtime.db
        async with db.write() as conn:
            await conn.execute(
                accounts.insert().values(id="account", name="A", created_at=utcnow())
            )
        await store(db, old=5, young=2)
        for _ in range(100):
            if await counts(db) == (2, 2):
                break
            await asyncio.sleep(0.1)
        assert await counts(db) == (2, 2)


async def test_on_postgresql_whole_days_past_the_cutoff_are_dropped_and_the_next_days_made() -> (
    None
):
    """A pass 40 days from now (30 days' retention): every partition wholly before the cutoff
    goes, with its rows, without a row delete; the rest of the cutoff's day is deleted in
    batches; the days from then on get their partitions, and the rows the default partition
    caught for such a day move into it. (A database of its own: the pass drops partitions the
    other tests' shared database keeps.)"""
    async with scratch_postgres() as url:
        runtime = runtime_for(url)
        try:
            await a_pass_forty_days_ahead(runtime)
        finally:
            await runtime.db.dispose()


async def a_pass_forty_days_ahead(runtime: Runtime) -> None:
    await prepare(runtime.db)
    now = utcnow()
    later = now + timedelta(days=40)
    async with runtime.db.write() as conn:
        rows = [
            (now + timedelta(days=2), 4),  # a day partition made by the migration
            (later - timedelta(days=30, hours=1), 2),  # the default's, just past the cutoff
            (later - timedelta(days=29), 3),  # the default's, young enough
            (later, 5),  # the default's, of the pass's own day
        ]
        for at, count in rows:
            session = session_row("account", stopped_at=at)
            await conn.execute(check_sessions.insert(), [session])
            await conn.execute(
                check_results.insert(),
                [result_row(session, created_at=at) for _ in range(count)],
            )

    done = await Pruner(runtime).run_once(now=later)

    assert done is not None
    # The old table's partition (up to tomorrow) and the next days'.
    assert done.partitions_dropped == 1 + DAYS_AHEAD
    assert done.results == 2
    async with runtime.db.read() as conn:
        held = {
            name: await conn.scalar(sa.text(f"SELECT count(*) FROM {name}"))  # noqa: S608
            for name in await partition_names(conn)
        }
    assert held[day_partition(later.date()).name] == 5
    assert held[DEFAULT] == 3
    assert not [name for name in held if name.startswith("check_results_before")]
    assert day_partition(later.date() + timedelta(days=DAYS_AHEAD)).name in held
    assert await counts(runtime.db) == (8, 2)


async def test_with_retention_off_the_next_days_partitions_are_still_created() -> None:
    async with scratch_postgres() as url:
        runtime = runtime_for(url, retention_days=0)
        try:
            await prepare(runtime.db)
            later = utcnow() + timedelta(days=10)
            assert await Pruner(runtime).run_once(now=later) is None
            async with runtime.db.read() as conn:
                names = await partition_names(conn)
            assert day_partition(later.date()).name in names
            assert any(name.startswith("check_results_before") for name in names)
        finally:
            await runtime.db.dispose()


def batches(full: int, rest: int) -> tuple[list[AsyncConnection], Prune]:
    """A prune that deletes a full batch `full` times, then `rest` rows, noting the transaction
    (its connection) of each call."""
    seen: list[AsyncConnection] = []

    async def prune(conn: AsyncConnection, limit: int) -> int:
        seen.append(conn)
        return limit if len(seen) <= full else rest

    return seen, prune


async def test_one_transaction_deletes_batches_until_its_time_is_up(database_url: str) -> None:
    """Each transaction first waits for the writer behind result intake: a pass that took one
    batch per wait fell behind a busy server. With time to spare, one transaction takes them all."""
    runtime = runtime_for(database_url, retention_batch=7, retention_transaction_seconds=60)
    seen, prune = batches(full=4, rest=3)
    try:
        total = await Pruner(runtime)._drain(prune)

        assert total == 4 * 7 + 3
        assert len(seen) == 5
        assert len({id(conn) for conn in seen}) == 1
    finally:
        await runtime.db.dispose()


async def test_with_no_time_each_transaction_deletes_one_batch(database_url: str) -> None:
    runtime = runtime_for(database_url, retention_batch=7, retention_transaction_seconds=0)
    seen, prune = batches(full=4, rest=3)
    try:
        total = await Pruner(runtime)._drain(prune)

        assert total == 4 * 7 + 3
        assert len({id(conn) for conn in seen}) == 5
    finally:
        await runtime.db.dispose()
