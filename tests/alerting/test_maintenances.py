"""`/v1/maintenance-windows/{id}/maintenances`: a window's occurrences in Checkly's shape, read
from its schedule, and only by its own account; one occurrence deleted or moved (and alerts
silenced accordingly), and the status updates posted on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.alerting.flow import channel, check, run, settled
from tests.alerting.receiver import Receiver
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.alerting import maintenance
from vantage.alerting.maintenance import EDITS, is_active, occurrences
from vantage.db.tables import maintenance_occurrences
from vantage.timeutil import iso, utcnow


def test_a_weekly_window_occurs_each_week_at_the_same_wall_time_until_its_last_day() -> None:
    window = {
        "startsAt": "2026-03-21T09:00:00Z",
        "endsAt": "2026-03-21T10:00:00Z",
        "repeatUnit": "WEEK",
        "repeatInterval": 1,
        "repeatEndsAt": "2026-04-04",
        "timezone": "Europe/Berlin",
    }

    found = occurrences(window, datetime(2027, 1, 1, tzinfo=UTC))

    # 10:00 in Berlin: 09:00 UTC in winter time, 08:00 UTC once summer time began (29 March).
    assert [(s.astimezone(UTC).hour, s.day, (e - s).seconds) for s, e in found] == [
        (9, 21, 3600),
        (9, 28, 3600),
        (8, 4, 3600),
    ]


def test_an_edited_occurrence_is_off_at_its_scheduled_time_and_a_moved_one_on_at_its_new_one() -> (
    None
):
    daily = {
        "startsAt": "2026-03-01T09:00:00Z",
        "endsAt": "2026-03-01T10:00:00Z",
        "repeatUnit": "DAY",
        "repeatInterval": 1,
    }
    second = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    third = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    elsewhere = (datetime(2026, 3, 2, 20, 0, tzinfo=UTC), datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
    edited = {
        **daily,
        EDITS: {"2026-03-02T09:00:00.000Z": elsewhere, "2026-03-03T09:00:00.000Z": None},
    }

    assert is_active(daily, second) and is_active(daily, third)
    assert not is_active(edited, second) and not is_active(edited, third)
    assert is_active(edited, elsewhere[0] + timedelta(minutes=30))
    assert is_active(edited, datetime(2026, 3, 4, 9, 30, tzinfo=UTC))


async def create(persona: Persona, **fields: Any) -> dict[str, Any]:
    now = utcnow()
    body = {
        "name": "Nightly backup",
        "tags": ["db"],
        "startsAt": (now - timedelta(days=2, minutes=5)).isoformat(),
        "endsAt": (now - timedelta(days=2) + timedelta(minutes=30)).isoformat(),
        **fields,
    }
    response = await persona.post("/v1/maintenance-windows", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_daily_windows_occurrences_are_listed_with_their_status(alice: Persona) -> None:
    window = await create(alice, repeatUnit="DAY", repeatInterval=1)
    path = f"/v1/maintenance-windows/{window['id']}/maintenances"

    response = await alice.get(path, params={"limit": 3})

    assert response.status_code == 200, response.text
    first = response.json()
    assert [m["status"] for m in first] == ["COMPLETED", "COMPLETED", "IN_PROGRESS"]
    assert all(m["maintenanceWindowId"] == window["id"] and m["updates"] == [] for m in first)
    assert first[0]["startsAt"] == window["startsAt"]
    assert response.headers["content-range"].startswith("0-2/")
    second = (await alice.get(path, params={"limit": 3, "page": 2})).json()
    assert [m["status"] for m in second] == ["SCHEDULED"] * 3
    one = await alice.get(f"{path}/{first[2]['id']}")
    assert one.status_code == 200 and one.json() == first[2]


async def test_a_one_off_window_has_one_occurrence(alice: Persona) -> None:
    window = await create(alice)

    listed = (await alice.get(f"/v1/maintenance-windows/{window['id']}/maintenances")).json()

    assert [(m["startsAt"], m["endsAt"], m["status"]) for m in listed] == [
        (window["startsAt"], window["endsAt"], "COMPLETED")
    ]


async def test_another_accounts_window_and_its_occurrences_are_not_found(
    alice: Persona, charlie: Persona
) -> None:
    window = await create(alice)
    path = f"/v1/maintenance-windows/{window['id']}/maintenances"
    (occurrence,) = (await alice.get(path)).json()

    assert (await charlie.get(path)).status_code == 404
    assert (await charlie.get(f"{path}/{occurrence['id']}")).status_code == 404
    assert (await alice.get(f"{path}/not-an-occurrence")).status_code == 404
    assert (await alice.get("/v1/maintenance-windows/999999/maintenances")).status_code == 404


async def test_a_page_size_over_fifty_is_refused_naming_limit(alice: Persona) -> None:
    window = await create(alice)

    response = await alice.get(
        f"/v1/maintenance-windows/{window['id']}/maintenances", params={"limit": 51}
    )

    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["limit"]


# Changing one occurrence: delete it, move it, post status updates on it.


async def occurrences_of(persona: Persona, window: dict[str, Any]) -> list[dict[str, Any]]:
    path = f"/v1/maintenance-windows/{window['id']}/maintenances"
    response = await persona.get(path, params={"limit": 50})
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def path_of(window: dict[str, Any], occurrence: dict[str, Any]) -> str:
    return f"/v1/maintenance-windows/{window['id']}/maintenances/{occurrence['id']}"


async def windows_on(vantage: Harness, persona: Persona, moment: datetime) -> list[str]:
    """The names of the persona's windows that silence at `moment`, as alerting reads them."""
    async with vantage.runtime.db.read() as conn:
        on = await maintenance.active_windows(conn, {persona.account_id}, moment)
    return [w["name"] for w in on.get(persona.account_id, ())]


async def test_deleting_an_occurrence_removes_it_and_leaves_the_windows_others(
    alice: Persona,
) -> None:
    window = await create(alice, repeatUnit="DAY", repeatInterval=1)
    before = await occurrences_of(alice, window)
    today = before[2]

    response = await alice.delete(path_of(window, today))

    assert response.status_code == 204 and response.content == b""
    after = await occurrences_of(alice, window)
    # (A page of 50: the occurrence after the last one listed before moves up into it.)
    assert [m["id"] for m in after][:49] == [m["id"] for m in before if m["id"] != today["id"]]
    assert (await alice.get(path_of(window, today))).status_code == 404
    assert (await alice.delete(path_of(window, today))).status_code == 404
    assert (await alice.patch(path_of(window, today), json={})).status_code == 404


async def test_a_deleted_occurrence_no_longer_silences_but_the_next_one_still_does(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    window = await create(alice, repeatUnit="DAY", repeatInterval=1)
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/w"})
    in_window = await check(alice, http_target, [hook], name="db", tags=["db"])
    today = (await occurrences_of(alice, window))[2]
    assert today["status"] == "IN_PROGRESS"

    assert (await alice.delete(path_of(window, today))).status_code == 204
    await run(alice, in_window)

    rows = await settled(vantage, 1)
    assert [(r.check_id, r.alert_type) for r in rows] == [(in_window, "ALERT_FAILURE")]
    tomorrow = datetime.fromisoformat(today["startsAt"]) + timedelta(days=1, minutes=1)
    assert await windows_on(vantage, alice, utcnow()) == []
    assert await windows_on(vantage, alice, tomorrow) == ["Nightly backup"]


async def test_an_occurrence_moved_to_now_silences_now_and_no_longer_at_its_old_time(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    now = utcnow()
    window = await create(
        alice, startsAt=iso(now + timedelta(days=1)), endsAt=iso(now + timedelta(days=1, hours=1))
    )
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/w"})
    in_window = await check(alice, http_target, [hook], name="db", tags=["db"])
    outside = await check(alice, http_target, [hook], name="web", tags=["web"])
    (occurrence,) = await occurrences_of(alice, window)
    moved_to = {
        "startsAt": iso(now - timedelta(minutes=1)),
        "endsAt": iso(now + timedelta(hours=1)),
    }

    response = await alice.patch(path_of(window, occurrence), json=moved_to)

    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["id"], moved["startsAt"], moved["endsAt"]) == (
        occurrence["id"],
        moved_to["startsAt"],
        moved_to["endsAt"],
    )
    assert moved["status"] == "IN_PROGRESS"
    assert (await alice.get(path_of(window, occurrence))).json() == moved
    await run(alice, in_window)
    await run(alice, outside)
    assert [r.check_id for r in await settled(vantage, 1)] == [outside]
    assert await windows_on(vantage, alice, now + timedelta(days=1, minutes=30)) == []


async def test_moving_the_current_occurrence_away_ends_its_silence(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    window = await create(alice, repeatUnit="DAY", repeatInterval=1)
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/w"})
    in_window = await check(alice, http_target, [hook], name="db", tags=["db"])
    today = (await occurrences_of(alice, window))[2]
    later = utcnow() + timedelta(hours=3)

    # Only its start moves: it keeps its end unless that would come first.
    refused = await alice.patch(path_of(window, today), json={"startsAt": iso(later)})
    assert refused.status_code == 400
    assert refused.json()["validation"]["keys"] == ["endsAt"]
    response = await alice.patch(
        path_of(window, today),
        json={"startsAt": iso(later), "endsAt": iso(later + timedelta(hours=1))},
    )
    assert response.status_code == 200 and response.json()["status"] == "SCHEDULED"
    await run(alice, in_window)

    rows = await settled(vantage, 1)
    assert [(r.check_id, r.alert_type) for r in rows] == [(in_window, "ALERT_FAILURE")]
    assert await windows_on(vantage, alice, later + timedelta(minutes=30)) == ["Nightly backup"]


async def test_patching_only_the_end_keeps_the_start(alice: Persona) -> None:
    window = await create(alice)
    (occurrence,) = await occurrences_of(alice, window)
    end = datetime.fromisoformat(occurrence["endsAt"]) + timedelta(minutes=15)

    response = await alice.patch(path_of(window, occurrence), json={"endsAt": iso(end)})

    assert response.status_code == 200, response.text
    assert response.json()["startsAt"] == occurrence["startsAt"]
    assert response.json()["endsAt"] == iso(end)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"startsAt": "yesterday"}, "startsAt"),
        ({"endsAt": 12.5}, "endsAt"),
        ({"endsAt": "2020-01-01T00:00:00Z"}, "endsAt"),
        ({"endsAt": "9999-12-31T23:00:00-05:00"}, "endsAt"),
        ({"colour": "blue"}, "colour"),
        ([], "value"),
    ],
)
async def test_a_bad_occurrence_patch_is_a_400_naming_the_field(
    alice: Persona, body: Any, key: str
) -> None:
    window = await create(alice)
    (occurrence,) = await occurrences_of(alice, window)

    response = await alice.patch(path_of(window, occurrence), json=body)

    assert response.status_code == 400, response.text
    error = response.json()
    assert error["statusCode"] == 400 and error["error"] == "Bad Request"
    assert error["validation"]["keys"] == [key], error
    assert (await occurrences_of(alice, window)) == [occurrence]


async def test_status_updates_are_posted_edited_deleted_and_read_back_with_the_occurrence(
    alice: Persona,
) -> None:
    window = await create(alice, repeatUnit="DAY", repeatInterval=1)
    today = (await occurrences_of(alice, window))[2]
    updates = path_of(window, today) + "/updates"

    first = await alice.post(updates, json={"status": "IN_PROGRESS", "description": "Started"})
    second = await alice.post(
        updates,
        json={"status": "VERIFYING", "description": "Checking", "notifySubscribers": True},
    )

    assert first.status_code == 201, first.text
    posted = first.json()
    assert posted["maintenanceWindowId"] == window["id"] and posted["maintenanceId"] == today["id"]
    assert (posted["status"], posted["description"], posted["notifySubscribers"]) == (
        "IN_PROGRESS",
        "Started",
        False,
    )
    assert posted["previousStatus"] == "IN_PROGRESS" and posted["created_at"]
    read = (await alice.get(path_of(window, today))).json()
    assert read["updates"] == [second.json(), posted]
    assert read["startsAt"] == today["startsAt"] and read["status"] == "IN_PROGRESS"
    # Without a status the edit keeps the stored one.
    edited = await alice.put(f"{updates}/{posted['id']}", json={"description": "Began"})
    assert edited.status_code == 200, edited.text
    assert edited.json() == {**posted, "description": "Began"}
    restated = await alice.put(
        f"{updates}/{posted['id']}", json={"description": "Began", "status": "COMPLETED"}
    )
    assert restated.json()["status"] == "COMPLETED"
    assert (await alice.delete(f"{updates}/{second.json()['id']}")).status_code == 204
    assert (await alice.get(path_of(window, today))).json()["updates"] == [restated.json()]
    assert (await alice.delete(f"{updates}/{second.json()['id']}")).status_code == 404
    assert (await alice.put(f"{updates}/nope", json={"description": "x"})).status_code == 404
    # The other occurrences have none.
    others = [m for m in await occurrences_of(alice, window) if m["id"] != today["id"]]
    assert others and all(m["updates"] == [] for m in others)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"description": "No status"}, "status"),
        ({"status": "DONE", "description": "x"}, "status"),
        ({"status": "SCHEDULED"}, "description"),
        ({"status": "SCHEDULED", "description": "x" * 2001}, "description"),
        (
            {"status": "SCHEDULED", "description": "x", "notifySubscribers": "often"},
            "notifySubscribers",
        ),
    ],
)
async def test_a_bad_status_update_is_a_400_naming_the_field(
    alice: Persona, body: dict[str, Any], key: str
) -> None:
    window = await create(alice)
    (occurrence,) = await occurrences_of(alice, window)

    response = await alice.post(path_of(window, occurrence) + "/updates", json=body)

    assert response.status_code == 400, response.text
    assert response.json()["validation"]["keys"] == [key], response.json()


async def test_another_account_cannot_change_a_windows_occurrences(
    alice: Persona, charlie: Persona
) -> None:
    window = await create(alice)
    (occurrence,) = await occurrences_of(alice, window)
    path = path_of(window, occurrence)
    update = (
        await alice.post(path + "/updates", json={"status": "SCHEDULED", "description": "Soon"})
    ).json()
    note = f"{path}/updates/{update['id']}"

    answers = [
        await charlie.delete(path),
        await charlie.patch(path, json={"endsAt": occurrence["startsAt"]}),
        await charlie.post(path + "/updates", json={"status": "SCHEDULED", "description": "x"}),
        await charlie.put(note, json={"description": "Mine now"}),
        await charlie.delete(note),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert all(a.json()["statusCode"] == 404 for a in answers)
    (unchanged,) = await occurrences_of(alice, window)
    assert unchanged["startsAt"] == occurrence["startsAt"]
    assert unchanged["endsAt"] == occurrence["endsAt"]
    assert unchanged["updates"] == [update]


async def test_a_window_put_keeps_edits_of_occurrences_it_still_has_and_drops_the_rest(
    vantage: Harness, alice: Persona
) -> None:
    window = await create(alice, repeatUnit="DAY", repeatInterval=1)
    first, second, third = (await occurrences_of(alice, window))[:3]
    assert (await alice.delete(path_of(window, second))).status_code == 204
    note = {"status": "SCHEDULED", "description": "Kept"}
    assert (await alice.post(path_of(window, first) + "/updates", json=note)).status_code == 201
    path = f"/v1/maintenance-windows/{window['id']}"

    renamed = await alice.put(path, json={**window, "name": "Renamed"})

    assert renamed.status_code == 200, renamed.text
    listed = await occurrences_of(alice, window)
    assert second["id"] not in [m["id"] for m in listed]
    assert listed[0]["updates"][0]["description"] == "Kept"
    # An hour later every day: the old occurrences are gone, and with them what was done to them.
    shifted = datetime.fromisoformat(window["startsAt"]) + timedelta(hours=1)
    moved = await alice.put(
        path,
        json={**window, "startsAt": iso(shifted), "endsAt": iso(shifted + timedelta(minutes=35))},
    )
    assert moved.status_code == 200, moved.text
    assert all(m["updates"] == [] for m in await occurrences_of(alice, window))
    async with vantage.runtime.db.read() as conn:
        left = await conn.scalar(sa.select(sa.func.count()).select_from(maintenance_occurrences))
    assert left == 0
    assert third["id"] not in [m["id"] for m in await occurrences_of(alice, window)]


async def test_deleting_a_window_deletes_what_was_done_to_its_occurrences(
    vantage: Harness, alice: Persona
) -> None:
    window = await create(alice)
    (occurrence,) = await occurrences_of(alice, window)
    note = {"status": "SCHEDULED", "description": "Soon"}
    assert (
        await alice.post(path_of(window, occurrence) + "/updates", json=note)
    ).status_code == 201

    assert (await alice.delete(f"/v1/maintenance-windows/{window['id']}")).status_code == 204

    async with vantage.runtime.db.read() as conn:
        left = await conn.scalar(sa.select(sa.func.count()).select_from(maintenance_occurrences))
    assert left == 0
