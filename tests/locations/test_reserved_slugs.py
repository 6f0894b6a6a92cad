"""The default location is the operator's whether or not the embedded agent runs, so no account can
register it (or any taken slug) and receive other accounts' runs; a taken slug gets one answer,
whoever holds it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Persona, running_vantage, settings_for
from vantage.db.tables import agent_keys, locations
from vantage.locations import service as locations_service

NOT_AVAILABLE = "The slug {!r} is not available: choose another."


async def create_location(persona: Persona, slug: str) -> Any:
    return await persona.post("/v1/private-locations", json={"name": "Mine", "slugName": slug})


async def test_without_the_embedded_agent_the_default_location_exists_and_is_the_operators(
    database_url: str,
) -> None:
    settings = settings_for(database_url, local_agent=False)
    async with running_vantage(settings, background=False) as vantage:
        attacker = await vantage.persona("attacker")
        victim = await vantage.persona("victim")
        response = await create_location(attacker, "local")
        assert response.status_code == 409, response.text
        assert response.json()["message"] == NOT_AVAILABLE.format("local")
        assert (await attacker.get("/v1/private-locations")).json() == []
        assert {"region": "local", "name": "Local"} in (await victim.get("/v1/locations")).json()

        # The victim's check names no location: its run is queued for the operator's `local`.
        check = await victim.post("/v1/checks/api", json=api_check("http://127.0.0.1:9/"))
        trigger = await victim.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
        )
        assert trigger.json()["sessions"][0]["runLocations"] == ["local"]
        async with vantage.runtime.db.read() as conn:
            local = await locations_service.by_slug(conn, "local")
        assert local is not None and local.account_id is None


async def test_a_configured_default_location_is_reserved_too(database_url: str) -> None:
    settings = settings_for(database_url, local_agent=False, default_location="eu-default")
    async with running_vantage(settings, background=False) as vantage:
        attacker = await vantage.persona("attacker")
        for slug in ("eu-default", "local"):
            response = await create_location(attacker, slug)
            assert response.status_code == 409, response.text
            assert response.json()["message"] == NOT_AVAILABLE.format(slug)
        regions = [loc["region"] for loc in (await attacker.get("/v1/locations")).json()]
        assert regions == ["eu-default"]


async def test_a_taken_slug_answers_alike_whoever_holds_it(
    database_url: str,
) -> None:
    async with running_vantage(settings_for(database_url), background=False) as vantage:
        alice = await vantage.persona("alice")
        charlie = await vantage.persona("charlie")
        async with vantage.runtime.db.write() as conn:
            await locations_service.ensure(conn, "berlin-dc", "Berlin data centre")
        assert (await create_location(alice, "alices-office")).status_code == 201

        answers = {}
        for slug in ("alices-office", "berlin-dc", "local"):
            response = await create_location(charlie, slug)
            assert response.status_code == 409, response.text
            answers[slug] = response.json()
        # Reserved, the operator's or another account's: the same answer but for the slug.
        assert {body["message"].replace(slug, "X") for slug, body in answers.items()} == {
            NOT_AVAILABLE.format("X")
        }
        assert all(body["error"] == "Conflict" for body in answers.values())

        own = await create_location(alice, "alices-office")
        assert own.status_code == 409
        assert own.json()["message"] == (
            "You already have a private location with the slug 'alices-office'."
        )


async def test_a_private_location_holding_the_default_slug_is_taken_back_at_start(
    database_url: str,
) -> None:
    """A squatter from before slugs were reserved: at the next start `local` becomes the
    operator's and the squatter's agent keys stop working."""
    settings = settings_for(database_url, local_agent=False, default_location="edge-default")
    async with running_vantage(settings, background=False) as vantage:
        squatter = await vantage.persona("squatter")
        async with vantage.runtime.db.write() as conn:
            _, key = await locations_service.create(
                conn, "local", "Mine now", account_id=squatter.account_id
            )
    heartbeat = {"agentId": "a1", "location": "local"}
    async with running_vantage(settings_for(database_url, local_agent=False)) as vantage:
        async with vantage.runtime.db.read() as conn:
            owner = await conn.scalar(
                sa.select(locations.c.account_id).where(locations.c.slug == "local")
            )
            keys_left = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(agent_keys)
                .where(agent_keys.c.location == "local")
            )
        assert owner is None
        assert keys_left == 0
        response = await vantage.client.post(
            "/agent/v1/heartbeat",
            json=heartbeat,
            headers={"Authorization": f"Bearer {key.raw_key}"},
        )
        assert response.status_code == 401
