"""A private status page asks for its viewer key (Checkly's `keys`): its HTML, JSON twin and feed
are locked until the reader types the key, at `/status/{url}` and at its custom domain."""

from __future__ import annotations

from typing import Any

from tests.statuspages.test_api import page, service
from tests.support.harness import Persona


def _body_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The page's answer as a client sends it back: cards name their services by id."""
    cards = [
        {"name": c["name"], "services": [{"id": s["id"]} for s in c["services"]]}
        for c in answer["cards"]
    ]
    fields = ("name", "url", "customDomain", "description", "isPrivate")
    return {k: answer[k] for k in fields} | {"cards": cards}


async def test_a_private_page_asks_for_its_viewer_key(alice: Persona) -> None:
    payments = await service(alice, "Payments API")
    cards = [{"name": "Core", "services": [{"id": payments["id"]}]}]
    body = {"name": "Acme", "url": "acme", "customDomain": "status.acme.example", "cards": cards}
    created = await page(alice, body | {"isPrivate": True})
    [key] = created["keys"]
    raw = key["rawKey"]
    assert key["maskedKey"] != raw and key["maskedKey"].startswith(raw[:4])
    listed = (await alice.get("/v1/status-pages")).json()["entries"][0]
    assert listed["keys"][0]["maskedKey"] == key["maskedKey"]
    # the answer sent back unchanged (as Terraform does) keeps the key
    again = await alice.put(f"/v1/status-pages/{created['id']}", json=_body_of(created))
    assert again.json()["keys"] == [key]

    reader = alice.client  # no API key: what anyone gets
    for path in ("/status/acme", "/status/acme/index.json", "/status/acme/feed.atom"):
        locked = await reader.get(path)
        assert locked.status_code == 401 and "Payments API" not in locked.text, path
    wrong = await reader.post("/status/acme/login", data={"key": "guess"})
    assert wrong.status_code == 401 and "not this page" in wrong.text
    right = await reader.post("/status/acme/login", data={"key": raw})
    assert right.status_code == 303 and right.headers["location"] == "/status/acme"
    cookie = right.headers["set-cookie"]
    assert raw not in cookie and "HttpOnly" in cookie and "Path=/status/acme" in cookie
    reader.cookies.clear()  # sent by hand below, as a browser would
    sent = {"Cookie": cookie.split(";")[0]}
    opened = await reader.get("/status/acme", headers=sent)
    assert opened.status_code == 200 and "Payments API" in opened.text
    assert opened.headers["cache-control"] == "private, no-cache"
    assert (await reader.get("/status/acme/index.json", headers=sent)).status_code == 200

    # at its custom domain too, with the key
    domain = {"Host": "status.acme.example"}
    assert (await reader.get("/", headers=domain)).status_code == 401
    typed = await reader.post("/login", data={"key": raw}, headers=domain)
    assert typed.status_code == 303 and "Path=/" in typed.headers["set-cookie"]
    reader.cookies.clear()
    # a private page takes no subscribers
    answer = await reader.post("/status/acme/subscribe", data={"email": "a@example.com"})
    assert answer.status_code == 404

    public = await alice.put(
        f"/v1/status-pages/{created['id']}", json=_body_of(created) | {"isPrivate": False}
    )
    assert public.json()["keys"] == []
    assert (await reader.get("/status/acme")).status_code == 200


async def test_a_cached_page_made_private_or_deleted_is_not_served_again(alice: Persona) -> None:
    payments = await service(alice, "Payments API")
    cards = [{"name": "Core", "services": [{"id": payments["id"]}]}]
    created = await page(alice, {"name": "Acme", "url": "acme", "cards": cards})
    reader = alice.client
    for path in ("/status/acme", "/status/acme/index.json", "/status/acme/feed.atom"):
        # the second read is answered from the cache, before the framework
        for _ in range(2):
            assert (await reader.get(path)).status_code == 200, path

    await alice.put(
        f"/v1/status-pages/{created['id']}", json=_body_of(created) | {"isPrivate": True}
    )
    for path in ("/status/acme", "/status/acme/index.json", "/status/acme/feed.atom"):
        locked = await reader.get(path)
        assert locked.status_code == 401 and "Payments API" not in locked.text, path

    await alice.put(f"/v1/status-pages/{created['id']}", json=_body_of(created))
    assert (await reader.get("/status/acme")).status_code == 200
    assert (await alice.delete(f"/v1/status-pages/{created['id']}")).status_code == 204
    for path in ("/status/acme", "/status/acme/index.json", "/status/acme/feed.atom"):
        assert (await reader.get(path)).status_code == 404, path


async def test_a_page_created_at_a_url_just_read_as_missing_is_served_at_once(
    alice: Persona,
) -> None:
    """The "no such page" answer is cached like a page; creating the page must forget it."""
    payments = await service(alice, "Payments API")
    cards = [{"name": "Core", "services": [{"id": payments["id"]}]}]
    reader = alice.client
    for _ in range(2):
        assert (await reader.get("/status/fresh")).status_code == 404

    await page(alice, {"name": "Fresh", "url": "fresh", "cards": cards})

    opened = await reader.get("/status/fresh")
    assert opened.status_code == 200 and "Payments API" in opened.text
