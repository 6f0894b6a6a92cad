"""`/v1/status-pages`, its services and incidents, as Checkly's clients call them."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Persona


# What Terraform's `checkly_status_page` / the Go SDK send (checkly-go-sdk's StatusPage struct).
def go_page(service_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Foo status page",
        "url": "foo-status-page",
        "cards": [{"name": "Foo card", "services": [{"id": service_id, "name": ""}]}],
        **fields,
    }


async def service(persona: Persona, name: str = "Foo service") -> dict[str, Any]:
    response = await persona.post("/v1/status-pages/services", json={"name": name})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def page(persona: Persona, body: dict[str, Any]) -> dict[str, Any]:
    response = await persona.post("/v1/status-pages", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_service_is_created_read_renamed_and_deleted(alice: Persona) -> None:
    created = await service(alice)
    assert set(created) == {"name", "id", "accountId", "created_at", "updated_at"}
    assert created["accountId"] == alice.account_id
    read = await alice.get(f"/v1/status-pages/services/{created['id']}")
    assert read.json() == created
    renamed = await alice.put(
        f"/v1/status-pages/services/{created['id']}", json=created | {"name": "Bar"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Bar"
    listed = (await alice.get("/v1/status-pages/services")).json()
    assert listed["length"] == 1 and listed["nextId"] is None
    assert (await alice.delete(f"/v1/status-pages/services/{created['id']}")).status_code == 204
    assert (await alice.get(f"/v1/status-pages/services/{created['id']}")).status_code == 404


async def test_a_page_the_go_sdk_sends_reads_back_with_its_cards_and_services(
    alice: Persona,
) -> None:
    foo = await service(alice)
    created = await page(alice, go_page(foo["id"]))
    assert created["defaultTheme"] == "AUTO"
    assert created["cards"][0]["services"][0]["name"] == "Foo service"
    read = (await alice.get(f"/v1/status-pages/{created['id']}")).json()
    assert read == created
    # The Go SDK sends the page it read back with a new name.
    updated = await alice.put(f"/v1/status-pages/{created['id']}", json=read | {"name": "Bar"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Bar"
    assert updated.json()["cards"][0]["id"] == created["cards"][0]["id"]


async def test_a_card_naming_another_accounts_service_is_refused_naming_the_field(
    alice: Persona, charlie: Persona
) -> None:
    theirs = await service(charlie)
    response = await alice.post("/v1/status-pages", json=go_page(theirs["id"]))
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["cards[0].services[0].id"]


async def test_a_taken_url_is_a_conflict_even_across_accounts(
    alice: Persona, charlie: Persona
) -> None:
    await page(alice, go_page((await service(alice))["id"]))
    response = await charlie.post("/v1/status-pages", json=go_page((await service(charlie))["id"]))
    assert response.status_code == 409


async def test_bad_input_is_a_400_naming_the_field(alice: Persona) -> None:
    foo = await service(alice)
    cases = {
        "url": go_page(foo["id"], url="Not A Slug"),
        "customDomain": go_page(foo["id"], customDomain="http://x"),
        "defaultTheme": go_page(foo["id"], defaultTheme="PINK"),
        "surprise": go_page(foo["id"], surprise=1),
    }
    for key, body in cases.items():
        response = await alice.post("/v1/status-pages", json=body)
        assert response.status_code == 400, (key, response.text)
        assert key in response.json()["message"], response.text


async def test_another_accounts_page_is_not_found(alice: Persona, charlie: Persona) -> None:
    created = await page(alice, go_page((await service(alice))["id"]))
    for method in ("get", "delete"):
        response = await getattr(charlie, method)(f"/v1/status-pages/{created['id']}")
        assert response.status_code == 404


async def test_an_incident_takes_its_latest_updates_status_and_resolves(alice: Persona) -> None:
    foo = await service(alice)
    created = await alice.post(
        "/v1/status-pages/incidents",
        json={
            "name": "Slow checkout",
            "severity": "MINOR",
            "services": [{"id": foo["id"]}],
            "incidentUpdates": [{"description": "Looking into it", "status": "INVESTIGATING"}],
        },
    )
    assert created.status_code == 201, created.text
    incident = created.json()
    assert incident["lastUpdateStatus"] == "INVESTIGATING"
    assert incident["services"][0]["name"] == "Foo service"
    assert incident["duration"] is None
    path = f"/v1/status-pages/incidents/{incident['id']}/incident-updates"
    added = await alice.post(path, json={"description": "Fixed", "status": "RESOLVED"})
    assert added.status_code == 200, added.text
    read = (await alice.get(f"/v1/status-pages/incidents/{incident['id']}")).json()
    assert read["lastUpdateStatus"] == "RESOLVED"
    assert read["duration"] is not None
    assert [u["description"] for u in read["incidentUpdates"]] == ["Fixed", "Looking into it"]
    # Deleting the resolution reopens it.
    deleted = await alice.delete(f"{path}/{added.json()['id']}")
    assert deleted.status_code == 204
    read = (await alice.get(f"/v1/status-pages/incidents/{incident['id']}")).json()
    assert read["lastUpdateStatus"] == "INVESTIGATING" and read["duration"] is None
    listed = (await alice.get("/v1/status-pages/incidents")).json()
    assert [e["id"] for e in listed["entries"]] == [incident["id"]]


async def test_an_incident_on_no_service_of_the_account_is_refused(
    alice: Persona, charlie: Persona
) -> None:
    theirs = await service(charlie)
    response = await alice.post(
        "/v1/status-pages/incidents",
        json={
            "name": "x",
            "severity": "MAJOR",
            "services": [{"id": theirs["id"]}],
            "incidentUpdates": [{"description": "y"}],
        },
    )
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["services"]


async def test_bulk_subscriptions_count_the_created_and_the_skipped(alice: Persona) -> None:
    created = await page(alice, go_page((await service(alice))["id"]))
    path = f"/v1/status-pages/{created['id']}/subscriptions"
    body = {
        "subscriptions": [
            {"type": "EMAIL", "config": "a@example.com"},
            {"type": "EMAIL", "config": "A@example.com"},
        ],
        "autoVerify": True,
    }
    response = await alice.post(f"{path}/bulk", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {"created": 1, "skipped": 1, "status": "VERIFIED"}
    [sub] = (await alice.get(path)).json()
    assert sub["address"] == "a@example.com" and sub["status"] == "VERIFIED"
    assert (await alice.delete(f"{path}/{sub['id']}")).status_code == 204
    assert (await alice.get(path)).json() == []
