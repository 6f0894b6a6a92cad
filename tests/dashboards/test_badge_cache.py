"""Badges are kept a few seconds (`dashboards/badge_cache.py`): many readers of one badge cost
one render, a check's status change clears them at once, and whatever else changes shows within
the cache's TTL. The statements are counted on the server's own engines; time is the caches'
clock, moved by the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.alerting.flow import point_at, run
from tests.dashboards.test_dashboards import fill
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.dashboards.badge_cache import BADGES, BADGES_CHANGED, forget_badges
from vantage.db.tables import check_statuses
from vantage.statuspages import public_cache
from vantage.wakeups import Signals

GREEN, RED = "#4c1", "#e05d44"


@contextmanager
def badge_statements(vantage: Harness) -> Iterator[list[str]]:
    """The statements a badge's render makes (the key's lookup, the status read), as the
    server's engines run them."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if "api_keys" in statement or "check_statuses" in statement:
            seen.append(statement)

    db = vantage.runtime.db
    engines = {id(e.sync_engine): e.sync_engine for e in (db.read_engine, db.write_engine)}
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", record)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(public_cache, "clock", clock)
    return clock


@pytest.fixture(autouse=True)
def no_badges() -> Iterator[None]:
    forget_badges()
    yield
    forget_badges()


async def passing_check(alice: Persona, target: HttpTarget) -> str:
    created = await alice.post("/v1/checks/api", json=api_check(f"{target.base_url}/status/200"))
    assert created.status_code == 201, created.text
    check_id = str(created.json()["id"])
    assert await run(alice, check_id) == "PASSED"
    return check_id


async def badge(persona: Persona, path: str, **params: str) -> str:
    response = await persona.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    return fill(response.text)  # parsed: valid SVG


async def test_a_badge_read_twice_within_its_ttl_costs_one_render(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    with badge_statements(vantage) as statements:
        assert await badge(alice, path) == GREEN
        rendered = len(statements)
        assert rendered == 2  # the key's account, the check's status
        clock.now += public_cache.TTL_SECONDS - 0.5
        assert await badge(alice, path) == GREEN
        assert len(statements) == rendered  # no statement at all
        # another style is another badge; another account's key is not answered from alice's
        assert await badge(alice, path, style="flat-square") == GREEN
        assert len(statements) == 2 * rendered
        assert (await charlie.get(path)).status_code == 404


async def test_a_status_change_no_one_was_told_of_shows_within_the_ttl(
    vantage: Harness, alice: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    assert await badge(alice, path) == GREEN
    # as another replica's intake whose notification was lost: nothing clears the badge
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            sa.update(check_statuses)
            .where(check_statuses.c.check_id == check_id)
            .values(has_failures=True)
        )
    assert await badge(alice, path) == GREEN  # kept, within the TTL
    clock.now += public_cache.TTL_SECONDS
    # expired: this read gets the kept badge while one render refreshes it, the next the new
    assert await badge(alice, path) == GREEN
    await BADGES.settled()
    assert await badge(alice, path) == RED


async def test_a_run_that_changes_the_status_clears_the_badge_at_once(
    alice: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    assert await badge(alice, path, theme="dark") == GREEN
    await point_at(alice, check_id, http_target, "/status/500")
    assert await run(alice, check_id) == "FAILED"
    assert await badge(alice, path, theme="dark") == RED


async def test_a_group_badge_is_kept_too(
    vantage: Harness, alice: Persona, charlie: Persona, clock: Clock
) -> None:
    group = await alice.post("/v1/check-groups", json={"name": "Shop", "locations": ["local"]})
    assert group.status_code == 201, group.text
    path = f"/v1/badges/groups/{group.json()['id']}"
    with badge_statements(vantage) as statements:
        response = await alice.get(path)
        assert response.status_code == 200 and ">Shop<" in response.text
        rendered = len(statements)
        assert rendered >= 1  # the key's account at least
        for _ in range(2):
            assert (await alice.get(path)).text == response.text
        assert len(statements) == rendered
    assert (await charlie.get(path)).status_code == 404


async def test_a_change_on_one_replica_clears_the_badges_of_the_others() -> None:
    signals = Signals()
    told: list[tuple[str, str]] = []
    signals.broadcast = lambda kind, ident: told.append((kind, ident))
    undo = BADGES.install(signals)
    try:
        forget_badges()
        assert told == [(BADGES_CHANGED, "")]
        key = ("badge|k|", "/v1/badges/checks/c?")

        async def render() -> public_cache.Rendered:
            return public_cache.Rendered(b"<svg/>", "image/svg+xml", '"b"')

        await BADGES.cached(key, render)
        assert BADGES.fresh(key) is not None
        signals.relay(BADGES_CHANGED, "", remote=True)  # another replica's notification
        assert BADGES.fresh(key) is None
        assert len(told) == 1
    finally:
        undo()


async def test_a_badge_carries_a_strong_etag_and_a_revalidation_that_names_it_gets_a_304(
    alice: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    first = await alice.get(path)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong: no W/
    assert first.headers["cache-control"] == "no-cache"  # so every view revalidates

    for names in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await alice.get(path, headers={"If-None-Match": names})
        assert again.status_code == 304, names
        assert again.content == b""
        assert again.headers["etag"] == etag
    # another badge's tag, or another style of this one, gets the bytes
    assert (await alice.get(path, headers={"If-None-Match": '"other"'})).status_code == 200
    dark = await alice.get(path, params={"theme": "dark"}, headers={"If-None-Match": etag})
    assert dark.status_code == 200 and dark.headers["etag"] != etag


async def test_a_revalidation_still_needs_a_good_key(
    alice: Persona, charlie: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    etag = (await alice.get(path)).headers["etag"]
    assert (await charlie.get(path, headers={"If-None-Match": etag})).status_code == 404
    anonymous = await alice.client.get(path, headers={"If-None-Match": etag})
    assert anonymous.status_code == 401


async def test_a_renamed_check_shows_its_new_name_on_its_badge_at_once(
    alice: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    before = await alice.get(path)
    assert ">Checkout<" not in before.text
    renamed = await alice.put(f"/v1/checks/{check_id}", json={"name": "Checkout"})
    assert renamed.status_code == 200, renamed.text
    # the cache's clock stands still: only the rename can have cleared the badge
    after = await alice.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert ">Checkout<" in after.text


async def test_a_deleted_check_badge_is_a_404_at_once(
    alice: Persona, http_target: HttpTarget, clock: Clock
) -> None:
    check_id = await passing_check(alice, http_target)
    path = f"/v1/badges/checks/{check_id}"
    assert await badge(alice, path) == GREEN
    assert (await alice.delete(f"/v1/checks/{check_id}")).status_code == 204
    assert (await alice.get(path)).status_code == 404


async def test_a_renamed_or_deleted_group_shows_on_its_badge_at_once(
    alice: Persona, clock: Clock
) -> None:
    group = await alice.post("/v1/check-groups", json={"name": "Shop", "locations": ["local"]})
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    path = f"/v1/badges/groups/{group_id}"
    assert ">Shop<" in (await alice.get(path)).text
    renamed = await alice.put(f"/v1/check-groups/{group_id}", json={"name": "Store"})
    assert renamed.status_code == 200, renamed.text
    assert ">Store<" in (await alice.get(path)).text
    assert (await alice.delete(f"/v1/check-groups/{group_id}")).status_code == 204
    assert (await alice.get(path)).status_code == 404
