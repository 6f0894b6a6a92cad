"""The real `checkly checks run` against a session that waits on a location no agent serves: the
session ends TIMED_OUT (exit 1), and its JSON names the location and why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.agent.processes import Server, free_port, vantage_cli

from .conftest import ChecklyCli

pytestmark = pytest.mark.e2e


@pytest.fixture
def quick_deadlines(tmp_path: Path) -> Iterator[Server]:
    server = Server(
        f"sqlite:///{tmp_path / 'v.db'}",
        free_port(),
        tmp_path / "server.log",
        local_agent=True,
        # a session with no agent to run it ends a second after its run's own timeout
        env={"VANTAGE_SESSION_DEADLINE_SLACK_SECONDS": "1"},
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_checks_run_names_the_location_without_an_agent_in_its_json(
    checkly_cli_installed: str, quick_deadlines: Server, tmp_path: Path
) -> None:
    server = quick_deadlines
    vantage_cli(
        "locations", "create", "far-away", "--name", "Far", "--database-url", server.database_url
    )
    account = vantage_cli("accounts", "create", "ops", "--database-url", server.database_url)
    headers = {
        "Authorization": f"Bearer {account['apiKey']}",
        "X-Checkly-Account": account["accountId"],
    }
    check = httpx2.post(
        f"{server.url}/v1/checks/api",
        headers=headers,
        json={
            "name": "Nobody runs me",
            "locations": ["far-away"],
            "maxResponseTime": 1000,
            "degradedResponseTime": 500,
            "request": {"method": "GET", "url": "http://127.0.0.1:9/"},
        },
    )
    assert check.status_code == 201, check.text
    home = tmp_path / "home"
    home.mkdir()
    cli = ChecklyCli(server.url, account["accountId"], account["apiKey"], home, server.log)

    result = cli.run("checks", "run", "--check-id", check.json()["id"], "--output", "json")

    assert result.exit_code == 1, result.describe()
    [session] = json.loads(result.stdout)["sessions"]
    assert session["status"] == "TIMED_OUT"
    [error] = session["locationErrors"]
    assert error["runLocation"] == "far-away"
    assert "No agent of location 'far-away'" in error["message"]
