"""`vantage locations`: the operator creates locations and agent keys from the command line."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.cli import vantage
from tests.support.harness import running_vantage, settings_for
from vantage.accounts.keys import hash_key
from vantage.db.engine import Database
from vantage.db.tables import agent_keys, locations

pytestmark = pytest.mark.e2e


async def stored_keys(database_url: str) -> list[tuple[str, str]]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            rows = await conn.execute(sa.select(agent_keys.c.location, agent_keys.c.key_hash))
            return [(r.location, r.key_hash) for r in rows]
    finally:
        await db.dispose()


async def test_create_prints_the_locations_agent_key_once_and_stores_only_its_hash(
    database_url: str,
) -> None:
    done = vantage(
        "locations", "create", "office-berlin", "--name", "Office Berlin", "--json",
        "--database-url", database_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["slug"] == "office-berlin"
    assert printed["agentKey"].startswith("vtg_agent_")
    assert await stored_keys(database_url) == [("office-berlin", hash_key(printed["agentKey"]))]

    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            row = (await conn.execute(sa.select(locations))).one()
    finally:
        await db.dispose()
    assert (row.slug, row.name, row.account_id) == ("office-berlin", "Office Berlin", None)

    listed = vantage("locations", "list", "--json", "--database-url", database_url)
    assert json.loads(listed.stdout) == [
        {
            "region": "office-berlin",
            "name": "Office Berlin",
            "agents": [],
            "queue": {"waiting": 0, "running": 0, "lagSeconds": 0.0},
        }
    ]


async def test_list_shows_each_locations_agents_last_heartbeat_and_queue(
    database_url: str,
) -> None:
    created = vantage(
        "locations", "create", "edge", "--name", "Edge", "--json", "--database-url", database_url
    )  # fmt: skip
    key = json.loads(created.stdout)["agentKey"]
    async with running_vantage(settings_for(database_url), background=False) as server:
        beat = await server.client.post(
            "/agent/v1/heartbeat",
            json={"agentId": "edge-1"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert beat.status_code == 200, beat.text
        alice = await server.persona("alice")
        check = await alice.post(
            "/v1/checks/api",
            json={
                "name": "c",
                "locations": ["edge"],
                "request": {"method": "GET", "url": "http://x"},
            },
        )
        assert check.status_code == 201, check.text
        await alice.post("/v2/check-sessions/trigger", json={})

    listed = vantage("locations", "list", "--json", "--database-url", database_url)
    [edge] = [location for location in json.loads(listed.stdout) if location["region"] == "edge"]
    assert [(a["agentId"], a["alive"]) for a in edge["agents"]] == [("edge-1", True)]
    assert edge["queue"]["waiting"] == 1

    text = vantage("locations", "list", "--database-url", database_url)
    [line] = [line for line in text.stdout.splitlines() if line.startswith("edge\t")]
    assert "agents: 1 alive" in line
    assert f"last heartbeat: {edge['agents'][0]['lastSeen']}" in line
    assert "waiting: 1, running: 0, lag: " in line
    assert "hint" not in line  # edge-1 is alive


async def test_list_hints_at_a_location_without_a_live_agent(database_url: str) -> None:
    vantage("locations", "create", "edge", "--name", "Edge", "--database-url", database_url)
    text = vantage("locations", "list", "--database-url", database_url)
    [line] = [line for line in text.stdout.splitlines() if line.startswith("edge\t")]
    assert "agents: 0 alive" in line
    assert line.endswith(
        "hint: no live agent (ERR_NO_LIVE_AGENT), its runs wait: "
        "start `vantage agent --location edge`"
    )


async def test_key_adds_another_key_to_an_existing_location(database_url: str) -> None:
    first = vantage("locations", "create", "edge", "--name", "Edge", "--database-url", database_url)
    assert first.returncode == 0, first.stderr
    assert "vtg_agent_" in first.stdout
    assert "shown only once" in first.stderr
    second = vantage("locations", "key", "edge", "--json", "--database-url", database_url)
    assert second.returncode == 0, second.stderr
    key = json.loads(second.stdout)["agentKey"]
    stored = await stored_keys(database_url)
    assert len(stored) == 2
    assert ("edge", hash_key(key)) in stored


async def test_a_taken_slug_a_bad_slug_and_an_unknown_location_are_one_line_errors(
    database_url: str,
) -> None:
    assert (
        vantage(
            "locations", "create", "edge", "--name", "Edge", "--database-url", database_url
        ).returncode
        == 0
    )
    for args, message in [
        (("create", "edge", "--name", "Again"), "already exists"),
        (("create", "Not_A_Slug", "--name", "x"), "not a valid location slug"),
        (("key", "nowhere"), "No location 'nowhere'"),
    ]:
        done = vantage("locations", *args, "--database-url", database_url)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error: "), done.stderr
        assert message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


async def heartbeat(client: Any, slug: str, key: str) -> int:
    response = await client.post(
        "/agent/v1/heartbeat",
        json={"agentId": "agent-1", "location": slug},
        headers={"Authorization": f"Bearer {key}"},
    )
    status: int = response.status_code
    return status


async def test_keys_of_a_location_are_listed_masked_and_a_revoked_one_is_refused_soon(
    database_url: str,
) -> None:
    async with running_vantage(settings_for(database_url), background=False) as server:
        # The CLI is another process: the server trusts a key it has read for
        # agent_key_cache_seconds (tests/locations/test_agent_key_cache.py), on the test's clock.
        clock = [1000.0]
        server.runtime.agent_keys.clock = lambda: clock[0]
        created = vantage(
            "locations", "create", "edge", "--name", "Edge", "--json",
            "--database-url", database_url,
        )  # fmt: skip
        first = json.loads(created.stdout)["agentKey"]
        second = json.loads(
            vantage("locations", "key", "edge", "--json", "--database-url", database_url).stdout
        )["agentKey"]

        done = vantage(
            "locations", "keys", "list", "edge", "--json", "--database-url", database_url
        )
        assert done.returncode == 0, done.stderr
        keys = json.loads(done.stdout)
        assert [set(k) for k in keys] == [{"id", "maskedKey", "created_at"}] * 2
        assert first not in done.stdout and second not in done.stdout
        assert [k["maskedKey"][-4:] for k in keys] == [first[-4:], second[-4:]]

        assert await heartbeat(server.client, "edge", first) == 200
        done = vantage(
            "locations", "keys", "revoke", "edge", keys[0]["id"], "--database-url", database_url
        )
        assert done.returncode == 0, done.stderr
        clock[0] += server.runtime.settings.agent_key_cache_seconds
        assert await heartbeat(server.client, "edge", first) == 401
        assert await heartbeat(server.client, "edge", second) == 200
        listed = vantage("locations", "keys", "list", "edge", "--database-url", database_url)
        assert keys[0]["id"] not in listed.stdout and keys[1]["id"] in listed.stdout


async def test_revoking_an_unknown_key_or_an_accounts_location_is_a_one_line_error(
    database_url: str,
) -> None:
    async with running_vantage(settings_for(database_url), background=False) as server:
        alice = await server.persona("alice")
        made = await alice.post(
            "/v1/private-locations", json={"name": "Lab", "slugName": "alice-lab"}
        )
        assert made.status_code == 201, made.text
        private_key_id = made.json()["keys"][0]["id"]
        vantage("locations", "create", "edge", "--name", "Edge", "--database-url", database_url)
        for args, message in [
            (("revoke", "edge", "no-such-id"), "No agent key 'no-such-id'"),
            (("revoke", "nowhere", "x"), "No location 'nowhere'"),
            (("list", "nowhere"), "No location 'nowhere'"),
            # an account's private location is managed by the account, through the API
            (("revoke", "alice-lab", private_key_id), "No location 'alice-lab'"),
            (("list", "alice-lab"), "No location 'alice-lab'"),
        ]:
            done = vantage("locations", "keys", *args, "--database-url", database_url)
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            assert done.stdout == ""
            assert done.stderr.startswith("error: "), done.stderr
            assert message in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1
