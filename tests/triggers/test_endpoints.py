"""Trigger tokens: one per check or group, read back by Checkly's clients, and the unauthenticated
URL they open starts sessions like `POST /v1/check-sessions/trigger`."""

from __future__ import annotations

from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.support.sessions import create
from tests.targets.http_target import HttpTarget


async def test_a_check_trigger_is_created_once_read_and_deleted(
    alice: Persona, charlie: Persona
) -> None:
    check_id = await create(alice, api_check("https://example.test/"))
    created = await alice.post(f"/v1/triggers/checks/{check_id}")
    assert created.status_code == 201
    token = created.json()
    assert token["checkId"] == check_id and len(token["token"]) >= 20
    assert token["called_at"] is None and isinstance(token["id"], int)
    again = await alice.post(f"/v1/triggers/checks/{check_id}")
    assert again.status_code == 200 and again.json()["token"] == token["token"]
    assert (await alice.get(f"/v1/triggers/checks/{check_id}")).json() == token
    # Another account sees neither the check nor its token.
    assert (await charlie.get(f"/v1/triggers/checks/{check_id}")).status_code == 404
    assert (await charlie.post(f"/v1/triggers/checks/{check_id}")).status_code == 404
    assert (await alice.delete(f"/v1/triggers/checks/{check_id}")).status_code == 204
    assert (await alice.get(f"/v1/triggers/checks/{check_id}")).status_code == 404


async def test_the_trigger_url_runs_the_check_without_an_api_key(
    alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, api_check(f"{http_target.base_url}/ok"))
    token = (await alice.post(f"/v1/triggers/checks/{check_id}")).json()["token"]

    fired = await alice.client.post(f"/checks/{check_id}/trigger/{token}")

    assert fired.status_code == 200, fired.text
    [session_id] = fired.json()["checkSessionIds"]
    done = await alice.get(
        f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
    )
    assert done.json()["status"] == "PASSED"
    assert done.json()["runSource"] == "TRIGGER_API"
    assert (await alice.get(f"/v1/triggers/checks/{check_id}")).json()["called_at"] is not None
    # A wrong token, or the right one on another check, opens nothing.
    assert (await alice.client.get(f"/checks/{check_id}/trigger/nope")).status_code == 404
    other = await create(alice, api_check(f"{http_target.base_url}/ok"))
    assert (await alice.client.get(f"/checks/{other}/trigger/{token}")).status_code == 404


async def test_a_group_trigger_runs_each_activated_check_of_the_group(
    alice: Persona, http_target: HttpTarget
) -> None:
    group = (await alice.post("/v1/check-groups", json={"name": "g"})).json()
    first = await create(alice, api_check(f"{http_target.base_url}/ok", groupId=group["id"]))
    await create(
        alice, api_check(f"{http_target.base_url}/ok", groupId=group["id"], activated=False)
    )
    await create(alice, api_check(f"{http_target.base_url}/ok"))
    created = await alice.post(f"/v1/triggers/check-groups/{group['id']}")
    assert created.status_code == 201 and created.json()["groupId"] == group["id"]

    fired = await alice.client.get(f"/check-groups/{group['id']}/trigger/{created.json()['token']}")

    assert fired.status_code == 200
    [session_id] = fired.json()["checkSessionIds"]
    session = (await alice.get(f"/v2/check-sessions/{session_id}")).json()
    assert session["checkId"] == first
    assert (await alice.delete(f"/v1/triggers/check-groups/{group['id']}")).status_code == 204


async def test_deleting_a_check_deletes_its_trigger(alice: Persona) -> None:
    check_id = await create(alice, api_check("https://example.test/"))
    token = (await alice.post(f"/v1/triggers/checks/{check_id}")).json()["token"]
    assert (await alice.delete(f"/v1/checks/{check_id}")).status_code == 204
    assert (await alice.client.get(f"/checks/{check_id}/trigger/{token}")).status_code == 404
