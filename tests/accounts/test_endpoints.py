"""`GET /v1/accounts` and `/v1/accounts/{id}`: a key sees its own account, and no other (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid

from tests.support.harness import Persona


async def test_the_list_is_the_keys_one_account_as_its_id_gives_it(alice: Persona) -> None:
    listed = await alice.get("/v1/accounts")
    one = await alice.get(f"/v1/accounts/{alice.account_id}")
    me = await alice.get("/v1/accounts/me")

    assert listed.status_code == one.status_code == 200
    assert listed.json() == [one.json()]
    assert one.json() == me.json()
    assert one.json()["id"] == alice.account_id
    assert {"name", "runtimeId", "plan", "settings", "alertSettings"} <= set(one.json())


async def test_another_account_or_no_account_is_a_404(alice: Persona, charlie: Persona) -> None:
    for account_id in (charlie.account_id, str(uuid.uuid4()), "not-an-id"):
        response = await alice.get(f"/v1/accounts/{account_id}")
        assert response.status_code == 404, account_id
        assert response.json()["message"] == "No such account."
