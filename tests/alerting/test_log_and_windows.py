"""The notification log (`/v1/alert-notifications`) and maintenance windows
(`/v1/maintenance-windows`): what each account sees of its own, and windows silencing alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.alerting.flow import channel, check, outbox, point_at, run, settled
from tests.alerting.receiver import Receiver, Reply
from tests.checks.test_scheduling import create, next_run, sessions_of
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.scheduling.scheduler import Scheduler
from vantage.timeutil import utcnow


async def test_the_log_shows_each_notification_with_its_outcome_and_no_secret(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    receiver.by_path["/refuses"] = Reply(400, b"nope")
    config = {"url": receiver.url + "/refuses", "webhookSecret": "whsec-0123456789"}
    refused = await channel(alice, "WEBHOOK", config)
    fine = await channel(alice, "WEBHOOK", {"url": receiver.url + "/fine"})
    check_id = await check(alice, http_target, [refused, fine])
    await run(alice, check_id)
    await settled(vantage, 2)

    response = await alice.get("/v1/alert-notifications")
    assert response.status_code == 200
    assert response.headers["content-range"] == "0-1/2"
    entries = {e["alertChannelId"]: e for e in response.json()}
    bad, good = entries[refused], entries[fine]
    assert bad["status"] == "FAILURE" and bad["notificationResult"] == "400 nope"
    assert good["status"] == "SUCCESS" and good["notificationResult"] == "200 ok"
    assert bad["type"] == "WEBHOOK" and bad["checkId"] == check_id and bad["checkType"] == "API"
    assert bad["alertType"] == "ALERT_FAILURE"
    assert "whsec-0123456789" not in str(bad["alertConfig"])
    assert bad["checkResultId"]

    failed = (await alice.get("/v1/alert-notifications", params={"hasFailures": "true"})).json()
    assert [e["alertChannelId"] for e in failed] == [refused]
    by_channel = await alice.get("/v1/alert-notifications", params={"alertChannelId": fine})
    assert [e["alertChannelId"] for e in by_channel.json()] == [fine]
    charlie = await vantage.persona("charlie")
    assert (await charlie.get("/v1/alert-notifications")).json() == []
    # an hour-long window in the past holds nothing; more than 24 hours is refused
    now = int(utcnow().timestamp())
    past = {"from": str(now - 7200), "to": str(now - 3600)}
    assert (await alice.get("/v1/alert-notifications", params=past)).json() == []
    too_long = {"from": str(now - 90_000), "to": str(now)}
    response = await alice.get("/v1/alert-notifications", params=too_long)
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["from"]


def active_window(**fields: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "name": "Database upgrade",
        "tags": ["db"],
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "repeatUnit": None,
        **fields,
    }


async def test_maintenance_windows_round_trip_and_stay_in_their_account(alice: Persona) -> None:
    response = await alice.post("/v1/maintenance-windows", json=active_window())
    assert response.status_code == 201, response.text
    created = response.json()
    path = f"/v1/maintenance-windows/{created['id']}"
    assert created["tags"] == ["db"] and created["silenceAllAlerts"] is False
    assert (await alice.get(path)).json() == created
    listed = await alice.get("/v1/maintenance-windows")
    assert listed.json() == [created] and listed.headers["content-range"] == "0-0/1"
    updated = await alice.put(path, json={**created, "name": "Longer upgrade"})
    assert updated.status_code == 200 and updated.json()["name"] == "Longer upgrade"
    assert (await alice.delete(path)).status_code == 204
    assert (await alice.get(path)).status_code == 404


async def test_a_window_answers_moments_with_milliseconds_and_its_last_date_as_it_was_sent(
    alice: Persona,
) -> None:
    # What Checkly's Go client sends, and compares its answer against field by field.
    sent = {
        "name": "TEST",
        "startsAt": "2014-08-24T00:00:00Z",
        "endsAt": "2014-08-24T03:30:00+02:00",
        "repeatUnit": "MONTH",
        "repeatInterval": 10,
        "repeatEndsAt": "2014-08-24T22:30:00-05:00",
        "tags": ["string"],
        "created_at": "",
        "updated_at": "",
    }
    created = (await alice.post("/v1/maintenance-windows", json=sent)).json()
    assert created["startsAt"] == "2014-08-24T00:00:00.000Z"
    assert created["endsAt"] == "2014-08-24T01:30:00.000Z"
    # a date-time counts by its UTC date, and answers as that date's UTC midnight
    assert created["repeatEndsAt"] == "2014-08-25T00:00:00.000Z"
    path = f"/v1/maintenance-windows/{created['id']}"
    assert (await alice.get(path)).json()["repeatEndsAt"] == "2014-08-25T00:00:00.000Z"
    # a plain date stays a plain date
    updated = await alice.put(path, json={**created, "repeatEndsAt": "2014-09-30"})
    assert updated.json()["repeatEndsAt"] == "2014-09-30"


async def test_another_accounts_window_is_a_404(alice: Persona, vantage: Harness) -> None:
    created = (await alice.post("/v1/maintenance-windows", json=active_window())).json()
    charlie = await vantage.persona("charlie")
    path = f"/v1/maintenance-windows/{created['id']}"
    assert (await charlie.get(path)).status_code == 404
    assert (await charlie.put(path, json={"name": "x"})).status_code == 404
    assert (await charlie.delete(path)).status_code == 404
    assert (await charlie.get("/v1/maintenance-windows")).json() == []


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"endsAt": "2020-01-01T00:00:00Z"}, "endsAt"),
        ({"endsAt": "9999-12-31T23:00:00-05:00"}, "endsAt"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"startsAt": "yesterday"}, "startsAt"),
        ({"repeatInterval": 2}, "repeatUnit"),
        ({"repeatUnit": "YEAR"}, "repeatUnit"),
        ({"name": ""}, "name"),
    ],
)
async def test_a_bad_window_is_a_400_naming_the_field(
    alice: Persona, changes: dict[str, Any], key: str
) -> None:
    response = await alice.post("/v1/maintenance-windows", json=active_window(**changes))
    assert response.status_code == 400, response.text
    assert key in response.json()["validation"]["keys"], response.json()


async def test_a_window_silences_its_checks_and_nothing_comes_after_it(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    window = (await alice.post("/v1/maintenance-windows", json=active_window())).json()
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/w"})
    in_window = await check(alice, http_target, [hook], name="db", tags=["db"])
    outside = await check(alice, http_target, [hook], name="web", tags=["web"])
    await run(alice, in_window)
    await run(alice, outside)
    rows = await settled(vantage, 1)
    assert [r.check_id for r in rows] == [outside]
    # the window ends while the check still fails: no retroactive alert
    await alice.delete(f"/v1/maintenance-windows/{window['id']}")
    await run(alice, in_window)
    assert [r.check_id for r in await outbox(vantage)] == [outside]
    # its next incident is announced
    await point_at(alice, in_window, http_target, "/ok")
    await run(alice, in_window)
    await point_at(alice, in_window, http_target, "/status/500")
    await run(alice, in_window)
    rows = await settled(vantage, 2)
    assert [(r.check_id, r.alert_type) for r in rows] == [
        (outside, "ALERT_FAILURE"),
        (in_window, "ALERT_FAILURE"),
    ]


async def test_check_alerts_list_each_alert_raised_even_without_a_channel(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await check(alice, http_target, [], name="No channel")
    other = await check(alice, http_target, [], name="Other")
    await run(alice, check_id)
    await point_at(alice, check_id, http_target, "/ok")
    await run(alice, check_id)
    await run(alice, other)
    response = await alice.get(f"/v1/check-alerts/{check_id}")
    assert response.status_code == 200, response.text
    alerts = response.json()
    assert [a["alertType"] for a in alerts] == ["ALERT_RECOVERY", "ALERT_FAILURE"]
    failure = alerts[1]
    assert failure["name"] == "No channel" and failure["checkType"] == "API"
    assert failure["runLocation"] == "local" and failure["statusCode"] == 500
    assert failure["error"] and failure["startedAt"] and failure["created_at"]
    everything = await alice.get("/v1/check-alerts")
    assert everything.headers["content-range"] == "0-2/3"
    charlie = await vantage.persona("charlie")
    assert (await charlie.get(f"/v1/check-alerts/{check_id}")).status_code == 404
    assert (await charlie.get("/v1/check-alerts")).json() == []
    now = int(utcnow().timestamp())
    too_long = await alice.get("/v1/check-alerts", params={"from": now - 7 * 3600, "to": now})
    assert too_long.status_code == 400


async def test_a_window_pausing_all_checks_skips_its_accounts_scheduled_runs(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    bob = await vantage.persona("bob")
    mine = await create(alice, api_check(f"{http_target.base_url}/ok", name="Paused"))
    theirs = await create(bob, api_check(f"{http_target.base_url}/ok", name="Not paused"))
    window = await alice.post(
        "/v1/maintenance-windows", json=active_window(tags=[], pauseAllChecks=True)
    )
    assert window.status_code == 201, window.text
    due = max([d for d in [await next_run(vantage, mine), await next_run(vantage, theirs)] if d])
    assert await Scheduler(vantage.runtime).run_once(due) == 1
    assert await sessions_of(vantage, mine) == []
    assert len(await sessions_of(vantage, theirs)) == 1
    # The skipped slot passes all the same: the check is due again at its next one.
    later = await next_run(vantage, mine)
    assert later is not None and later > due
