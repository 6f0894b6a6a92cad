"""The real Checkly CLI's `alert-channels list / get / logs` against Vantage: channels created
through the API, a failing check's notification in the log (EMAIL without an SMTP server: the
delivery fails, and `logs --status failed` shows it), secrets masked in what the CLI prints."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.cli_compat.conftest import ChecklyCli, Target


@pytest.fixture(scope="module")
def alerting(api: httpx2.Client, target: Target) -> Iterator[dict[str, Any]]:
    """Removed afterwards: the CLI's other tests count the session account's checks."""
    email = api.post(
        "/v1/alert-channels",
        json={"type": "EMAIL", "config": {"address": "oncall@example.com"}},
    )
    assert email.status_code == 201, email.text
    pd = api.post(
        "/v1/alert-channels",
        json={"type": "PAGERDUTY", "config": {"serviceKey": "0123456789abcdef0123456789abcdef"}},
    )
    assert pd.status_code == 201, pd.text
    channel_id = email.json()["id"]
    check = api.post(
        "/v1/checks/api",
        json={
            "name": "Alerting via CLI",
            "frequency": 60,
            "locations": ["local"],
            "alertChannelSubscriptions": [{"alertChannelId": channel_id, "activated": True}],
            "request": {
                "method": "GET",
                "url": target.url("/fail"),
                "assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}],
            },
        },
    )
    assert check.status_code == 201, check.text
    trigger = api.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
    )
    assert trigger.status_code == 201, trigger.text
    session_id = trigger.json()["sessions"][0]["checkSessionId"]
    done = api.get(f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 30})
    assert done.status_code == 200 and done.json()["status"] == "FAILED", done.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        logged = api.get("/v1/alert-notifications", params={"alertChannelId": channel_id}).json()
        if logged and logged[0]["status"] == "FAILURE":
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no failed notification logged: {logged}")
    yield {"email": email.json(), "pagerduty": pd.json(), "check": check.json()}
    assert api.delete(f"/v1/checks/{check.json()['id']}").status_code == 204
    for channel in (email.json(), pd.json()):
        assert api.delete(f"/v1/alert-channels/{channel['id']}").status_code == 204


def test_alert_channels_list_shows_the_channels(
    checkly: ChecklyCli, alerting: dict[str, Any]
) -> None:
    result = checkly.run("alert-channels", "list", "-o", "json")
    assert result.exit_code == 0, result.describe()
    listed = result.json()
    channels = listed["data"] if isinstance(listed, dict) else listed
    ids = {c["id"] for c in channels}
    assert {alerting["email"]["id"], alerting["pagerduty"]["id"]} <= ids
    assert "0123456789abcdef0123456789abcdef" not in result.output


def test_alert_channels_get_shows_one_channel(
    checkly: ChecklyCli, alerting: dict[str, Any]
) -> None:
    channel_id = str(alerting["email"]["id"])
    result = checkly.run("alert-channels", "get", channel_id)
    assert result.exit_code == 0, result.describe()
    assert "oncall@example.com" in result.output
    assert "Type:            email" in result.output
    assert "Enabled events:  failure, recovery" in result.output


def test_alert_channels_logs_shows_the_failed_notification(
    checkly: ChecklyCli, alerting: dict[str, Any]
) -> None:
    channel_id = str(alerting["email"]["id"])
    result = checkly.run("alert-channels", "logs", channel_id, "--status", "failed", "-o", "json")
    assert result.exit_code == 0, result.describe()
    body = result.json()
    assert body["pagination"]["total"] == 1
    [entry] = body["data"]
    assert entry["status"] == "FAILURE"
    assert entry["checkId"] == alerting["check"]["id"]
    assert "no SMTP server configured" in entry["notificationResult"]
    table = checkly.run("alert-channels", "logs", channel_id)
    assert table.exit_code == 0, table.describe()
    assert "Showing 1 of 1 logs" in table.flat_output
    other = checkly.run("alert-channels", "logs", str(alerting["pagerduty"]["id"]))
    assert other.exit_code == 0, other.describe()
    assert "No alert channel logs found." in other.output
