"""Creating checks and running them to completion through the API, as a client does."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Persona


async def create(persona: Persona, payload: dict[str, Any], kind: str = "api") -> str:
    """Create a check of `kind` (api, url, tcp, dns); return its id."""
    response = await persona.post(f"/v1/checks/{kind}", json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def run(persona: Persona, check_id: str, version: int = 2) -> dict[str, Any]:
    """Trigger one session of the check and wait until it has finished."""
    response = await persona.post(
        f"/v{version}/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    assert response.status_code == 201, response.text
    session_id = response.json()["sessions"][0]["checkSessionId"]
    done = await persona.get(
        f"/v{version}/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body
