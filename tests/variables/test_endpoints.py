"""`/v1/variables`: the account's variables; a duplicate key is a 409, a secret's value is sealed
at rest and never read back."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.db.tables import variables


async def test_a_variable_is_created_read_updated_and_deleted(
    alice: Persona, charlie: Persona
) -> None:
    created = await alice.post("/v1/variables", json={"key": "API_URL", "value": "https://a.test"})
    assert created.status_code == 201
    assert created.json() == {
        "key": "API_URL",
        "value": "https://a.test",
        "locked": False,
        "secret": False,
    }
    duplicate = await alice.post("/v1/variables", json={"key": "API_URL", "value": "x"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "Conflict"
    # Keys are the account's own: another account may use the same one.
    assert (
        await charlie.post("/v1/variables", json={"key": "API_URL", "value": "c"})
    ).status_code == 201
    assert (await alice.get("/v1/variables/API_URL")).json()["value"] == "https://a.test"
    updated = await alice.put(
        "/v1/variables/API_URL", json={"value": "https://b.test", "locked": True}
    )
    assert updated.status_code == 200
    assert updated.json() == {
        "key": "API_URL",
        "value": "https://b.test",
        "locked": True,
        "secret": False,
    }
    listed = await alice.get("/v1/variables")
    assert [v["value"] for v in listed.json()] == ["https://b.test"]
    assert listed.headers["Content-Range"] == "0-0/1"
    assert (await alice.delete("/v1/variables/API_URL")).status_code == 204
    assert (await alice.get("/v1/variables/API_URL")).status_code == 404
    assert (await charlie.get("/v1/variables/API_URL")).json()["value"] == "c"


async def test_a_secret_is_never_read_back_and_stays_secret(alice: Persona) -> None:
    created = await alice.post(
        "/v1/variables", json={"key": "TOKEN", "value": "hunter22", "secret": True}
    )
    assert created.json()["value"] == "hunter22"  # the answer to the request that sent it
    assert (await alice.get("/v1/variables/TOKEN")).json()["value"] is None
    assert (await alice.get("/v1/variables")).json()[0]["value"] is None
    updated = await alice.put("/v1/variables/TOKEN", json={"value": "hunter33", "secret": False})
    assert updated.json()["secret"] is True
    assert (await alice.get("/v1/variables/TOKEN")).json() == {
        "key": "TOKEN",
        "value": None,
        "locked": False,
        "secret": True,
    }


async def test_mistakes_are_400s_naming_the_field(alice: Persona) -> None:
    cases = [
        ({"value": "x"}, "key"),
        ({"key": "", "value": "x"}, "key"),
        ({"key": "K"}, "value"),
        ({"key": "K", "value": 5}, "value"),
        ({"key": "K", "value": "x", "colour": "blue"}, "colour"),
    ]
    for body, key in cases:
        response = await alice.post("/v1/variables", json=body)
        assert response.status_code == 400, body
        assert response.json()["validation"]["keys"] == [key], body
    await alice.post("/v1/variables", json={"key": "K", "value": "x"})
    renamed = await alice.put("/v1/variables/K", json={"key": "L", "value": "x"})
    assert renamed.status_code == 400 and renamed.json()["validation"]["keys"] == ["key"]
    assert (await alice.put("/v1/variables/NOPE", json={"value": "x"})).status_code == 404


async def test_with_a_secrets_key_a_secret_is_sealed_at_rest(database_url: str) -> None:
    settings = settings_for(database_url, secrets_key="operator's key")
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        await alice.post(
            "/v1/variables", json={"key": "TOKEN", "value": "hunter22", "secret": True}
        )
        await alice.post("/v1/variables", json={"key": "PLAIN", "value": "visible"})
        stored = await _stored(harness)
    assert stored["PLAIN"] == "visible"
    assert stored["TOKEN"].startswith("v1:") and "hunter22" not in stored["TOKEN"]


async def _stored(harness: Harness) -> dict[str, str]:
    async with harness.runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(variables.c.key, variables.c.value))).all()
    return {key: value for key, value in rows}
