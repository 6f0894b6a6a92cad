"""The API keeps the contract `/openapi.json` states, as schemathesis sees it from outside.

A real `vantage server` (scheduler off, embedded agent on, so triggered sessions finish) and a
real `schemathesis` process with every check: no 5xx, no status, header or body the document does
not declare, no valid request refused, no invalid one accepted. Generated checks are pinned to the
loopback targets (tests/support/contract_hooks.py). The seeded check, group, session, result and
private location are offered as path parameters half of the time, so answers about existing
objects are checked too. Deterministic generation and a small number of examples keep it
reproducible and short; the coverage phase runs on SQLite only.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.agent.processes import Server, free_port, vantage_cli
from tests.targets.dns_target import dns_target
from tests.targets.http_target import HttpTarget
from tests.targets.tcp_target import tcp_target

ROOT = Path(__file__).parent.parent
# Imported by name, with ROOT on the path; schemathesis runs in the test's directory, where its
# caches go.
HOOKS = "tests.support.contract_hooks"
SEED = 8
EXAMPLES = 10
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# A bound for a hung run, not a timing: alone on 2 cores the SQLite run takes 2.5 min, but beside
# the suite's other workers it gets a quarter of that and has taken 11 min (600 s cut it short).
RUN_SECONDS = 1500

pytestmark = [pytest.mark.e2e, pytest.mark.long, pytest.mark.timeout(RUN_SECONDS + 120)]


@dataclass
class Seeded:
    """What the run can address, with the credentials to do it."""

    server: Server
    account_id: str
    api_key: str
    agent_key: str
    ids: dict[str, str]
    targets: dict[str, str]


def _toml(value: Any) -> str:
    # JSON strings, numbers and booleans are TOML too.
    return json.dumps(value)


def config(
    seeded: Seeded,
    *,
    api_key: str,
    account_id: str,
    agent_key: str,
    examples: int = EXAMPLES,
    phases: tuple[str, ...] = PHASES,
) -> str:
    # Path parameters are integers (group_id) or strings, as the document declares them.
    dictionaries = "\n".join(
        f"[dictionaries.{name}]\nvalues = [{_toml(int(value) if name == 'group_id' else value)}]"
        for name, value in seeded.ids.items()
    )
    bindings = ", ".join(
        f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name in seeded.ids
    )
    enabled = "\n".join(f"[phases.{phase}]\nenabled = {_toml(phase in phases)}" for phase in PHASES)
    # The stateful phase fills bodies from other operations' answers through inferred links
    # and then calls a body "schema-valid" that carries their fields (`"retryStrategy": null`
    # sent to /v1/snippets): its positive-acceptance verdicts are not the document's.
    enabled += "\n[phases.stateful.checks.positive_data_acceptance]\nenabled = false"
    return f"""
seed = {SEED}
workers = 2
request-timeout = 15
continue-on-failure = true

[generation]
max-examples = {examples}
deterministic = true
database = "none"

[checks]
enabled = true

{enabled}

{dictionaries}

# Existing objects for operations that read, change or add to them; never for a DELETE, so
# the seeded objects stay for the whole run.
[[operations]]
include-method-regex = "^(GET|PUT|POST)$"
parameters = {{ {bindings} }}

# Hypothesis reports a flaky draw of this schema's 500-item lease arrays in the coverage phase
# (a schemathesis limitation); fuzzing still covers the operation.
[[operations]]
include-path = "/agent/v1/leases/extend"
phases.coverage.enabled = false

# The bodies of `POST /v1/checks` and `PUT /v1/checks/{{check_id}}` are the union of the four
# typed ones, whose paths the coverage phase walks already (a third of its requests otherwise).
[[operations]]
include-operation-id = ["create_check_v1_checks_post", "update_check_v1_checks__check_id__put"]
phases.coverage.enabled = false

# `checkly test` / `trigger` / `deploy` bodies: the envelope is documented, but what it carries is
# the CLI's construct synthesis checked as each resource's own route checks it (a status page's
# `payload: {{}}` lacks its name and url), and a run location must exist here: a body the envelope
# allows is mostly refused, rightly. The real CLI drives them (tests/cli_compat/); every other
# check still applies.
[[operations]]
include-operation-id = [
    "run_v1_test_sessions_run_post",
    "trigger_next_test_sessions_trigger_post",
    "public_trigger_v1_test_sessions_trigger_post",
    "deploy_v1_projects_deploy_post",
]
checks.positive_data_acceptance.enabled = false

# A session still running when the wait ends is a documented 408 ("retry"), not a refusal.
[[operations]]
include-path-regex = "/completion$"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "401", "403", "404", "408", "409", "429", "5xx",
]

# The coverage phase's walk of this body's schema trips CPython 3.11.7's "AST constructor
# recursion depth mismatch" inside schemathesis (a runtime error of the tool, not of the API);
# the examples, fuzzing and stateful phases still cover the operation.
[[operations]]
include-operation-id = ["batch_v1_analytics_checks_post"]
phases.coverage.enabled = false

[auth.openapi.Bearer]
bearer = {_toml(api_key)}

[auth.openapi.AccountId]
api_key = {_toml(account_id)}

[auth.openapi.AgentKey]
bearer = {_toml(agent_key)}
"""


async def run_schemathesis(seeded: Seeded, tmp: Path, name: str, toml: str) -> str:
    path = tmp / f"{name}.toml"
    path.write_text(toml)
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(path),
            "run",
            f"{seeded.server.url}/openapi.json",
            "--report",
            "har",
            "--report-har-path",
            str(tmp / f"{name}.har"),
            "--no-color",
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp,
            env={
                **environ(),
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": HOOKS,
                **seeded.targets,
            },
        )
        await asyncio.wait_for(process.wait(), RUN_SECONDS + 60)
    text = log.read_text(errors="replace")
    assert process.returncode == 0, text + "\n" + server_errors(seeded.server.log.read_text())
    return text


def server_errors(log: str) -> str:
    """The server's 5xx answers and error events, last: a failure report is often cut in its
    middle, and the traceback behind a 500 is what says what to fix."""
    lines = [
        line
        for line in log.splitlines()
        if '"status": 5' in line or '"level": "error"' in line or '"exception"' in line
    ]
    return "server errors:\n" + "\n".join(lines)[-12000:] if lines else "server errors: none"


def environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}


def statuses(har: Path) -> list[tuple[str, str, int]]:
    entries = json.loads(har.read_text())["log"]["entries"]
    return [(e["request"]["method"], e["request"]["url"], e["response"]["status"]) for e in entries]


async def _seed(server: Server, http: HttpTarget) -> tuple[dict[str, str], str, str, str]:
    account = vantage_cli("accounts", "create", "alice", "--database-url", server.database_url)
    headers = {
        "Authorization": f"Bearer {account['apiKey']}",
        "X-Checkly-Account": account["accountId"],
    }
    async with httpx2.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        location = await client.post(
            "/v1/private-locations", json={"name": "Contract", "slugName": "contract"}
        )
        assert location.status_code == 201, location.text
        group = await client.post("/v1/check-groups", json={"name": "seeded", "activated": True})
        assert group.status_code == 201, group.text
        check = await client.post(
            "/v1/checks/api",
            json={
                "name": "seeded",
                "groupId": group.json()["id"],
                "request": {"method": "GET", "url": f"{http.base_url}/json"},
            },
        )
        assert check.status_code == 201, check.text
        check_id = check.json()["id"]
        trigger = await client.post(
            "/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
        )
        assert trigger.status_code == 201, trigger.text
        session_id = trigger.json()["sessions"][0]["checkSessionId"]
        session = await client.get(f"/v2/check-sessions/{session_id}/completion")
        for _ in range(30):
            if session.status_code == 200:
                break
            session = await client.get(f"/v2/check-sessions/{session_id}/completion")
        assert session.status_code == 200, session.text
    ids = {
        "account_id": account["accountId"],
        "check_id": check_id,
        "group_id": str(group.json()["id"]),
        "check_session_id": session_id,
        "check_result_id": session.json()["results"][0]["checkResultId"],
        "location_id": location.json()["id"],
    }
    return ids, account["accountId"], account["apiKey"], location.json()["keys"][0]["rawKey"]


@pytest.fixture
async def seeded(
    database_url: str, tmp_path: Path, http_target: HttpTarget
) -> AsyncIterator[Seeded]:
    async with tcp_target("echo") as tcp, dns_target() as dns:
        server = Server(
            database_url,
            free_port(),
            tmp_path / "server.log",
            local_agent=True,
            # A /completion that would wait answers its 408 within a second; schemathesis sends
            # far more than a key's 600 requests a minute, and a 429 is no contract finding.
            # Fuzzed browser and multi-step checks end at once as the agent's error ("not
            # installed") instead of starting node and Chromium for each: the contract is the
            # API's, and a browser per run would starve the server on a small machine.
            env={
                "VANTAGE_MAX_WAIT_SECONDS": "1",
                "VANTAGE_RATE_LIMIT": "0",
                "VANTAGE_RATE_LIMIT_ROUTES": "",
                "VANTAGE_BROWSER_RUNTIME": str(tmp_path / "no-browser-runtime"),
            },
        )
        server.start()
        try:
            ids, account_id, api_key, agent_key = await _seed(server, http_target)
            targets = {
                "CONTRACT_HTTP_URL": f"{http_target.base_url}/json",
                "CONTRACT_TCP_PORT": str(tcp.port),
                "CONTRACT_DNS_PORT": str(dns.port),
            }
            yield Seeded(server, account_id, api_key, agent_key, ids, targets)
        finally:
            server.kill()


async def test_the_api_keeps_its_contract_with_valid_credentials(
    seeded: Seeded, tmp_path: Path
) -> None:
    # The coverage phase (every boundary of every schema, ~8000 requests) runs once, on SQLite.
    on_sqlite = seeded.server.database_url.startswith("sqlite")
    toml = config(
        seeded,
        api_key=seeded.api_key,
        account_id=seeded.account_id,
        agent_key=seeded.agent_key,
        phases=PHASES if on_sqlite else ("examples", "fuzzing", "stateful"),
    )
    await run_schemathesis(seeded, tmp_path, "valid", toml)
    answered = statuses(tmp_path / "valid.har")
    assert not [s for s in answered if s[2] >= 500]
    # The run reached the seeded objects and got real answers, not only 4xx.
    successes = {url.split("?")[0] for _, url, status in answered if 200 <= status < 300}
    assert f"{seeded.server.url}/v1/check-results/{seeded.ids['check_id']}" in successes
    assert any("/agent/v1/" in url for url in successes)


async def test_every_operation_refuses_invalid_credentials(seeded: Seeded, tmp_path: Path) -> None:
    toml = config(
        seeded,
        api_key="vtg_" + "x" * 43,
        account_id=seeded.account_id,
        agent_key="vtg_agent_" + "x" * 43,
        examples=3,
        phases=("fuzzing",),
    )
    await run_schemathesis(seeded, tmp_path, "invalid", toml)
    answered = statuses(tmp_path / "invalid.har")
    assert answered
    # Undeclared methods get their 405 before any authentication; everything else is a 401.
    assert {status for _, _, status in answered} <= {401, 405}
    assert 401 in {status for _, _, status in answered}
