"""Steps of the alerting tests: a channel, a check on the real HTTP target, runs, the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from tests.groups.test_runs import completion, trigger
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import alert_notifications


async def channel(persona: Persona, channel_type: str, config: dict[str, Any], **flags: Any) -> int:
    response = await persona.post(
        "/v1/alert-channels", json={"type": channel_type, "config": config, **flags}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def check(persona: Persona, target: HttpTarget, channel_ids: list[int], **fields: Any) -> str:
    subs = [{"alertChannelId": c, "activated": True} for c in channel_ids]
    body = api_check(f"{target.base_url}/status/500", alertChannelSubscriptions=subs, **fields)
    response = await persona.post("/v1/checks/api", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def point_at(persona: Persona, check_id: str, target: HttpTarget, path: str) -> None:
    response = await persona.put(
        f"/v1/checks/{check_id}", json={"request": {"url": f"{target.base_url}{path}"}}
    )
    assert response.status_code == 200, response.text


async def run(persona: Persona, check_id: str) -> str:
    """One run of the check, to its end (its alerts are decided by then)."""
    [session] = await trigger(persona, checkId=[check_id])
    result = await completion(persona, session["checkSessionId"])
    return str(result["status"])


async def outbox(vantage: Harness) -> list[Any]:
    async with vantage.runtime.db.read() as conn:
        rows = await conn.execute(
            sa.select(alert_notifications).order_by(alert_notifications.c.seq)
        )
        return list(rows.all())


async def settled(vantage: Harness, count: int, timeout: float = 30.0) -> list[Any]:
    """The outbox once it holds `count` notifications, none of them still to deliver."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await outbox(vantage)
        if len(rows) >= count and all(r.status not in ("PENDING", "IN_PROGRESS") for r in rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"outbox not settled: {[(r.alert_type, r.status) for r in rows]}")
        await asyncio.sleep(0.02)
