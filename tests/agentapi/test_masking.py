"""Result intake masks with the server's names: an agent that masked less (an older agent, or one
started with other names) cannot get a credential stored."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.agentapi.conftest import Agent, item, start_session
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_results
from vantage.probes.masking import MASK


async def test_the_server_masks_what_an_agent_left_in_plaintext(
    vantage: Harness, berlin: Agent, alice: Persona, http_target: HttpTarget
) -> None:
    await start_session(alice, http_target, "berlin")
    [job] = await berlin.lease()
    unmasked: dict[str, Any] = {
        "assertions": [],
        "request": {
            "method": "GET",
            "url": "http://t.test/echo?api_key=AGENT-URL-KEY",
            "data": "",
            "headers": {"X-Api-Key": "AGENT-PLAIN-KEY", "Accept": "*/*"},
            "params": {},
        },
        "response": {
            "status": 200,
            "body": '{"seen": "AGENT-PLAIN-KEY"}',
            "headers": {"set-cookie": "sid=AGENT-SESSION"},
        },
        "requestError": None,
    }
    [status] = await berlin.submit(item(job, detail=unmasked, error="failed near AGENT-PLAIN-KEY"))
    assert status["status"] == "accepted", status

    async with vantage.runtime.db.read() as conn:
        [stored] = list(await conn.scalars(sa.select(check_results.c.detail)))
    dumped = json.dumps(stored)
    for secret in ("AGENT-URL-KEY", "AGENT-PLAIN-KEY", "AGENT-SESSION"):
        assert secret not in dumped, secret
    assert stored["request"]["headers"] == {"X-Api-Key": MASK, "Accept": "*/*"}
    assert stored["request"]["url"] == f"http://t.test/echo?api_key={MASK}"
    assert stored["response"]["body"] == f'{{"seen": "{MASK}"}}'
