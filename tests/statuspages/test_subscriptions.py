"""Email subscriptions through a real SMTP server (aiosmtpd on loopback): double opt-in, incident
updates to verified subscribers only, and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx2

from tests.alerting.test_email import Mailbox
from tests.statuspages.test_api import page, service
from tests.support.harness import BASE, Harness, Persona, running_vantage, settings_for
from vantage.app import create_app

PUBLIC = "https://status.vantage.example"


async def mail(box: Mailbox, count: int, timeout: float = 20.0) -> list[EmailMessage]:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(box.messages) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{len(box.messages)} mails, expected {count}")
        await asyncio.sleep(0.02)
    return box.messages


def text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def link(message: EmailMessage, kind: str) -> str:
    found = re.search(
        rf"{re.escape(PUBLIC)}(/status/\S+/subscriptions/{kind}\?token=\S+)", text(message)
    )
    assert found, text(message)
    return found.group(1)


async def incident(persona: Persona, service_id: str, notify: bool) -> dict[str, object]:
    response = await persona.post(
        "/v1/status-pages/incidents",
        json={
            "name": "Checkout is down",
            "severity": "MAJOR",
            "services": [{"id": service_id}],
            "incidentUpdates": [
                {"description": "We are on it", "status": "IDENTIFIED", "notifySubscribers": notify}
            ],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_subscriber_confirms_gets_updates_and_unsubscribes_with_one_click(
    alice: Persona, mailbox: Mailbox
) -> None:
    checkout = await service(alice, "Checkout")
    created = await page(
        alice,
        {
            "name": "Shop",
            "url": "shop",
            "cards": [{"name": "Shop", "services": [{"id": checkout["id"]}]}],
        },
    )
    client = alice.client
    answer = await client.post("/status/shop/subscribe", data={"email": "Reader@Example.com"})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    [confirmation] = await mail(mailbox, 1)
    assert confirmation["To"] == "reader@example.com"
    assert "List-Unsubscribe" not in confirmation

    # Not confirmed yet: an update reaches nobody.
    await incident(alice, checkout["id"], notify=True)
    [sub] = (await alice.get(f"/v1/status-pages/{created['id']}/subscriptions")).json()
    assert sub["status"] == "PENDING"

    confirmed = await client.get(link(confirmation, "confirm"))
    assert confirmed.status_code == 200 and "Subscribed" in confirmed.text
    [sub] = (await alice.get(f"/v1/status-pages/{created['id']}/subscriptions")).json()
    assert sub["status"] == "VERIFIED"

    await incident(alice, checkout["id"], notify=True)
    await incident(alice, checkout["id"], notify=False)
    messages = await mail(mailbox, 2)
    await asyncio.sleep(0.3)  # the un-notified incident must not follow
    assert len(mailbox.messages) == 2
    update = messages[1]
    assert update["Subject"] == "[Shop] Checkout is down: Identified"
    assert "We are on it" in text(update)
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = update["List-Unsubscribe"].strip("<>")
    assert one_click.startswith(PUBLIC)

    # The link in the mail shows a button and changes nothing; the mail client's POST does it.
    path = urlsplit(one_click)
    shown = await client.get(f"{path.path}?{path.query}")
    assert shown.status_code == 200 and "Unsubscribe" in shown.text
    assert len((await alice.get(f"/v1/status-pages/{created['id']}/subscriptions")).json()) == 1
    gone = await client.post(
        f"{path.path}?{path.query}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert gone.status_code == 200 and "Unsubscribed" in gone.text
    assert (await alice.get(f"/v1/status-pages/{created['id']}/subscriptions")).json() == []


async def test_subscribing_twice_says_the_same_and_sends_one_confirmation(
    alice: Persona, mailbox: Mailbox
) -> None:
    checkout = await service(alice, "Checkout")
    await page(
        alice,
        {
            "name": "Shop",
            "url": "shop",
            "cards": [{"name": "Shop", "services": [{"id": checkout["id"]}]}],
        },
    )
    first = await alice.client.post("/status/shop/subscribe", data={"email": "a@example.com"})
    second = await alice.client.post("/status/shop/subscribe", data={"email": "a@example.com"})
    assert first.text == second.text
    await mail(mailbox, 1)
    await asyncio.sleep(0.3)
    assert len(mailbox.messages) == 1


async def test_a_form_without_an_address_is_a_400_and_sends_nothing(alice: Persona) -> None:
    checkout = await service(alice, "Checkout")
    await page(
        alice,
        {
            "name": "Shop",
            "url": "shop",
            "cards": [{"name": "Shop", "services": [{"id": checkout["id"]}]}],
        },
    )
    answer = await alice.client.post("/status/shop/subscribe", data={"email": "not an address"})
    assert answer.status_code == 400


async def test_the_subscribe_form_is_limited_per_address_and_per_page(database_url: str) -> None:
    settings = settings_for(database_url, subscribe_limit_per_address=2, subscribe_limit_per_page=3)
    app = create_app(settings, background=False)

    def reader(address: str) -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app=app, client=(address, 40000))
        return httpx2.AsyncClient(transport=transport, base_url=BASE)

    async with app.router.lifespan_context(app), reader("192.0.2.1") as one:
        alice = await Harness(app.state.runtime, one).persona("alice")
        checkout = await service(alice, "Checkout")
        cards = [{"name": "Shop", "services": [{"id": checkout["id"]}]}]
        shop = await page(alice, {"name": "Shop", "url": "shop", "cards": cards})

        async def subscribe(client: httpx2.AsyncClient, n: int) -> int:
            form = {"email": f"r{n}@example.com"}
            answer = await client.post("/status/shop/subscribe", data=form)
            if answer.status_code == 429:
                assert 0 < int(answer.headers["retry-after"]) <= 3600
            return answer.status_code

        assert [await subscribe(one, n) for n in (1, 2, 3)] == [200, 200, 429]
        async with reader("192.0.2.2") as two:
            # another reader still may, until the page has had its 3 of the hour
            assert [await subscribe(two, n) for n in (4, 5)] == [200, 429]
        subscribed = await alice.get(f"/v1/status-pages/{shop['id']}/subscriptions")
        assert sorted(s["address"] for s in subscribed.json()) == [
            "r1@example.com",
            "r2@example.com",
            "r4@example.com",
        ]


async def test_a_confirmation_is_sent_at_once_not_at_the_mailers_fallback_poll(
    database_url: str, mailbox: Mailbox
) -> None:
    settings = settings_for(
        database_url,
        # The mailer's fallback poll: a minute, so within mail()'s 20 s only the queued mail's
        # wake-up can have sent it.
        alert_poll_seconds=60,
        alert_retry_base_seconds=0.05,
        alert_deny="",
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,  # type: ignore[attr-defined]
        smtp_security="none",
        smtp_from="status@vantage.example",
        public_url=PUBLIC,
    )
    async with running_vantage(settings) as vantage:
        alice = await vantage.persona("alice")
        await page(alice, {"name": "Shop", "url": "shop", "cards": []})
        answer = await alice.client.post("/status/shop/subscribe", data={"email": "r@example.com"})
        assert answer.status_code == 200, answer.text
        [confirmation] = await mail(mailbox, 1)
        assert confirmation["To"] == "r@example.com"
