"""Groups at run time: triggers match group tags, the probe uses the group's API defaults against
the real HTTP target, group locations and retries decide how a check runs, and a deactivated
group's checks neither trigger nor get scheduled."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.groups.test_endpoints import create_check, create_group
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_sessions, jobs
from vantage.locations import service as locations
from vantage.scheduling.scheduler import Scheduler
from vantage.timeutil import utcnow


async def trigger(persona: Persona, **target: Any) -> list[dict[str, Any]]:
    response = await persona.post("/v1/check-sessions/trigger", json={"target": target})
    assert response.status_code == 201, response.text
    sessions: list[dict[str, Any]] = response.json()["sessions"]
    return sessions


async def completion(persona: Persona, session_id: str) -> dict[str, Any]:
    for _ in range(3):
        response = await persona.get(
            f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
        )
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
    raise AssertionError(f"session {session_id} did not finish: {response.text}")


def kv(key: str, value: str) -> dict[str, str]:
    return {"key": key, "value": value}


async def test_a_trigger_by_a_groups_tag_starts_sessions_for_its_checks(
    alice: Persona, http_target: HttpTarget
) -> None:
    ok = f"{http_target.base_url}/ok"
    group = await create_group(alice, name="Payments", tags=["payments"])
    in_group = {
        (await create_check(alice, api_check(ok, name=f"in group {i}", groupId=group["id"])))["id"]
        for i in range(2)
    }
    api_in_group = await create_check(
        alice, api_check(ok, name="api in group", tags=["api"], groupId=group["id"])
    )
    own_tag = await create_check(alice, api_check(ok, name="own tag", tags=["payments"]))
    unrelated = await create_check(alice, api_check(ok, name="unrelated", tags=["api"]))

    sessions = await trigger(alice, matchTags=[["payments"]])
    assert {s["checkId"] for s in sessions} == {*in_group, api_in_group["id"], own_tag["id"]}
    for session in sessions:
        assert (await completion(alice, session["checkSessionId"]))["status"] == "PASSED"

    # a check's own tags and its group's are one set: AND across them, `!` excludes by either
    both = await trigger(alice, matchTags=[["payments", "api"]])
    assert {s["checkId"] for s in both} == {api_in_group["id"]}
    not_payments = await trigger(alice, matchTags=[["api", "!payments"]])
    assert {s["checkId"] for s in not_payments} == {unrelated["id"]}
    for session in [*both, *not_payments]:
        await completion(alice, session["checkSessionId"])


async def test_the_probe_uses_the_groups_base_url_headers_query_and_basic_auth(
    alice: Persona, http_target: HttpTarget
) -> None:
    group = await create_group(
        alice,
        apiCheckDefaults={
            "url": http_target.base_url,
            "headers": [kv("X-Group", "from-group"), kv("X-Shared", "group")],
            "queryParameters": [kv("team", "core")],
            "assertions": [
                {
                    "source": "JSON_BODY",
                    "property": "$.query.team",
                    "comparison": "EQUALS",
                    "target": "core",
                }
            ],
            "basicAuth": {"username": "group-user", "password": "group-password"},
        },
    )
    relative = await create_check(
        alice,
        api_check(
            "/echo",
            name="relative",
            groupId=group["id"],
            request={"headers": [kv("X-Shared", "check")]},
        ),
    )
    placeholder = await create_check(
        alice, api_check("{{GROUP_BASE_URL}}/echo?x=1", name="placeholder", groupId=group["id"])
    )

    for check, query in ((relative, {"team": "core"}), (placeholder, {"team": "core", "x": "1"})):
        [started] = await trigger(alice, checkId=[check["id"]])
        done = await completion(alice, started["checkSessionId"])
        assert done["status"] == "PASSED", done
        [result] = done["results"]
        full = await alice.get(f"/v1/check-results/{check['id']}/{result['checkResultId']}")
        api_result = full.json()["apiCheckResult"]
        assert api_result["request"]["url"].startswith(f"{http_target.base_url}/echo")
        echoed = json.loads(api_result["response"]["body"])
        assert echoed["path"] == "/echo"
        assert echoed["query"] == query
        assert echoed["headers"]["x-group"] == "from-group"
        assert echoed["auth"]["username"] == "group-user"
        sources = [a["source"] for a in api_result["assertions"]]
        assert sources == ["STATUS_CODE", "JSON_BODY"]
    assert echoed["headers"]["x-shared"] == "group"  # the placeholder check sets no X-Shared
    [relative_result] = (await alice.get(f"/v1/check-results/{relative['id']}")).json()
    full = await alice.get(f"/v1/check-results/{relative['id']}/{relative_result['id']}")
    assert (
        json.loads(full.json()["apiCheckResult"]["response"]["body"])["headers"]["x-shared"]
        == "check"
    )


async def test_a_failing_group_assertion_fails_the_check(
    alice: Persona, http_target: HttpTarget
) -> None:
    group = await create_group(
        alice,
        apiCheckDefaults={
            "url": http_target.base_url,
            "assertions": [
                {"source": "TEXT_BODY", "comparison": "CONTAINS", "target": "never in the body"}
            ],
        },
    )
    check = await create_check(alice, api_check("/ok", groupId=group["id"]))
    [started] = await trigger(alice, checkId=[check["id"]])
    done = await completion(alice, started["checkSessionId"])
    assert done["status"] == "FAILED"
    assert done["results"][0]["hasFailures"] is True


async def test_group_locations_decide_the_run_locations(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    async with vantage.runtime.db.write() as conn:
        await locations.ensure(conn, "far-away", "Far away")
    group = await create_group(alice, locations=["local", "far-away"], runParallel=True)
    check = await create_check(
        alice,
        api_check(
            f"{http_target.base_url}/ok",
            locations=["local"],
            runParallel=False,
            groupId=group["id"],
        ),
    )
    [started] = await trigger(alice, checkId=[check["id"]])
    assert started["runLocations"] == ["local", "far-away"]
    async with vantage.runtime.db.read() as conn:
        located = (
            await conn.scalars(
                sa.select(jobs.c.location).where(jobs.c.session_id == started["checkSessionId"])
            )
        ).all()
    assert sorted(located) == ["far-away", "local"]

    # a group without locations leaves the check's own
    plain_group = await create_group(alice, name="no locations")
    own = await create_check(
        alice,
        api_check(f"{http_target.base_url}/ok", locations=["far-away"], groupId=plain_group["id"]),
    )
    [own_session] = await trigger(alice, checkId=[own["id"]])
    assert own_session["runLocations"] == ["far-away"]


async def test_the_groups_retry_strategy_retries_its_checks(
    alice: Persona, http_target: HttpTarget
) -> None:
    group = await create_group(
        alice,
        retryStrategy={"type": "FIXED", "baseBackoffSeconds": 0, "maxRetries": 1},
    )
    check = await create_check(
        alice, api_check(f"{http_target.base_url}/status/500", groupId=group["id"])
    )
    [started] = await trigger(alice, checkId=[check["id"]])
    done = await completion(alice, started["checkSessionId"])
    assert done["status"] == "FAILED"
    assert [r["resultType"] for r in done["results"]] == ["ATTEMPT", "FINAL"]


async def test_a_deactivated_groups_checks_are_neither_triggered_nor_scheduled(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    ok = f"{http_target.base_url}/ok"
    group = await create_group(alice, tags=["grouped"], activated=False)
    in_group = await create_check(alice, api_check(ok, name="in group", groupId=group["id"]))
    outside = await create_check(alice, api_check(ok, name="outside", tags=["grouped"]))

    response = await alice.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [in_group["id"]]}}
    )
    assert response.status_code == 404
    assert response.json()["message"] == "No matching checks were found."
    by_tag = await trigger(alice, matchTags=[["grouped"]])
    assert [s["checkId"] for s in by_tag] == [outside["id"]]
    everything = await trigger(alice)
    assert [s["checkId"] for s in everything] == [outside["id"]]

    # the check itself stays activated; its effective state is not
    assert (await alice.get(f"/v1/checks/{in_group['id']}")).json()["activated"] is True
    effective = await alice.get(
        f"/v1/checks/{in_group['id']}", params={"applyGroupSettings": "true"}
    )
    assert effective.json()["activated"] is False

    # A pass skips a check whose row a result's transaction holds (it updates the check's
    # severity) and takes it on the next pass; this test counts one pass, so no run is in flight.
    for session in [*by_tag, *everything]:
        await completion(alice, session["checkSessionId"])
    scheduler = Scheduler(vantage.runtime)
    later = utcnow() + timedelta(hours=1)
    assert await scheduler.run_once(now=later) == 1
    async with vantage.runtime.db.read() as conn:
        scheduled = (
            await conn.scalars(
                sa.select(check_sessions.c.check_id).where(
                    check_sessions.c.run_source == "SCHEDULER"
                )
            )
        ).all()
    assert scheduled == [outside["id"]]

    # activated again, the group's check is triggered and scheduled again
    await alice.put(f"/v1/check-groups/{group['id']}", json={"activated": True})
    [again] = await trigger(alice, checkId=[in_group["id"]])
    assert again["checkId"] == in_group["id"]
    await completion(alice, again["checkSessionId"])
    assert await scheduler.run_once(now=later + timedelta(hours=1)) == 2


async def test_scheduled_runs_snapshot_the_effective_check(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    group = await create_group(
        alice,
        locations=["local"],
        apiCheckDefaults={"url": http_target.base_url, "headers": [kv("X-Group", "1")]},
    )
    check = await create_check(alice, api_check("/ok", groupId=group["id"]))
    assert await Scheduler(vantage.runtime).run_once(now=utcnow() + timedelta(hours=1)) == 1
    async with vantage.runtime.db.read() as conn:
        [config] = (
            await conn.scalars(sa.select(jobs.c.config).where(jobs.c.check_id == check["id"]))
        ).all()
    assert config["request"]["url"] == f"{http_target.base_url}/ok"
    assert config["request"]["headers"] == [{"key": "X-Group", "value": "1", "locked": False}]
    assert config["locations"] == ["local"]
