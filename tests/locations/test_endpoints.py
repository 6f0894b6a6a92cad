"""`/v1/locations`: where checks can run, in Checkly's `{region, name}` shape."""

from __future__ import annotations

from tests.support.harness import Harness, Persona
from vantage.locations import service as locations


async def test_it_lists_the_embedded_agents_location(alice: Persona) -> None:
    response = await alice.get("/v1/locations")
    assert response.status_code == 200
    body = response.json()
    assert {"region": "local", "name": body[0]["name"]} in body
    assert all(set(location) == {"region", "name"} for location in body)
    assert all(isinstance(location["name"], str) and location["name"] for location in body)


async def test_it_lists_a_location_the_operator_added(vantage: Harness, alice: Persona) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "berlin-dc", "Berlin data centre")
        await locations.ensure(conn, "berlin-dc", "Ignored: it exists")
    body = (await alice.get("/v1/locations")).json()
    assert {"region": "berlin-dc", "name": "Berlin data centre"} in body
    assert [loc["region"] for loc in body].count("berlin-dc") == 1
    assert "local" in [loc["region"] for loc in body]


async def test_a_check_may_run_in_a_listed_location(vantage: Harness, alice: Persona) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "berlin-dc", "Berlin data centre")
    payload = {
        "name": "Berlin",
        "locations": ["berlin-dc", "local"],
        "request": {"method": "GET", "url": "https://example.test/"},
    }
    response = await alice.post("/v1/checks/api", json=payload)
    assert response.status_code == 201, response.text
    assert response.json()["locations"] == ["berlin-dc", "local"]
