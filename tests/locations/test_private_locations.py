"""Checkly's private-location API: an account's own run locations, their agent keys, and whether
their agents are alive; other accounts see none of it."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.support.checks import api_check
from tests.support.harness import Persona

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def create(persona: Persona, slug: str = "office-berlin", **fields: Any) -> dict[str, Any]:
    body = {"name": "Office Berlin", "slugName": slug, **fields}
    response = await persona.post("/v1/private-locations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_created_private_location_shows_its_first_key_once(alice: Persona) -> None:
    created = await create(alice, icon="office")
    assert set(created) == {
        "id", "name", "slugName", "icon", "keys", "proxyUrl", "lastSeen", "agentCount", "agents",
        "queue", "created_at", "updated_at",
    }  # fmt: skip
    assert created["slugName"] == "office-berlin"
    assert created["icon"] == "office"
    assert created["agentCount"] == 0
    assert created["lastSeen"] is None
    assert ISO_MS.match(created["created_at"])
    [key] = created["keys"]
    assert key["rawKey"].startswith("vtg_agent_")
    assert key["maskedKey"].startswith("vtg_agent_") and "*" in key["maskedKey"]
    assert key["rawKey"] not in key["maskedKey"]

    read = (await alice.get(f"/v1/private-locations/{created['id']}")).json()
    assert read["keys"] == [{k: v for k, v in key.items() if k != "rawKey"}]
    assert (await alice.get("/v1/private-locations")).json() == [read]


async def test_it_updates_the_name_and_icon_but_never_the_slug(alice: Persona) -> None:
    created = await create(alice)
    path = f"/v1/private-locations/{created['id']}"
    response = await alice.put(path, json={"name": "Berlin HQ", "icon": "building"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Berlin HQ"
    assert response.json()["icon"] == "building"
    assert ISO_MS.match(response.json()["updated_at"])
    response = await alice.put(path, json={"name": "x", "slugName": "elsewhere"})
    assert response.status_code == 400
    assert "slugName" in response.json()["message"]


async def test_bad_bodies_and_taken_slugs_are_refused(alice: Persona, charlie: Persona) -> None:
    response = await alice.post("/v1/private-locations", json={"name": "x", "slugName": "Not OK"})
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["slugName"]
    response = await alice.post("/v1/private-locations", json={"slugName": "ok"})
    assert response.status_code == 400
    await create(alice)
    # Slugs name locations everywhere, so they are unique across accounts (and `local` is taken).
    for slug in ("office-berlin", "local"):
        response = await charlie.post("/v1/private-locations", json={"name": "x", "slugName": slug})
        assert response.status_code == 409, response.text


async def test_another_accounts_private_location_is_a_404(alice: Persona, charlie: Persona) -> None:
    created = await create(alice)
    key_id = created["keys"][0]["id"]
    base = f"/v1/private-locations/{created['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("PUT", base, {"name": "taken"}),
        ("DELETE", base, None),
        ("POST", f"{base}/keys", None),
        ("DELETE", f"{base}/keys/{key_id}", None),
        ("GET", "/v1/private-locations/not-a-uuid", None),
    ]:
        response = await charlie.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "Not Found"
    assert (await charlie.get("/v1/private-locations")).json() == []
    assert (await alice.get(base)).json()["name"] == "Office Berlin"


async def test_keys_are_added_and_revoked(alice: Persona) -> None:
    created = await create(alice)
    base = f"/v1/private-locations/{created['id']}"
    response = await alice.post(f"{base}/keys")
    assert response.status_code == 201
    second = response.json()
    assert second["rawKey"].startswith("vtg_agent_")
    assert len((await alice.get(base)).json()["keys"]) == 2

    assert (await alice.delete(f"{base}/keys/{second['id']}")).status_code == 204
    assert (await alice.delete(f"{base}/keys/{second['id']}")).status_code == 404
    assert [k["id"] for k in (await alice.get(base)).json()["keys"]] == [created["keys"][0]["id"]]
    # A revoked key no longer opens the agent API.
    response = await alice.client.post(
        "/agent/v1/heartbeat",
        json={"agentId": "a1"},
        headers={"Authorization": f"Bearer {second['rawKey']}"},
    )
    assert response.status_code == 401


async def test_a_heartbeat_shows_as_last_seen_and_agent_count(alice: Persona) -> None:
    created = await create(alice)
    key = created["keys"][0]["rawKey"]
    for agent_id in ("a1", "a2"):
        response = await alice.client.post(
            "/agent/v1/heartbeat",
            json={"agentId": agent_id, "location": "office-berlin"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
    read = (await alice.get(f"/v1/private-locations/{created['id']}")).json()
    assert read["agentCount"] == 2
    assert ISO_MS.match(read["lastSeen"])


async def test_checks_run_in_their_accounts_private_locations_only(
    alice: Persona, charlie: Persona
) -> None:
    await create(alice)
    url = "http://127.0.0.1:9/ok"
    for field in ("locations", "privateLocations"):
        response = await alice.post(
            "/v1/checks/api", json=api_check(url, **{field: ["office-berlin"]})
        )
        assert response.status_code == 201, response.text
        response = await charlie.post(
            "/v1/checks/api", json=api_check(url, **{field: ["office-berlin"]})
        )
        assert response.status_code == 400, response.text
        assert f"{field}[0]" in response.json()["validation"]["keys"]


async def test_v1_locations_lists_the_operators_and_the_accounts_own(
    alice: Persona, charlie: Persona
) -> None:
    await create(alice)
    mine = (await alice.get("/v1/locations")).json()
    theirs = (await charlie.get("/v1/locations")).json()
    assert {"region": "local", "name": "Local (embedded agent)"} in mine
    assert {"region": "office-berlin", "name": "Office Berlin"} in mine
    assert [loc["region"] for loc in theirs] == ["local"]


async def test_a_location_in_use_cannot_be_deleted(alice: Persona) -> None:
    created = await create(alice)
    check = await alice.post(
        "/v1/checks/api",
        json=api_check(
            "http://127.0.0.1:9/ok", name="Berlin API", privateLocations=["office-berlin"]
        ),
    )
    path = f"/v1/private-locations/{created['id']}"
    response = await alice.delete(path)
    assert response.status_code == 409
    assert "Berlin API" in response.json()["message"]

    assert (await alice.delete(f"/v1/checks/{check.json()['id']}")).status_code == 204
    assert (await alice.delete(path)).status_code == 204
    assert (await alice.get(path)).status_code == 404
    assert (await alice.get("/v1/private-locations")).json() == []


async def test_a_proxy_url_is_kept_and_reaches_the_locations_http_jobs(alice: Persona) -> None:
    proxy = "http://probe:pw@10.0.0.1:3128"
    created = await create(alice, proxyUrl=proxy)
    assert created["proxyUrl"] == proxy
    path = f"/v1/private-locations/{created['id']}"
    assert (await alice.get(path)).json()["proxyUrl"] == proxy
    too_long = f"http://probe:{'p' * 1500}@10.0.0.1:3128"  # sealed, it would not fit its column
    for bad in ("socks5://10.0.0.1:1080", "http://", "https://", "not a url", too_long):
        response = await alice.put(path, json={"name": "Office", "proxyUrl": bad})
        assert response.status_code == 400, bad
        assert response.json()["validation"]["keys"] == ["proxyUrl"], bad

    check = await alice.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/ok", locations=["office-berlin"])
    )
    started = await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert started.status_code == 201, started.text
    leased = await alice.client.post(
        "/agent/v1/lease",
        json={"agentId": "a1", "location": "office-berlin", "max": 5},
        headers={"Authorization": f"Bearer {created['keys'][0]['rawKey']}"},
    )
    [job] = leased.json()["jobs"]
    assert job["config"]["locationProxyUrl"] == proxy

    # an HTTPS proxy (TLS to the proxy itself), as in Checkly's example
    tls_proxy = "https://user:password@164.92.149.127:3128"
    response = await alice.put(path, json={"name": "Office", "proxyUrl": tls_proxy})
    assert response.status_code == 200 and response.json()["proxyUrl"] == tls_proxy
    response = await alice.put(path, json={"name": "Office", "proxyUrl": proxy})

    # a PUT without it removes it (Checkly's update body is the whole location)
    cleared = await alice.put(path, json={"name": "Office"})
    assert cleared.status_code == 200 and cleared.json()["proxyUrl"] is None


async def test_metrics_sample_the_queue_now_and_stay_in_the_account(
    alice: Persona, charlie: Persona
) -> None:
    created = await create(alice)
    check = await alice.post(
        "/v1/checks/api", json=api_check("http://127.0.0.1:9/ok", locations=["office-berlin"])
    )
    await alice.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    path = f"/v1/private-locations/{created['id']}/metrics"
    now = int(time.time())
    metrics = await alice.get(path, params={"from": now - 3600, "to": now + 60})
    assert metrics.status_code == 200, metrics.text
    body = metrics.json()
    assert body["queueSize"] == [1] and len(body["timestamps"]) == 1
    assert ISO_MS.match(body["timestamps"][0])
    assert body["oldestScheduledCheckRun"][0] >= 0
    # a window that does not hold now has no sample; too old a start is a 400
    past = await alice.get(path, params={"from": now - 7200, "to": now - 3600})
    assert past.json() == {"timestamps": [], "queueSize": [], "oldestScheduledCheckRun": []}
    old = await alice.get(path, params={"from": now - 16 * 86400, "to": now})
    assert old.status_code == 400 and old.json()["validation"]["keys"] == ["from"]
    assert (await alice.get(path, params={"to": now})).status_code == 400
    other = await charlie.get(path, params={"from": now - 60, "to": now})
    assert other.status_code == 404
