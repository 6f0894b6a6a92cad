"""A replica remembers what an agent key opens for `agent_key_cache_seconds`, so that an agent's
calls do not read their key each time: a key revoked on this replica is still refused at once, and
one revoked elsewhere (another replica, the CLI) once those seconds have passed.

The cache's clock is the test's: it stands still unless a test moves it, so "at once" means before
any cached key could have expired."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.db.tables import agent_keys
from vantage.locations.keys import AgentKeyCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stopped_clock(vantage: Harness) -> Clock:
    clock = Clock()
    vantage.runtime.agent_keys.clock = clock
    return clock


async def private_location(persona: Persona, slug: str = "office-berlin") -> dict[str, Any]:
    response = await persona.post("/v1/private-locations", json={"name": "Lab", "slugName": slug})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def heartbeat(persona: Persona, key: str) -> int:
    response = await persona.client.post(
        "/agent/v1/heartbeat",
        json={"agentId": "a1"},
        headers={"Authorization": f"Bearer {key}"},
    )
    status: int = response.status_code
    return status


async def revoke_as_another_replica(vantage: Harness, key_id: str) -> None:
    """The row goes as another replica (or the CLI) deletes it: this process is not told."""
    async with vantage.runtime.db.write() as conn:
        await conn.execute(agent_keys.delete().where(agent_keys.c.id == key_id))


async def test_a_key_revoked_through_the_api_is_refused_at_once_though_it_was_cached(
    vantage: Harness, alice: Persona
) -> None:
    stopped_clock(vantage)
    created = await private_location(alice)
    [key] = created["keys"]
    assert await heartbeat(alice, key["rawKey"]) == 200  # now cached

    path = f"/v1/private-locations/{created['id']}/keys/{key['id']}"
    assert (await alice.delete(path)).status_code == 204
    assert await heartbeat(alice, key["rawKey"]) == 401


async def test_the_keys_of_a_deleted_location_are_refused_at_once(
    vantage: Harness, alice: Persona
) -> None:
    stopped_clock(vantage)
    created = await private_location(alice)
    raw = created["keys"][0]["rawKey"]
    assert await heartbeat(alice, raw) == 200

    assert (await alice.delete(f"/v1/private-locations/{created['id']}")).status_code == 204
    assert await heartbeat(alice, raw) == 401


async def test_a_revocation_forgets_every_cached_key_not_only_its_own(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    stopped_clock(vantage)
    mine = await private_location(alice)
    theirs = await private_location(charlie, "charlies-lab")
    assert await heartbeat(charlie, theirs["keys"][0]["rawKey"]) == 200
    # charlie's key goes as another replica would delete it: unseen here, so still trusted ...
    await revoke_as_another_replica(vantage, theirs["keys"][0]["id"])
    assert await heartbeat(charlie, theirs["keys"][0]["rawKey"]) == 200

    # ... until this replica revokes a key of its own and reads every key again.
    path = f"/v1/private-locations/{mine['id']}/keys/{mine['keys'][0]['id']}"
    assert (await alice.delete(path)).status_code == 204
    assert await heartbeat(charlie, theirs["keys"][0]["rawKey"]) == 401


async def test_a_key_revoked_elsewhere_works_here_until_the_cache_seconds_pass(
    vantage: Harness, alice: Persona
) -> None:
    clock = stopped_clock(vantage)
    seconds = vantage.runtime.settings.agent_key_cache_seconds
    created = await private_location(alice)
    [key] = created["keys"]
    assert await heartbeat(alice, key["rawKey"]) == 200

    await revoke_as_another_replica(vantage, key["id"])
    clock.now += seconds * 0.9
    assert await heartbeat(alice, key["rawKey"]) == 200
    clock.now += seconds * 0.2
    assert await heartbeat(alice, key["rawKey"]) == 401


async def test_a_key_read_again_is_trusted_for_the_cache_seconds_from_that_read(
    vantage: Harness, alice: Persona
) -> None:
    clock = stopped_clock(vantage)
    seconds = vantage.runtime.settings.agent_key_cache_seconds
    created = await private_location(alice)
    [key] = created["keys"]
    assert await heartbeat(alice, key["rawKey"]) == 200
    clock.now += seconds * 1.5  # expired: the next call reads the key again
    assert await heartbeat(alice, key["rawKey"]) == 200

    await revoke_as_another_replica(vantage, key["id"])
    clock.now += seconds * 0.9
    assert await heartbeat(alice, key["rawKey"]) == 200
    clock.now += seconds * 0.2
    assert await heartbeat(alice, key["rawKey"]) == 401


async def test_with_no_cache_seconds_every_call_reads_its_key(database_url: str) -> None:
    settings = settings_for(database_url, agent_key_cache_seconds=0)
    async with running_vantage(settings) as vantage:
        stopped_clock(vantage)
        alice = await vantage.persona("alice")
        created = await private_location(alice)
        [key] = created["keys"]
        assert await heartbeat(alice, key["rawKey"]) == 200
        await revoke_as_another_replica(vantage, key["id"])
        assert await heartbeat(alice, key["rawKey"]) == 401


async def test_unknown_keys_and_api_keys_are_refused_and_not_remembered(
    vantage: Harness, alice: Persona
) -> None:
    cache: AgentKeyCache = vantage.runtime.agent_keys
    stopped_clock(vantage)
    assert await heartbeat(alice, "vtg_agent_" + "x" * 43) == 401
    assert await heartbeat(alice, alice.api_key) == 401
    assert cache._known == {}
