"""Retry strategies end to end: failed tries are kept as ATTEMPT results, the last one is FINAL,
all in one session and one sequence."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest

from tests.support.checks import api_check
from tests.support.harness import Persona


@asynccontextmanager
async def flaky_target(failures: int) -> AsyncIterator[str]:
    """An HTTP server whose every path answers 500 `failures` times, then 200."""
    seen: Counter[str] = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ")[1].decode()
        seen[path] += 1
        status = b"500 Internal Server Error" if seen[path] <= failures else b"200 OK"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


async def run(persona: Persona, payload: dict[str, Any]) -> dict[str, Any]:
    created = await persona.post("/v1/checks/api", json=payload)
    assert created.status_code == 201, created.text
    trig = await persona.post(
        "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
    )
    session_id = trig.json()["sessions"][0]["checkSessionId"]
    for _ in range(3):
        done = await persona.get(
            f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
        )
        if done.status_code == 200:
            body: dict[str, Any] = done.json()
            return body
    raise AssertionError(f"session {session_id} did not finish: {done.text}")


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Held to a wall-clock bound (the backoff's gap): runs alone, after the parallel part.
@pytest.mark.serial
async def test_two_failed_tries_are_attempts_and_the_passing_third_is_final(
    alice: Persona,
) -> None:
    strategy = {"type": "FIXED", "baseBackoffSeconds": 1, "maxRetries": 3, "maxDurationSeconds": 60}
    async with flaky_target(failures=2) as url:
        session = await run(alice, api_check(f"{url}/twice", retryStrategy=strategy))

    assert session["status"] == "PASSED"
    results = session["results"]
    assert [r["resultType"] for r in results] == ["ATTEMPT", "ATTEMPT", "FINAL"]
    assert [r["hasFailures"] for r in results] == [True, True, False]
    assert [r["attempts"] for r in results] == [1, 2, 3]
    assert len({r["sequenceId"] for r in results}) == 1
    # The backoff between one try's end and the next one's start is the strategy's 1 s.
    for before, after in zip(results, results[1:], strict=False):
        gap = (stamp(after["startedAt"]) - stamp(before["stoppedAt"])).total_seconds()
        assert 0.95 <= gap < 2.0, gap

    check_id = results[0]["checkId"]
    finals = (await alice.get(f"/v1/check-results/{check_id}")).json()
    assert [r["resultType"] for r in finals] == ["FINAL"]
    everything = (
        await alice.get(f"/v1/check-results/{check_id}", params={"resultType": "ALL"})
    ).json()
    assert len(everything) == 3
    attempts = (
        await alice.get(f"/v2/check-results/{check_id}", params={"resultType": "ATTEMPT"})
    ).json()
    assert attempts["length"] == 2


# Held to a wall-clock bound (the backoff's gap): runs alone, after the parallel part.
@pytest.mark.serial
async def test_a_linear_strategy_waits_longer_each_time(alice: Persona) -> None:
    strategy = {"type": "LINEAR", "baseBackoffSeconds": 1, "maxRetries": 2}
    async with flaky_target(failures=5) as url:
        session = await run(alice, api_check(f"{url}/always", retryStrategy=strategy))
    results = session["results"]
    assert session["status"] == "FAILED"
    assert [r["resultType"] for r in results] == ["ATTEMPT", "ATTEMPT", "FINAL"]
    gaps = [
        (stamp(b["startedAt"]) - stamp(a["stoppedAt"])).total_seconds()
        for a, b in zip(results, results[1:], strict=False)
    ]
    assert 0.95 <= gaps[0] < 1.9 and 1.95 <= gaps[1] < 2.9, gaps


async def test_only_on_network_error_does_not_retry_an_assertion_failure(alice: Persona) -> None:
    strategy = {
        "type": "FIXED",
        "baseBackoffSeconds": 1,
        "maxRetries": 2,
        "onlyOn": ["NETWORK_ERROR"],
    }
    async with flaky_target(failures=1) as url:
        session = await run(alice, api_check(f"{url}/once", retryStrategy=strategy))
    assert session["status"] == "FAILED"
    assert [r["resultType"] for r in session["results"]] == ["FINAL"]


async def test_only_on_network_error_retries_a_refused_connection(alice: Persona) -> None:
    from tests.targets.tcp_target import refusing_port

    strategy = {
        "type": "FIXED",
        "baseBackoffSeconds": 0,
        "maxRetries": 2,
        "onlyOn": ["NETWORK_ERROR"],
    }
    with refusing_port() as port:
        session = await run(alice, api_check(f"http://127.0.0.1:{port}/", retryStrategy=strategy))
    assert session["status"] == "FAILED"
    assert [r["resultType"] for r in session["results"]] == ["ATTEMPT", "ATTEMPT", "FINAL"]


async def test_max_duration_stops_retrying(alice: Persona) -> None:
    strategy = {"type": "FIXED", "baseBackoffSeconds": 1, "maxRetries": 10, "maxDurationSeconds": 2}
    async with flaky_target(failures=100) as url:
        session = await run(alice, api_check(f"{url}/never", retryStrategy=strategy))
    kinds = [r["resultType"] for r in session["results"]]
    assert session["status"] == "FAILED"
    assert kinds[-1] == "FINAL" and set(kinds[:-1]) <= {"ATTEMPT"}
    assert 2 <= len(kinds) <= 3, kinds


async def test_a_session_stays_in_progress_while_a_retry_is_pending(alice: Persona) -> None:
    strategy = {"type": "FIXED", "baseBackoffSeconds": 2, "maxRetries": 1}
    async with flaky_target(failures=1) as url:
        created = await alice.post(
            "/v1/checks/api", json=api_check(f"{url}/pending", retryStrategy=strategy)
        )
        trig = await alice.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [created.json()["id"]]}}
        )
        session_id = trig.json()["sessions"][0]["checkSessionId"]
        for _ in range(50):
            body = (await alice.get(f"/v1/check-sessions/{session_id}")).json()
            if body["results"]:
                break
            await asyncio.sleep(0.05)
        assert body["status"] == "PROGRESS"
        assert [r["resultType"] for r in body["results"]] == ["ATTEMPT"]
        done = await alice.get(
            f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
        )
    assert done.json()["status"] == "PASSED"
