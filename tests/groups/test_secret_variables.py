"""Group environment variables marked `secret` are write-only, as at Checkly: their value is
returned as null, and a client that sends back what it read does not erase it. Stored, the value
is sealed (here without a secrets_key: `plain:`; tests/variables/test_sealed_at_rest.py has one)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.support.harness import Harness, Persona
from vantage.db.tables import check_groups
from vantage.sealing import Sealer

SECRET = "S3CRET-ENV-VALUE"


def variables(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["key"]: v for v in body["environmentVariables"]}


async def stored_variables(vantage: Harness, group_id: int) -> dict[str, dict[str, Any]]:
    async with vantage.runtime.db.read() as conn:
        config = await conn.scalar(
            sa.select(check_groups.c.config).where(check_groups.c.id == group_id)
        )
    assert config is not None
    opened = Sealer(None)
    stored = variables(config)
    for variable in stored.values():
        if variable["secret"] and variable["value"] is not None:
            assert variable["value"].startswith("plain:")
            variable["value"] = opened.open(variable["value"])
    return stored


async def create_group(persona: Persona) -> dict[str, Any]:
    response = await persona.post(
        "/v1/check-groups",
        json={
            "name": "env",
            "activated": False,
            "environmentVariables": [
                {"key": "TOKEN", "value": SECRET, "secret": True},
                {"key": "REGION", "value": "eu-west", "locked": True},
            ],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_secret_value_is_never_returned(vantage: Harness, alice: Persona) -> None:
    created = await create_group(alice)
    fetched = await alice.get(f"/v1/check-groups/{created['id']}")
    listed = await alice.get("/v1/check-groups")
    updated = await alice.put(f"/v1/check-groups/{created['id']}", json={"name": "renamed"})

    for response_text in (str(created), fetched.text, listed.text, updated.text):
        assert SECRET not in response_text
    for body in (created, fetched.json(), listed.json()[0], updated.json()):
        assert variables(body)["TOKEN"] == {
            "key": "TOKEN",
            "value": None,
            "locked": False,
            "secret": True,
        }
        # plain variables are returned as they are
        assert variables(body)["REGION"]["value"] == "eu-west"
    assert (await stored_variables(vantage, created["id"]))["TOKEN"]["value"] == SECRET


async def test_sending_back_what_was_read_keeps_the_secret(
    vantage: Harness, alice: Persona
) -> None:
    created = await create_group(alice)
    read = (await alice.get(f"/v1/check-groups/{created['id']}")).json()
    read["name"] = "edited"

    response = await alice.put(f"/v1/check-groups/{created['id']}", json=read)
    assert response.status_code == 200, response.text

    stored = await stored_variables(vantage, created["id"])
    assert stored["TOKEN"]["value"] == SECRET
    assert stored["TOKEN"]["secret"] is True
    assert stored["REGION"]["value"] == "eu-west"


async def test_an_empty_value_keeps_the_secret_and_a_new_value_replaces_it(
    vantage: Harness, alice: Persona
) -> None:
    created = await create_group(alice)
    path = f"/v1/check-groups/{created['id']}"

    await alice.put(path, json={"environmentVariables": [{"key": "TOKEN", "value": ""}]})
    stored = await stored_variables(vantage, created["id"])
    assert stored["TOKEN"] == {"key": "TOKEN", "value": SECRET, "locked": False, "secret": True}
    assert "REGION" not in stored  # the list sent replaces the list stored

    await alice.put(path, json={"environmentVariables": [{"key": "TOKEN", "value": "rotated"}]})
    stored = await stored_variables(vantage, created["id"])
    # a secret stays secret even when the client sends secret: false (omitted here)
    assert stored["TOKEN"] == {"key": "TOKEN", "value": "rotated", "locked": False, "secret": True}
    assert "rotated" not in (await alice.get(path)).text


async def test_another_accounts_secret_cannot_be_taken_over_by_key(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    await create_group(alice)
    response = await charlie.post(
        "/v1/check-groups",
        json={"name": "mine", "activated": False, "environmentVariables": [{"key": "TOKEN"}]},
    )
    assert response.status_code == 201, response.text
    stored = await stored_variables(vantage, response.json()["id"])
    assert stored["TOKEN"]["value"] is None
