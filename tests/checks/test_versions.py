"""`GET /v2/checks[/{id}]` and `/v3/checks[/{id}]`: the `/v1` check with its project bindings, and
on `/v3` its intent as typed constraints (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.projects.support import PROJECT, api_check, body, deployed, physical
from tests.support.harness import Persona

URL = "http://127.0.0.1:9/ok"
INTENT = {"goal": "Orders go through", "requiredOutcomes": ["200"], "mustPreserve": ["auth"]}
UNBOUND: dict[str, Any] = {"owner": None, "references": []}


async def made(persona: Persona, **fields: Any) -> dict[str, Any]:
    sent = {"name": "Orders", "request": {"method": "GET", "url": URL}, "locations": ["local"]}
    response = await persona.post("/v1/checks/api", json={**sent, **fields})
    assert response.status_code == 201, response.text
    check: dict[str, Any] = response.json()
    return check


async def test_v2_is_v1_with_project_bindings(alice: Persona) -> None:
    check = await made(alice, intent=INTENT)

    one = await alice.get(f"/v2/checks/{check['id']}")
    listed = await alice.get("/v2/checks")

    assert one.status_code == listed.status_code == 200
    assert one.json() == {**check, "projectBindings": UNBOUND}
    assert listed.json() == [one.json()]
    assert listed.headers["Content-Range"] == "0-0/1"


async def test_v3_gives_the_intent_as_constraints(alice: Persona) -> None:
    check = await made(alice, intent=INTENT)
    bare = await made(alice, name="No intent")

    one = await alice.get(f"/v3/checks/{check['id']}")
    listed = await alice.get("/v3/checks", params={"search": "No intent"})

    assert one.status_code == 200, one.text
    assert one.json()["intent"] == {
        "goal": "Orders go through",
        "constraints": [
            {"type": "REQUIRED_OUTCOME", "statement": "200"},
            {"type": "MUST_PRESERVE", "statement": "auth"},
        ],
    }
    assert {k: v for k, v in one.json().items() if k != "intent"} == {
        **{k: v for k, v in check.items() if k != "intent"},
        "projectBindings": UNBOUND,
    }
    assert listed.json() == [{**bare, "projectBindings": UNBOUND}]


async def test_a_deployed_check_is_bound_to_its_project(alice: Persona) -> None:
    deployment = await deployed(alice, body(api_check("home", "Home page", URL)))
    check_id = physical(deployment["result"]["diff"])["home"]

    for version in ("v2", "v3"):
        got = (await alice.get(f"/{version}/checks/{check_id}")).json()
        owner = got["projectBindings"]["owner"]
        assert owner["project"]["logicalId"] == PROJECT["logicalId"]
        assert owner["project"]["name"] == PROJECT["name"]
        assert owner["binding"] == {"logicalId": "home", "pending": False}
        assert got["projectBindings"]["references"] == []


async def test_another_accounts_check_is_a_404_and_absent_from_the_list(
    alice: Persona, charlie: Persona
) -> None:
    check = await made(alice)

    for version in ("v2", "v3"):
        for check_id in (check["id"], str(uuid.uuid4())):
            response = await charlie.get(f"/{version}/checks/{check_id}")
            assert response.status_code == 404, (version, check_id)
            assert response.json()["message"] == "No such check."
        assert (await charlie.get(f"/{version}/checks")).json() == []


async def test_a_bad_query_is_a_400_naming_the_parameter(alice: Persona) -> None:
    for version in ("v2", "v3"):
        for params, key in (({"limit": 0}, "limit"), ({"status": "sleepy"}, "status")):
            response = await alice.get(f"/{version}/checks", params=params)
            assert response.status_code == 400, (version, params)
            assert response.json()["validation"]["keys"] == [key]
