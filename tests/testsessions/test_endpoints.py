"""Test sessions through the REST API (SQLite and PostgreSQL), with the result channel read from
the server's own hub: what `checkly test` and `checkly trigger` rely on besides the CLI itself."""

from __future__ import annotations

import asyncio
import gzip
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx2

from tests.support.harness import BASE, Harness, Persona
from tests.support.ui import logged_in
from tests.targets.http_target import HttpTarget
from vantage.mqtt import codec
from vantage.mqtt.broker import Subscriber
from vantage.scheduling.scheduler import Reaper
from vantage.timeutil import utcnow


def run_body(suite: str, *jobs: dict[str, Any], location: dict[str, Any] | None = None) -> bytes:
    body = {
        "name": "Project",
        "runLocation": location or {"type": "PUBLIC", "region": "local"},
        "checkRunJobs": [
            {**job, "sourceInfo": {"checkRunSuiteId": suite, "checkRunId": str(uuid.uuid4())}}
            for job in jobs
        ],
        "shouldRecord": True,
    }
    return gzip.compress(json.dumps(body).encode())


def api_job(logical_id: str, url: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": logical_id,
        "checkType": "API",
        "logicalId": logical_id,
        "request": {"method": "GET", "url": url},
        **fields,
    }


async def post_run(persona: Persona, body: bytes) -> httpx2.Response:
    return await persona.post(
        "/v1/test-sessions/run",
        content=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )


def subscribe(vantage: Harness, persona: Persona, suite: str) -> Subscriber:
    subscriber = Subscriber(persona.account_id)
    subscriber.filters.add(f"account/{persona.account_id}/ad-hoc-check-results/{suite}/+/+/+")
    vantage.runtime.hub.add(subscriber)
    return subscriber


async def published(subscriber: Subscriber, count: int) -> list[codec.Publish]:
    out: list[codec.Publish] = []
    while len(out) < count:
        packet = await asyncio.wait_for(subscriber.outbox.get(), 30)
        assert packet is not None
        out += [p for p in codec.Decoder().feed(packet) if isinstance(p, codec.Publish)]
    return out


async def test_a_run_never_touches_the_checks_list_or_the_schedule(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    suite = str(uuid.uuid4())
    subscriber = subscribe(vantage, alice, suite)

    started = await post_run(
        alice, run_body(suite, api_job("a", http_target.base_url + "/status/200"))
    )
    await published(subscriber, 2)

    assert started.status_code == 202, started.text
    assert (await alice.get("/v1/checks")).json() == []
    session = (await alice.get(f"/v1/test-sessions/{started.json()['testSessionId']}")).json()
    assert session["status"] == "PASSED"


async def test_a_check_type_that_cannot_run_is_a_400_naming_it(alice: Persona) -> None:
    job = {"name": "p", "checkType": "PLAYWRIGHT", "logicalId": "p"}

    response = await post_run(alice, run_body(str(uuid.uuid4()), job))

    assert response.status_code == 400
    assert "checkRunJobs" in response.json()["message"]
    assert "checkType" in response.json()["message"]


async def test_a_browser_check_naming_a_shared_file_the_body_lacks_is_a_400(
    alice: Persona,
) -> None:
    job = {
        "name": "b",
        "checkType": "BROWSER",
        "logicalId": "b",
        "script": "import { test } from '@playwright/test'",
        "scriptPath": "__checks__/b.spec.ts",
        "dependencies": [0],
    }

    response = await post_run(alice, run_body(str(uuid.uuid4()), job))

    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith('"checkRunJobs[0].dependencies[0]"')
    assert response.json()["validation"]["keys"] == ["checkRunJobs", "0", "dependencies", "0"]


async def test_an_unknown_run_location_is_a_400(alice: Persona, http_target: HttpTarget) -> None:
    body = run_body(
        str(uuid.uuid4()),
        api_job("a", http_target.base_url + "/status/200"),
        location={"type": "PUBLIC", "region": "ap-south-1"},
    )

    response = await post_run(alice, body)

    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["runLocation"]


async def test_a_body_that_inflates_past_the_limit_is_a_413(alice: Persona) -> None:
    bomb = gzip.compress(b"[" + b" " * (17 << 20) + b"]")

    response = await post_run(alice, bomb)

    assert response.status_code == 413


async def test_another_accounts_test_session_is_a_404(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    started = await post_run(
        alice, run_body(str(uuid.uuid4()), api_job("a", http_target.base_url + "/status/200"))
    )
    session_id = started.json()["testSessionId"]

    assert (await charlie.get(f"/v1/test-sessions/{session_id}")).status_code == 404
    assert (await charlie.post(f"/v1/test-sessions/{session_id}/cancel")).status_code == 404


async def test_trigger_matching_nothing_answers_the_clis_error_code(alice: Persona) -> None:
    response = await alice.post(
        "/next/test-sessions/trigger",
        json={"checkRunSuiteId": str(uuid.uuid4()), "targetTags": [["nothing"]]},
    )

    assert response.status_code == 403
    assert response.json()["errorCode"] == "ERR_NO_MATCHING_CHECKS"


async def test_cancel_ends_the_runs_and_publishes_a_cancelled_final(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    # A private location with no agent: the run waits in the queue until cancelled.
    created = await alice.post("/v1/private-locations", json={"name": "Idle", "slugName": "idle"})
    assert created.status_code == 201, created.text
    suite = str(uuid.uuid4())
    subscriber = subscribe(vantage, alice, suite)
    started = await post_run(
        alice,
        run_body(
            suite,
            api_job("a", http_target.base_url + "/status/200"),
            location={"type": "PRIVATE", "slugName": "idle"},
        ),
    )
    session_id = started.json()["testSessionId"]

    cancelled = await alice.post(f"/v1/test-sessions/{session_id}/cancel")
    run_start, result = await published(subscriber, 2)

    assert cancelled.status_code == 204
    assert run_start.topic.endswith("/run-start")
    message = json.loads(result.payload)
    assert (message["resultType"], message["result"]["isCancelled"]) == ("FINAL", True)
    got = (await alice.get(f"/v1/test-sessions/{session_id}")).json()
    assert got["status"] == "CANCELLED"


async def test_a_run_the_reaper_times_out_is_published_as_an_error(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    await alice.post("/v1/private-locations", json={"name": "Idle", "slugName": "idle"})
    suite = str(uuid.uuid4())
    subscriber = subscribe(vantage, alice, suite)
    await post_run(
        alice,
        run_body(
            suite,
            api_job("a", http_target.base_url + "/status/200"),
            location={"type": "PRIVATE", "slugName": "idle"},
        ),
    )

    ended = await Reaper(vantage.runtime).run_once(utcnow() + timedelta(hours=1))
    run_start, error = await published(subscriber, 2)

    assert len(ended) == 1
    assert error.topic.endswith("/error")
    assert "TIMED_OUT" in json.loads(error.payload)["message"]


async def test_the_list_pages_newest_first_by_its_next_id(
    alice: Persona, http_target: HttpTarget
) -> None:
    ids = []
    for _ in range(2):
        started = await post_run(
            alice, run_body(str(uuid.uuid4()), api_job("a", http_target.base_url + "/status/200"))
        )
        ids.append(started.json()["testSessionId"])

    first = (await alice.get("/v1/test-sessions", params={"limit": 1})).json()
    second = (
        await alice.get("/v1/test-sessions", params={"limit": 1, "nextId": first["nextId"]})
    ).json()

    assert [e["id"] for e in first["entries"] + second["entries"]] == ids[::-1]


async def test_a_null_in_the_retry_strategy_is_a_400_naming_it(alice: Persona) -> None:
    strategy = {"type": "FIXED", "maxRetries": 1, "sameRegion": None}

    response = await alice.post(
        "/next/test-sessions/trigger",
        json={"checkRunSuiteId": "s", "targetTags": [], "testRetryStrategy": strategy},
    )

    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["testRetryStrategy", "sameRegion"]


async def test_a_number_for_a_boolean_is_a_400(alice: Persona) -> None:
    strategy = {"type": "FIXED", "maxRetries": 1, "sameRegion": 0}

    response = await alice.post(
        "/next/test-sessions/trigger",
        json={"checkRunSuiteId": "s", "targetTags": [], "testRetryStrategy": strategy},
    )

    assert response.status_code == 400


async def test_the_links_the_cli_prints_are_the_web_uis_pages_of_the_session_and_its_result(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    suite = str(uuid.uuid4())
    subscriber = subscribe(vantage, alice, suite)
    started = await post_run(
        alice,
        run_body(
            suite,
            api_job("ok", http_target.base_url + "/status/200"),
            api_job("broken", http_target.base_url + "/status/500"),
        ),
    )
    await published(subscriber, 4)
    session_id = started.json()["testSessionId"]
    result_id = started.json()["testResultIds"]["broken"]

    session_link = (await alice.get(f"/next/test-sessions/{session_id}/link")).json()["link"]
    result_link = (
        await alice.get(f"/next/test-sessions/{session_id}/results/{result_id}/links")
    ).json()["testResultLink"]

    assert session_link == f"{BASE}/accounts/{alice.account_id}/test-sessions/{session_id}"
    got = (await alice.get(f"/v1/test-sessions/{session_id}")).json()
    assert got["testSessionLink"] == session_link
    client = await logged_in(vantage, alice, role="read-only")
    listed = (await client.get(session_link.removeprefix(BASE) + ".json")).json()
    assert sorted(s["name"] for s in listed["sessions"]) == ["broken", "ok"]
    assert listed["heading"] == "Project"
    page = await client.get(result_link.removeprefix(BASE))
    assert page.status_code == 200, result_link
    shown = (await client.get(result_link.removeprefix(BASE) + ".json")).json()
    assert shown["result"]["name"] == "broken" and shown["result"]["hasFailures"]
    # another account's test session is not found by its page
    other = await logged_in(vantage, charlie, role="read-only")
    page_of_other = f"/accounts/{charlie.account_id}/test-sessions/{session_id}"
    assert (await other.get(page_of_other + ".json")).status_code == 404
