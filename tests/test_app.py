"""The server's lifespan: what it does when it stops."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from vantage import app as app_module


async def test_a_loop_that_swallows_its_cancellation_does_not_keep_the_server_from_stopping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "LOOP_STOP_SECONDS", 0.2)
    let_go = asyncio.Event()

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if let_go.is_set():
                    raise

    async def polite() -> None:
        await asyncio.sleep(3600)

    tasks = [
        asyncio.create_task(stubborn(), name="stubborn"),
        asyncio.create_task(polite(), name="polite"),
    ]
    await asyncio.sleep(0)
    with structlog.testing.capture_logs() as logs:
        await app_module._stop_loops(tasks)
    assert tasks[1].cancelled()
    assert not tasks[0].done()
    assert {
        "event": "loops did not stop in time",
        "loops": ["stubborn"],
        "log_level": "warning",
    } in logs
    let_go.set()
    tasks[0].cancel()
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]
