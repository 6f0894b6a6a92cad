"""`streamLogs` (`checkly pw-test --stream-logs`): the installed CLI's own TestRunner, run with
streamLogs on, gets a script check's output as `stream-logs` on the MQTT result channel, before
its result (`stream_logs_runner.mjs`; `checkly test` 9.5.0 has no such flag, and `pw-test` needs
PlaywrightCheck, which Vantage does not run yet)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import CLI_PREFIX, NODE_BIN, ChecklyCli
from .test_checkly_browser import BROWSER_CLI_TIMEOUT
from .test_checkly_test import mqtt_url

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("describe_server")]

RUNNER = Path(__file__).with_name("stream_logs_runner.mjs")
DIST = CLI_PREFIX / "node_modules" / "checkly" / "dist"

SCRIPT = """\
import { test } from '@playwright/test'

test('tells what it does', async () => {
  console.log('looking for the basket')
  console.log('basket found')
})
"""


def multi_step_check(logical_id: str) -> dict[str, Any]:
    """A MultiStepCheck bundle's synthesis as `checkly test` sends it (checkly 9.5.0)."""
    return {
        "logicalId": logical_id,
        "name": "Basket story",
        "checkType": "MULTI_STEP",
        "script": SCRIPT,
        "scriptPath": "__checks__/basket.spec.ts",
        "dependencies": [],
        "runtimeId": "2025.04",
        "locations": ["local"],
        "frequency": 10,
        "tags": [],
        "activated": True,
        "muted": False,
        "environmentVariables": [],
    }


def run_streaming(checkly: ChecklyCli, payload: dict[str, Any]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [str(NODE_BIN), str(RUNNER), str(DIST), json.dumps(payload)],
        cwd=checkly.home,
        env=checkly.env(CHECKLY_MQTT_URL=mqtt_url(checkly)),
        capture_output=True,
        timeout=BROWSER_CLI_TIMEOUT,
        check=False,
    )
    out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_a_script_checks_output_is_streamed_before_its_result(checkly: ChecklyCli) -> None:
    logical_id = f"basket-{uuid.uuid4().hex[:6]}"

    events = run_streaming(checkly, multi_step_check(logical_id))

    kinds = [e["event"] for e in events]
    assert kinds[-1] == "result", events
    assert events[-1]["hasFailures"] is False, events
    streamed = [line for e in events if e["event"] == "logs" for line in e["logs"]]
    messages = [line["message"] for line in streamed]
    assert "looking for the basket" in messages, events
    assert messages.index("looking for the basket") < messages.index("basket found")
    assert all(isinstance(line["timestamp"], int) and line["timestamp"] > 0 for line in streamed)
    assert {e["logicalId"] for e in events} == {logical_id}
