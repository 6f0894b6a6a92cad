"""A maintenance window's status updates with `notifySubscribers`, mailed through a real SMTP
server (aiosmtpd on loopback) to the verified subscribers of the pages the window shows on."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from tests.alerting.test_email import Mailbox
from tests.statuspages.test_api import page, service
from tests.statuspages.test_subscriptions import PUBLIC, mail, text
from tests.support.harness import Persona
from vantage.statuspages.mail import maintenance_pages
from vantage.timeutil import utcnow


async def subscribed_page(persona: Persona, url: str, service_id: str, *addresses: str) -> Any:
    created = await page(
        persona,
        {
            "name": url.title(),
            "url": url,
            "cards": [{"name": "All", "services": [{"id": service_id}]}],
        },
    )
    response = await persona.post(
        f"/v1/status-pages/{created['id']}/subscriptions/bulk",
        json={
            "subscriptions": [{"type": "EMAIL", "config": a} for a in addresses],
            "autoVerify": True,
        },
    )
    assert response.status_code == 201, response.text
    return created


async def occurrence(persona: Persona, visibility: dict[str, Any]) -> str:
    now = utcnow()
    response = await persona.post(
        "/v1/maintenance-windows",
        json={
            "name": "Database upgrade",
            "tags": ["db"],
            "startsAt": (now + timedelta(hours=1)).isoformat(),
            "endsAt": (now + timedelta(hours=2)).isoformat(),
            "statusPageVisibility": visibility,
        },
    )
    assert response.status_code == 201, response.text
    path = f"/v1/maintenance-windows/{response.json()['id']}/maintenances"
    [first] = (await persona.get(path)).json()
    return f"{path}/{first['id']}/updates"


async def test_an_update_with_notify_subscribers_is_mailed_to_the_pages_subscribers(
    alice: Persona, mailbox: Mailbox
) -> None:
    database = await service(alice, "Database")
    await subscribed_page(alice, "shop", database["id"], "reader@example.com")
    updates = await occurrence(alice, {"enabled": True, "serviceIds": [database["id"]]})

    quiet = await alice.post(
        updates, json={"status": "SCHEDULED", "description": "Nothing to tell yet"}
    )
    assert quiet.status_code == 201, quiet.text
    told = await alice.post(
        updates,
        json={
            "status": "IN_PROGRESS",
            "description": "The upgrade has begun",
            "notifySubscribers": True,
        },
    )
    assert told.status_code == 201, told.text

    [message] = await mail(mailbox, 1)
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "[Shop] Maintenance Database upgrade: In Progress"
    body = text(message)
    assert "The upgrade has begun" in body and "Nothing to tell yet" not in body
    assert f"{PUBLIC}/status/shop" in body
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC}/status/shop/subscriptions/")


async def test_a_window_not_shown_on_status_pages_mails_nobody(
    alice: Persona, mailbox: Mailbox
) -> None:
    database = await service(alice, "Database")
    await subscribed_page(alice, "shop", database["id"], "reader@example.com")
    hidden = await occurrence(alice, {"enabled": False, "serviceIds": [database["id"]]})
    shown = await occurrence(alice, {"enabled": True, "affectAllServices": True})

    for updates, description in ((hidden, "hidden"), (shown, "shown")):
        response = await alice.post(
            updates,
            json={"status": "IN_PROGRESS", "description": description, "notifySubscribers": True},
        )
        assert response.status_code == 201, response.text

    # Mail goes out in the order it was queued: had the hidden one been sent, it came first.
    [message] = await mail(mailbox, 1)
    assert "shown" in text(message)


def pages(*specs: tuple[str, list[str], bool]) -> list[Any]:
    return [
        SimpleNamespace(id=i, cards=[{"services": s}], config={"isPrivate": private})
        for i, s, private in specs
    ]


def test_the_pages_mailed_are_those_named_else_those_showing_a_service_else_all() -> None:
    candidates = pages(("a", ["s1"], False), ("b", ["s2"], False), ("c", ["s1"], True))

    def ids(visibility: Any) -> list[str]:
        return [p.id for p in maintenance_pages(candidates, visibility)]

    assert ids(None) == []
    assert ids({"enabled": False, "affectAllServices": True}) == []
    assert ids({"enabled": True, "statusPageIds": ["b"], "serviceIds": ["s1"]}) == ["b"]
    assert ids({"enabled": True, "serviceIds": ["s1"]}) == ["a"]  # "c" is private
    assert ids({"enabled": True, "affectAllServices": True}) == ["a", "b"]
    assert ids({"enabled": True}) == []
