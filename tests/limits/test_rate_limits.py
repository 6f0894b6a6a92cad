"""Checkly's rate limits on the public API: per API key and route, a 429 in Checkly's body with
`Retry-After` past the limit, shared by the replicas of one PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import fresh_postgres
from tests.support.harness import Harness, Persona, running_vantage, settings_for

LIMITED = {"rate_limit": 3, "rate_limit_routes": "GET /v2/check-results/{check_id}=2"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def limited(database_url: str) -> Any:
    async with running_vantage(settings_for(database_url, **LIMITED), background=False) as h:
        h.runtime.limiter.clock = Clock()
        yield h


async def _statuses(persona: Persona, path: str, times: int) -> list[int]:
    return [(await persona.get(path)).status_code for _ in range(times)]


async def test_past_the_limit_a_route_answers_checklys_429_with_retry_after(
    limited: Harness,
) -> None:
    alice = await limited.persona("alice")
    assert await _statuses(alice, "/v1/checks", 3) == [200, 200, 200]
    limited.runtime.limiter.clock.now += 20  # type: ignore[attr-defined]
    refused = await alice.get("/v1/checks")
    assert refused.status_code == 429
    assert refused.json() == {
        "statusCode": 429,
        "error": "Too Many Requests",
        "message": "Too Many Requests",
    }
    assert refused.headers["retry-after"] == "40"


async def test_the_window_ends_and_the_route_answers_again(limited: Harness) -> None:
    alice = await limited.persona("alice")
    assert await _statuses(alice, "/v1/checks", 4) == [200, 200, 200, 429]
    limited.runtime.limiter.clock.now += 60  # type: ignore[attr-defined]
    assert await _statuses(alice, "/v1/checks", 1) == [200]


async def test_each_route_and_each_key_counts_apart(limited: Harness) -> None:
    alice = await limited.persona("alice")
    charlie = await limited.persona("charlie")
    assert await _statuses(alice, "/v1/checks", 4) == [200, 200, 200, 429]
    assert await _statuses(alice, "/v1/check-groups", 1) == [200]
    assert await _statuses(charlie, "/v1/checks", 1) == [200]


async def test_every_id_of_a_route_shares_its_counter(limited: Harness) -> None:
    alice = await limited.persona("alice")
    paths = [f"/v1/checks/{n:08d}-0000-4000-8000-000000000000" for n in range(4)]
    assert [(await alice.get(path)).status_code for path in paths] == [404, 404, 404, 429]


async def test_the_raw_result_lists_have_a_lower_limit_of_their_own(limited: Harness) -> None:
    alice = await limited.persona("alice")
    path = "/v2/check-results/00000000-0000-4000-8000-000000000000"
    assert await _statuses(alice, path, 3) == [404, 404, 429]


async def test_a_bad_key_is_refused_without_counting(limited: Harness) -> None:
    alice = await limited.persona("alice")
    wrong = {"Authorization": "Bearer vtg_not-a-key"}
    assert [(await alice.get("/v1/checks", headers=wrong)).status_code for _ in range(5)] == [
        401
    ] * 5
    assert await _statuses(alice, "/v1/checks", 1) == [200]


async def test_the_agent_api_and_metrics_are_not_limited(limited: Harness) -> None:
    alice = await limited.persona("alice")
    created = await alice.post(
        "/v1/private-locations", json={"name": "Office", "slugName": "office"}
    )
    agent_key = created.json()["keys"][0]["rawKey"]
    agent = {"Authorization": f"Bearer {agent_key}"}
    beats = [
        await limited.client.post("/agent/v1/heartbeat", json={"agentId": "a1"}, headers=agent)
        for _ in range(5)
    ]
    assert [beat.status_code for beat in beats] == [200] * 5
    scrapes = [await limited.client.get("/metrics") for _ in range(5)]
    assert [scrape.status_code for scrape in scrapes] == [200] * 5


async def test_a_limit_of_zero_turns_the_limit_off(database_url: str) -> None:
    settings = settings_for(database_url, rate_limit=0, rate_limit_routes="")
    async with running_vantage(settings, background=False) as vantage:
        alice = await vantage.persona("alice")
        assert set(await _statuses(alice, "/v1/checks", 20)) == {200}


async def test_replicas_on_one_postgresql_share_the_counters(tmp_path: Path) -> None:
    url = await fresh_postgres()
    settings = settings_for(url, **LIMITED)
    async with (
        running_vantage(settings, background=False) as one,
        running_vantage(settings, background=False) as two,
    ):
        alice = await one.persona("alice")
        on_two = Persona(alice.account_id, alice.api_key, two.client)
        statuses = [
            (await (alice if n % 2 else on_two).get("/v1/checks")).status_code for n in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        refused = await alice.get("/v1/checks")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 60
