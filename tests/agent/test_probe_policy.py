"""Both agents run checks under the operator's probe policy (VANTAGE_PROBE_DENY): the embedded
agent, by default, keeps checks away from the server's own host; a real `vantage agent` process
takes the policy from `--probe-deny` or the environment."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.agent.processes import running_agent, running_server, vantage_cli
from tests.support.checks import api_check
from tests.support.databases import sqlite_url
from tests.support.harness import Persona, running_vantage, settings_for
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from tests.targets.tcp_target import tcp_target
from vantage.config import Settings

REFUSED = "Connection to 127.0.0.1 refused by the operator's probe policy (VANTAGE_PROBE_DENY)"
LOCATION = "edge-1"


def tagged(target: HttpTarget) -> tuple[str, str]:
    tag = uuid.uuid4().hex
    return f"{target.base_url}/ok?tag={tag}", tag


def reached(target: HttpTarget, tag: str) -> bool:
    return any(tag in request.query.get("tag", ()) for request in target.seen)


async def detail(persona: Persona | httpx2.AsyncClient, session: dict[str, Any]) -> Any:
    [result] = session["results"]
    path = f"/v1/check-results/{session['checkId']}/{result['checkResultId']}"
    response = await persona.get(path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def default_alice(database_url: str) -> AsyncIterator[Persona]:
    """An account on a server whose embedded agent has the production default policy."""
    default = Settings.model_fields["probe_deny"].default
    async with running_vantage(settings_for(database_url, probe_deny=default)) as vantage:
        yield await vantage.persona("alice")


async def test_the_embedded_agent_refuses_an_api_check_of_the_servers_own_host(
    default_alice: Persona, http_target: HttpTarget
) -> None:
    url, tag = tagged(http_target)
    done = await run(default_alice, await create(default_alice, api_check(url)))

    assert done["status"] == "FAILED"
    result = await detail(default_alice, done)
    assert result["hasFailures"] is True
    assert result["apiCheckResult"]["requestError"] == REFUSED
    assert result["apiCheckResult"]["response"]["status"] is None
    assert not reached(http_target, tag)


async def test_the_embedded_agent_refuses_a_tcp_check_of_the_servers_own_host(
    default_alice: Persona,
) -> None:
    async with tcp_target("echo") as target:
        check = {
            "name": "local redis",
            "request": {"hostname": "127.0.0.1", "port": target.port, "data": "INFO\r\n"},
        }
        done = await run(default_alice, await create(default_alice, check, kind="tcp"))

    assert done["status"] == "FAILED"
    result = await detail(default_alice, done)
    assert result["tcpCheckResult"]["requestError"] == REFUSED
    assert result["tcpCheckResult"]["response"]["data"] == ""
    assert target.connections == 0


# A real `vantage agent` process


@pytest.mark.e2e
@pytest.mark.parametrize("given_by", ["flag", "environment", "default"])
async def test_a_remote_agent_takes_its_policy_from_the_flag_or_the_environment(
    tmp_path: Path, http_target: HttpTarget, monkeypatch: pytest.MonkeyPatch, given_by: str
) -> None:
    # The policy lives in the agent: one database is enough.
    database_url = sqlite_url(tmp_path)
    account = vantage_cli("accounts", "create", "ops", "--database-url", database_url)
    agent_key = vantage_cli(
        "locations", "create", LOCATION, "--name", "Edge", "--database-url", database_url
    )["agentKey"]
    extra: list[str] = []
    if given_by == "flag":
        extra = ["--probe-deny", "127.0.0.0/8"]
    elif given_by == "environment":
        monkeypatch.setenv("VANTAGE_PROBE_DENY", "127.0.0.0/8")
    headers = {
        "Authorization": f"Bearer {account['apiKey']}",
        "X-Checkly-Account": account["accountId"],
    }
    url, tag = tagged(http_target)
    with running_server(database_url, tmp_path) as server:
        async with httpx2.AsyncClient(base_url=server.url, headers=headers, timeout=30) as api:
            created = await api.post("/v1/checks/api", json=api_check(url, locations=[LOCATION]))
            assert created.status_code == 201, created.text
            check_id = created.json()["id"]
            outbox = tmp_path / "outbox"
            with running_agent(server, LOCATION, agent_key, outbox, tmp_path, *extra) as agent:
                trigger = await api.post(
                    "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
                )
                assert trigger.status_code == 201, trigger.text
                session_id = trigger.json()["sessions"][0]["checkSessionId"]
                done = await api.get(
                    f"/v1/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 20}
                )
                assert done.status_code == 200, done.text
                assert agent.stop() == 0
            result = await detail(api, done.json())

    if given_by == "default":
        # a remote agent may check services on its own host unless told otherwise
        assert result["apiCheckResult"]["requestError"] is None
        assert reached(http_target, tag)
    else:
        assert result["apiCheckResult"]["requestError"] == REFUSED
        assert not reached(http_target, tag)
