"""Each check's dashboard severity, kept on its row by the intake and the checks service: the
dashboard's counters and worst-first order read it, so it must follow every FINAL result, a
deactivation and a deletion, and never count another account's checks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.queue.test_intake import LOCATION, OWNER, Queue, result
from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create
from vantage.checks import severity
from vantage.db.tables import checks
from vantage.locations import service as locations
from vantage.timeutil import utcnow
from vantage.ui import dashboard
from vantage.ui.dashboard import View

URL = "https://shop.example.test/health"


async def queue_of(vantage: Harness, persona: Persona) -> Queue:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, LOCATION, "Edge")
        found = await locations.by_slug(conn, LOCATION)
    assert found is not None
    return Queue(vantage.runtime.db, persona.account_id, found.ref.id)


async def finish(queue: Queue, check_id: str, **outcome: bool) -> None:
    """One session of `check_id` whose single result is FINAL, through the real intake."""
    session_id = await queue.start_session(check_id, retryStrategy=None)
    job = await queue.job_of(session_id)
    intake = await queue.submit((job.id, OWNER, result(**outcome)))
    assert intake.completions[0].outcome == "accepted"


async def seen(vantage: Harness, account_id: str) -> tuple[dict[str, int], list[str]]:
    """The dashboard's counters and its worst-first names, and a check that every stored
    severity is the one the rows stand for."""
    async with vantage.runtime.db.read() as conn:
        data = await dashboard.dashboard(conn, account_id, View(), now=utcnow())
        drift = (
            await conn.execute(
                sa.select(checks.c.name).where(checks.c.severity != severity.expression())
            )
        ).all()
    assert drift == []
    return data["counts"], [c["name"] for c in data["checks"]]


def counts(**given: int) -> dict[str, Any]:
    return {state: given.get(state, 0) for state in severity.STATES}


async def test_the_state_follows_each_final_result_through_pass_fail_degraded_and_pass(
    vantage: Harness, alice: Persona
) -> None:
    queue = await queue_of(vantage, alice)
    flaky = await create(alice, payloads.api_check(URL, name="flaky"))
    await create(alice, payloads.api_check(URL, name="another"))
    assert await seen(vantage, alice.account_id) == (counts(pending=2), ["another", "flaky"])

    await finish(queue, flaky)
    assert await seen(vantage, alice.account_id) == (
        counts(pending=1, passing=1),
        ["another", "flaky"],
    )
    await finish(queue, flaky, failed=True)
    assert await seen(vantage, alice.account_id) == (
        counts(failing=1, pending=1),
        ["flaky", "another"],
    )
    await finish(queue, flaky, degraded=True)
    assert await seen(vantage, alice.account_id) == (
        counts(degraded=1, pending=1),
        ["flaky", "another"],
    )
    await finish(queue, flaky)
    assert await seen(vantage, alice.account_id) == (
        counts(pending=1, passing=1),
        ["another", "flaky"],
    )


async def test_a_deactivated_check_is_paused_until_reactivated_then_shows_its_last_result(
    vantage: Harness, alice: Persona
) -> None:
    queue = await queue_of(vantage, alice)
    check_id = await create(alice, payloads.api_check(URL, name="orders"))
    await finish(queue, check_id, failed=True)
    off = await alice.put(f"/v1/checks/api/{check_id}", json={"activated": False})
    assert off.status_code == 200, off.text
    assert await seen(vantage, alice.account_id) == (counts(paused=1), ["orders"])
    # A run already out when it was paused still lands; the check stays paused.
    await finish(queue, check_id)
    assert await seen(vantage, alice.account_id) == (counts(paused=1), ["orders"])
    on = await alice.put(f"/v1/checks/api/{check_id}", json={"activated": True})
    assert on.status_code == 200, on.text
    assert await seen(vantage, alice.account_id) == (counts(passing=1), ["orders"])


async def test_a_check_created_paused_counts_as_paused_and_a_new_one_as_pending(
    vantage: Harness, alice: Persona
) -> None:
    await create(alice, payloads.api_check(URL, name="later", activated=False))
    await create(alice, payloads.api_check(URL, name="now"))
    assert await seen(vantage, alice.account_id) == (
        counts(pending=1, paused=1),
        ["now", "later"],
    )


async def test_a_deleted_check_leaves_the_counters_and_the_page(
    vantage: Harness, alice: Persona
) -> None:
    queue = await queue_of(vantage, alice)
    gone = await create(alice, payloads.api_check(URL, name="gone"))
    await create(alice, payloads.api_check(URL, name="kept"))
    await finish(queue, gone, failed=True)
    assert (await alice.delete(f"/v1/checks/{gone}")).status_code == 204
    assert await seen(vantage, alice.account_id) == (counts(pending=1), ["kept"])


async def test_another_accounts_checks_are_never_counted_nor_listed(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    theirs = await create(charlie, payloads.api_check(URL, name="theirs"))
    await finish(await queue_of(vantage, charlie), theirs, failed=True)
    await create(alice, payloads.api_check(URL, name="mine"))
    assert await seen(vantage, alice.account_id) == (counts(pending=1), ["mine"])
    assert await seen(vantage, charlie.account_id) == (counts(failing=1), ["theirs"])
