"""Alert settings and groups at run time: a group's subscriptions replace its checks' own, a
group's settings are forced on its checks, a muted group mutes them; reminders come from the
worker's timer with their sequence numbers and stop at recovery."""

from __future__ import annotations

from datetime import timedelta

from tests.alerting.flow import channel, check, outbox, point_at, run, settled
from tests.alerting.receiver import Receiver
from tests.groups.test_endpoints import create_group
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.alerting import account_settings
from vantage.alerting.delivery import Deliverer
from vantage.timeutil import utcnow


async def test_a_groups_channels_and_forced_settings_apply_to_its_checks(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    own = await channel(alice, "WEBHOOK", {"url": receiver.url + "/own"})
    groups = await channel(alice, "WEBHOOK", {"url": receiver.url + "/group"})
    group = await create_group(
        alice,
        alertChannelSubscriptions=[{"alertChannelId": groups, "activated": True}],
        useGlobalAlertSettings=False,
        alertSettings={
            "escalationType": "RUN_BASED",
            "runBasedEscalation": {"failedRunThreshold": 2},
        },
    )
    check_id = await check(alice, http_target, [own], groupId=group["id"])
    await run(alice, check_id)
    assert await outbox(vantage) == []  # the group's threshold is 2 runs
    await run(alice, check_id)
    [row] = await settled(vantage, 1)
    assert (row.alert_channel_id, row.alert_type) == (groups, "ALERT_FAILURE_REMAIN")
    [got] = await receiver.wait_for(1)
    assert got.path == "/group" and got.json()["GROUP_NAME"] == "Group"


async def test_a_muted_group_mutes_its_checks(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/m"})
    group = await create_group(alice, muted=True)
    await run(alice, await check(alice, http_target, [hook], groupId=group["id"]))
    assert await outbox(vantage) == []


async def test_reminders_come_from_the_timer_and_stop_at_recovery(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/r"})
    settings = {"reminders": {"amount": 2, "interval": 5}}
    check_id = await check(
        alice, http_target, [hook], useGlobalAlertSettings=False, alertSettings=settings
    )
    await run(alice, check_id)
    await settled(vantage, 1)
    worker = Deliverer(vantage.runtime.settings, vantage.runtime.db, owner="test-clock")
    try:
        start = utcnow()
        assert await worker.run_once(start + timedelta(minutes=4)) == 0
        for minutes in (5, 10, 15, 20):
            await worker.run_once(start + timedelta(minutes=minutes, seconds=1))
    finally:
        await worker.close()
    received = await receiver.wait_for(3)
    bodies = [r.json() for r in received]
    assert [(b["ALERT_TYPE"], b["IS_REMINDER"], b["REMINDER_SEQUENCE"]) for b in bodies] == [
        ("ALERT_FAILURE", False, 0),
        ("ALERT_FAILURE_REMAIN", True, 1),
        ("ALERT_FAILURE_REMAIN", True, 2),
    ]
    await point_at(alice, check_id, http_target, "/ok")
    await run(alice, check_id)
    rows = await settled(vantage, 4)
    assert [r.alert_type for r in rows][-1] == "ALERT_RECOVERY"
    assert len(rows) == 4


async def test_checks_on_global_settings_follow_the_accounts_own(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    async with vantage.runtime.db.write() as conn:
        await account_settings.write(
            conn, alice.account_id, {"runBasedEscalation": {"failedRunThreshold": 2}}
        )
    me = (await alice.get("/v1/accounts/me")).json()
    assert me["id"] == alice.account_id
    assert me["alertSettings"]["runBasedEscalation"] == {"failedRunThreshold": 2}
    hook = await channel(alice, "WEBHOOK", {"url": receiver.url + "/acct"})
    global_check = await check(alice, http_target, [hook])
    own_check = await check(
        alice, http_target, [hook], useGlobalAlertSettings=False, alertSettings={}
    )
    await run(alice, global_check)
    await run(alice, own_check)  # its own settings: Checkly's defaults, one run
    [first] = await settled(vantage, 1)
    assert first.check_id == own_check
    await run(alice, global_check)
    rows = await settled(vantage, 2)
    assert (rows[-1].check_id, rows[-1].alert_type) == (global_check, "ALERT_FAILURE_REMAIN")
