"""Costly judging leaves the event loop; cheap judging stays on it."""

from __future__ import annotations

import threading

from tests.targets.http_target import HttpTarget
from vantage.probes.http.probe import run_api_check
from vantage.probes.offload import INLINE_TEXT_CHARS, judged
from vantage.probes.regex import INLINE_WORK, MAX_WORK, extract


def where(budget: int) -> tuple[str, int]:
    return threading.current_thread().name, budget


async def test_a_small_response_is_judged_on_the_loop() -> None:
    name, budget = await judged(where, text_chars=INLINE_TEXT_CHARS)
    assert name == threading.current_thread().name
    assert budget == INLINE_WORK


async def test_a_large_response_is_judged_in_a_worker_thread() -> None:
    name, budget = await judged(where, text_chars=INLINE_TEXT_CHARS + 1)
    assert name.startswith("vantage-judge")
    assert budget == MAX_WORK


async def test_a_costly_regex_over_a_small_text_is_rerun_in_a_worker_thread() -> None:
    threads: list[str] = []

    def work(budget: int) -> str | None:
        threads.append(threading.current_thread().name)
        return extract("[ab]*a[ab]{1000}c", "ab" * 1000, budget=budget)

    assert await judged(work, text_chars=2000) is None
    assert threads[0] == threading.current_thread().name
    assert threads[1].startswith("vantage-judge")


async def test_a_one_mib_json_body_is_judged_with_jsonpath_and_regex(
    http_target: HttpTarget,
) -> None:
    result = await run_api_check(
        {
            "checkType": "API",
            "request": {
                "method": "GET",
                "url": f"{http_target.base_url}/big-json?items=18000",
                "assertions": [
                    {"source": "JSON_BODY", "property": "$[-1:].id", "comparison": "EQUALS",
                     "target": "17999"},
                    {"source": "JSON_BODY", "property": "$..id", "comparison": "CONTAINS",
                     "target": "12345"},
                    {"source": "TEXT_BODY", "comparison": "EQUALS", "target": "17999",
                     "regex": r'"id": (\d+), "name": "item-17999"'},
                ],
            },
        }
    )  # fmt: skip
    assert len(result.detail["response"]["body"]) > 1_000_000
    assert [a["passed"] for a in result.detail["assertions"]] == [True, True, True]
    assert not result.has_failures
