"""`/v1/snippets`: created, listed, read, updated and deleted as Checkly's Go client does it
(read-only keys echoed back), in the account's own space; mistakes are 400s naming the field."""

from __future__ import annotations

from tests.support.harness import Persona

GO_SDK_ZERO_TIME = "0001-01-01T00:00:00Z"


async def test_a_snippet_round_trips_as_the_go_sdk_sends_it(
    alice: Persona, charlie: Persona
) -> None:
    sent = {
        "id": 0,
        "name": "auth",
        "script": "request.headers['X-Token'] = 'x'",
        "createdAt": GO_SDK_ZERO_TIME,
        "updatedAt": GO_SDK_ZERO_TIME,
    }
    created = await alice.post("/v1/snippets", json=sent)
    assert created.status_code == 201, created.text
    snippet = created.json()
    assert snippet["name"] == "auth" and snippet["script"] == sent["script"]
    assert snippet["id"] >= 1 and snippet["created_at"].endswith("Z")
    assert snippet["updated_at"] is None
    path = f"/v1/snippets/{snippet['id']}"
    assert (await alice.get(path)).json() == snippet
    listed = await alice.get("/v1/snippets")
    assert listed.json() == [snippet] and listed.headers["content-range"] == "0-0/1"

    updated = await alice.put(path, json={**snippet, "script": "// v2"})
    assert updated.status_code == 200 and updated.json()["script"] == "// v2"
    assert updated.json()["updated_at"] is not None

    assert (await charlie.get(path)).status_code == 404
    assert (await charlie.put(path, json={"name": "x", "script": "y"})).status_code == 404
    assert (await charlie.delete(path)).status_code == 404
    assert (await charlie.get("/v1/snippets")).json() == []

    assert (await alice.delete(path)).status_code == 204
    assert (await alice.get(path)).status_code == 404


async def test_mistakes_are_400s_naming_the_field(alice: Persona) -> None:
    for body, key in (
        ({"script": "x"}, "name"),
        ({"name": "n", "script": ""}, "script"),
        ({"name": "n", "script": 5}, "script"),
        ({"name": "n", "script": "x", "language": "js"}, "language"),
    ):
        response = await alice.post("/v1/snippets", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["validation"]["keys"] == [key], body
