"""`checkly test` and `checkly trigger` run against a real `vantage server`, results streamed over
the MQTT result channel at /mqtt (fixtures in conftest.py, the project in project.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from websockets.sync.client import connect as ws_connect

from tests.agent.processes import spawn_agent, vantage_cli
from tests.targets.dns_target import dns_target
from tests.targets.http_target import open_gate
from vantage.config import Settings
from vantage.mqtt import codec

from .conftest import (
    CHECKLY_ENTRY,
    DEFAULT_CLI_TIMEOUT,
    NODE_BIN,
    ChecklyCli,
    CheckSet,
    CliResult,
    Target,
    VantageServer,
    create_api_check,
    strip_ansi,
)
from .project import write_project

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("describe_server")]


@pytest.fixture(scope="module")
def dns_port() -> Iterator[int]:
    """The DNS target of the DNS monitor, on its own event loop in a thread."""
    ready: list[int] = []
    started = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        async with dns_target() as target:
            ready.append(target.port)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "the DNS target did not start"
    yield ready[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=10)
    loop.close()


def _project(root: Path, target: Target, dns_port: int, *, failing: bool) -> Path:
    port = urllib.parse.urlsplit(target.base_url).port
    assert port is not None
    return write_project(
        root, http=target.base_url, tcp_port=port, dns_port=dns_port, failing=failing
    )


@pytest.fixture(scope="module")
def passing_project(
    tmp_path_factory: pytest.TempPathFactory, target: Target, dns_port: int
) -> Path:
    return _project(tmp_path_factory.mktemp("passing"), target, dns_port, failing=False)


@pytest.fixture(scope="module")
def failing_project(
    tmp_path_factory: pytest.TempPathFactory, target: Target, dns_port: int
) -> Path:
    return _project(tmp_path_factory.mktemp("failing"), target, dns_port, failing=True)


def mqtt_url(checkly: ChecklyCli) -> str:
    return checkly.api_url.replace("http://", "ws://", 1) + "/mqtt"


def run_test(checkly: ChecklyCli, project: Path, *args: str) -> CliResult:
    return checkly.run("test", *args, cwd=project, CHECKLY_MQTT_URL=mqtt_url(checkly))


def test_checkly_test_of_a_passing_project_exits_0_with_the_clis_summary(
    checkly: ChecklyCli, passing_project: Path
) -> None:
    result = run_test(checkly, passing_project)

    assert result.exit_code == 0, result.describe()
    for name in ("API check", "URL monitor", "TCP monitor", "DNS monitor"):
        assert re.search(rf"✔ {name} \(\d+ms\)", result.output), result.describe()
    assert "4 passed, 4 total" in result.output, result.describe()


def test_checkly_test_of_a_failing_check_exits_1_and_shows_the_failing_assertion(
    checkly: ChecklyCli, failing_project: Path
) -> None:
    result = run_test(checkly, failing_project)

    assert result.exit_code == 1, result.describe()
    assert re.search(r"✖ API check \(\d+ms\)", result.output), result.describe()
    # marked failed (the CLI's ✖ is for an assertion with an `error`), not only printed
    assert '✖ status code equals target "418". Received: 200.' in result.output, result.describe()
    assert "1 failed, 3 passed, 4 total" in result.output, result.describe()
    # the links it prints are the web UI's pages: the session's, and the failed result's
    pages = f"{checkly.api_url}/accounts/{checkly.account_id}"
    flat = result.flat_output
    assert f"Detailed session summary at: {pages}/test-sessions/" in flat, result.describe()
    assert re.search(rf"View result: {pages}/checks/\S+/check-sessions/\S+/results/", flat), (
        result.describe()
    )


def test_env_flag_overrides_the_groups_variable_for_the_run(
    checkly: ChecklyCli, passing_project: Path
) -> None:
    # The group's TARGET_PATH=ok makes the API check pass; --env sends it to /fail (500).
    result = run_test(checkly, passing_project, "--env", "TARGET_PATH=fail")

    assert result.exit_code == 1, result.describe()
    assert "Received: 500." in result.output, result.describe()


def test_grep_and_tags_pick_the_checks_that_run(checkly: ChecklyCli, passing_project: Path) -> None:
    by_name = run_test(checkly, passing_project, "--grep", "TCP")
    by_tag = run_test(checkly, passing_project, "--tags", "net")

    assert "1 passed, 1 total" in by_name.output, by_name.describe()
    assert "TCP monitor" in by_name.output and "DNS monitor" not in by_name.output
    assert "2 passed, 2 total" in by_tag.output, by_tag.describe()
    assert "API check" not in by_tag.output, by_tag.describe()


def test_record_keeps_the_session_listed_with_its_results(
    checkly: ChecklyCli, passing_project: Path, api: httpx2.Client
) -> None:
    result = run_test(checkly, passing_project, "--record", "--grep", "URL")
    assert result.exit_code == 0, result.describe()
    session_id = _session_id(result)

    listed = api.get("/v1/test-sessions").json()["entries"]
    got = api.get(f"/v1/test-sessions/{session_id}").json()

    assert session_id in [e["id"] for e in listed]
    assert got["status"] == "PASSED"
    assert [(r["name"], r["status"]) for r in got["results"]] == [("URL monitor", "PASSED")]


def test_an_ad_hoc_run_of_a_deployed_check_leaves_its_status_alone(
    checkly: ChecklyCli, checks: CheckSet, api: httpx2.Client
) -> None:
    """`checkly trigger --tags broken` runs the failing check; its status row is the one a run of
    the check's own (here `checks run`, which writes it) left, never this session's result."""
    status_url = f"/v1/check-statuses/{checks.failing['id']}"
    made_status = checkly.run("checks", "run", "--check-id", checks.failing["id"])
    assert made_status.exit_code == 1, made_status.describe()
    assert api.get(status_url).status_code == 200

    result = checkly.run(
        "trigger", "--tags", "broken", "--location", "local", CHECKLY_MQTT_URL=mqtt_url(checkly)
    )
    status = api.get(status_url)

    assert result.exit_code == 1, result.describe()
    assert checks.failing["name"] in result.output, result.describe()
    assert "1 failed, 1 total" in result.output, result.describe()
    [ad_hoc] = stored_results(api, _session_id(result))
    assert status.status_code == 200, status.text
    # the status says the id as a string, a result as a number (as Checkly's API does)
    assert status.json()["lastCheckRunId"] not in (None, str(ad_hoc["checkRunId"]))


def test_trigger_with_tags_streams_the_results_of_the_deployed_checks(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("trigger", "--tags", "smoke", CHECKLY_MQTT_URL=mqtt_url(checkly))

    assert result.exit_code == 0, result.describe()
    assert re.search(rf"✔ {re.escape(checks.ok['name'])} \(\d+ms\)", result.output), (
        result.describe()
    )
    assert "1 passed, 1 total" in result.output, result.describe()


GATED_MAX_MS = 30000


@pytest.fixture
def fast_and_gated_checks(
    api: httpx2.Client, checks: CheckSet, target: Target
) -> Iterator[tuple[dict[str, Any], dict[str, Any], str]]:
    """Two deployed checks tagged `streamed`: one answered at once, one held at a gate until the
    test opens it. Deleted afterwards, so the other tests' counts stay as they were."""
    gate = f"streamed-{uuid.uuid4().hex[:8]}"
    made = [
        create_api_check(
            api, name="streamed fast", url=target.url("/ok"), tags=["streamed"],
            location=checks.location,
        ),
        create_api_check(
            api, name="streamed gated", url=target.url(f"/gate?name={gate}"), tags=["streamed"],
            location=checks.location, degraded_ms=GATED_MAX_MS, max_ms=GATED_MAX_MS,
        ),
    ]  # fmt: skip
    try:
        yield made[0], made[1], gate
    finally:
        open_gate(gate)
        for check in made:
            api.delete(f"/v1/checks/{check['id']}")


# How long the fast check's result may take to be printed: less than the gated run may last.
FIRST_RESULT_WITHIN = 25.0


async def trigger_opening_the_gate_after(
    checkly: ChecklyCli, tag: str, gate: str, printed: re.Pattern[str]
) -> tuple[str, CliResult]:
    """`checkly trigger --tags <tag>`, its stdout read as the CLI prints it: once a line matches
    `printed` (or FIRST_RESULT_WITHIN has passed) the gate opens. What it printed by then, and
    the whole run."""
    args = ("trigger", "--tags", tag)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(NODE_BIN), str(CHECKLY_ENTRY), *args,
        cwd=checkly.home, env=checkly.env(CHECKLY_MQTT_URL=mqtt_url(checkly)),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_RESULT_WITHIN):
                while not lines or not printed.search(strip_ansi(lines[-1]).rstrip("\n")):
                    line = await proc.stdout.readline()
                    if not line:
                        break
                    lines.append(line.decode(errors="replace"))
        before_gate = strip_ansi("".join(lines))
        open_gate(gate)
        async with asyncio.timeout(DEFAULT_CLI_TIMEOUT):
            rest, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    whole = CliResult(
        args, proc.returncode, "".join(lines) + rest.decode(errors="replace"),
        err.decode(errors="replace"), time.monotonic() - started,
    )  # fmt: skip
    return before_gate, whole


def test_trigger_with_tags_prints_each_result_while_the_others_still_run(
    checkly: ChecklyCli, fast_and_gated_checks: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    """The CLI reprints its summary as each result comes: the gate opens only once a summary
    counts one check passed and one running, so that result was streamed, not sent at the end."""
    fast, gated, gate = fast_and_gated_checks
    one_of_two = re.compile(r"^1 running, 1 passed, 2 total$")

    before_gate, result = asyncio.run(
        trigger_opening_the_gate_after(checkly, "streamed", gate, one_of_two)
    )

    assert one_of_two.search(before_gate.splitlines()[-1]), result.describe()
    assert re.search(rf"✔ {re.escape(fast['name'])} \(\d+ms\)", before_gate), result.describe()
    assert f"✔ {gated['name']}" not in before_gate, result.describe()
    assert result.exit_code == 0, result.describe()
    assert re.search(rf"✔ {re.escape(gated['name'])} \(\d+ms\)", result.output)
    assert "2 passed, 2 total" in result.output, result.describe()


def _session_id(result: CliResult) -> str:
    found = re.search(r"test-sessions/([0-9a-f-]{36})", result.output)
    assert found, result.describe()
    return found.group(1)


def stored_results(api: httpx2.Client, session_id: str) -> list[dict[str, Any]]:
    """The results a recorded test session stored, as `GET .../results/{id}` answers them."""
    session = api.get(f"/v1/test-sessions/{session_id}").json()
    return [
        api.get(f"/v1/test-sessions/{session_id}/results/{r['testSessionResultId']}").json()
        for r in session["results"]
    ]


def test_private_location_runs_every_check_on_that_locations_agent(
    checkly: ChecklyCli,
    passing_project: Path,
    api: httpx2.Client,
    tmp_path: Path,
) -> None:
    created = api.post("/v1/private-locations", json={"name": "Office", "slugName": "office-e2e"})
    assert created.status_code == 201, created.text
    key = api.post(f"/v1/private-locations/{created.json()['id']}/keys").json()["rawKey"]
    agent = spawn_agent(checkly.api_url, "office-e2e", key, tmp_path / "outbox", tmp_path)
    try:
        agent.agent_id()
        result = run_test(checkly, passing_project, "--private-location", "office-e2e", "--record")
    finally:
        agent.kill()

    assert result.exit_code == 0, result.describe()
    assert "4 passed, 4 total" in result.output, result.describe()
    stored = stored_results(api, _session_id(result))
    assert [r["runLocation"] for r in stored] == ["office-e2e"] * 4


def test_location_runs_every_check_in_that_public_location_and_an_unknown_one_is_refused(
    checkly: ChecklyCli,
    passing_project: Path,
    api: httpx2.Client,
    vantage_server: VantageServer,
    tmp_path: Path,
) -> None:
    slug = f"second-{uuid.uuid4().hex[:6]}"
    made = vantage_cli(
        "locations", "create", slug, "--name", "Second region",
        "--database-url", vantage_server.database_url,
    )  # fmt: skip
    agent = spawn_agent(checkly.api_url, slug, made["agentKey"], tmp_path / "outbox", tmp_path)
    try:
        agent.agent_id()
        result = run_test(checkly, passing_project, "--location", slug, "--record", "--tags", "net")
    finally:
        agent.kill()
    unknown = run_test(checkly, passing_project, "--location", "nowhere-1", "--tags", "net")

    assert result.exit_code == 0, result.describe()
    assert "2 passed, 2 total" in result.output, result.describe()
    stored = stored_results(api, _session_id(result))
    assert [r["runLocation"] for r in stored] == [slug, slug]
    assert unknown.exit_code == 1, unknown.describe()
    assert (
        'Unable to run checks on unsupported location "nowhere-1". Supported locations are: local'
        in unknown.flat_output
    ), unknown.describe()


def test_timeout_fails_a_check_still_running_when_it_is_reached(
    checkly: ChecklyCli, passing_project: Path
) -> None:
    """The CLI applies `--timeout` itself: the API check, sent to a gate that stays closed, has no
    result after 2 s and fails with the CLI's own message."""
    gate = f"timeout-{uuid.uuid4().hex[:8]}"
    try:
        result = run_test(
            checkly, passing_project, "--grep", "API", "--timeout", "2",
            "--env", f"TARGET_PATH=gate/{gate}",
        )  # fmt: skip
    finally:
        open_gate(gate)

    assert result.exit_code == 1, result.describe()
    assert "Reached timeout of 2 seconds waiting for check result." in result.flat_output, (
        result.describe()
    )
    assert "1 failed, 1 total" in result.output, result.describe()


def test_retries_show_the_failed_attempt_before_the_final_result(
    checkly: ChecklyCli, failing_project: Path, api: httpx2.Client
) -> None:
    result = run_test(checkly, failing_project, "--retries", "1", "--grep", "API", "--record")

    assert result.exit_code == 1, result.describe()
    session = api.get(f"/v1/test-sessions/{_session_id(result)}").json()
    [only] = session["results"]
    stored = api.get(
        f"/v1/test-sessions/{session['testSessionId']}/results/{only['testSessionResultId']}"
    ).json()
    assert (stored["attempts"], stored["resultType"]) == (2, "FINAL")


def test_detach_returns_at_once_and_test_sessions_get_watch_waits_for_the_result(
    checkly: ChecklyCli, passing_project: Path
) -> None:
    detached = run_test(checkly, passing_project, "--detach", "--grep", "TCP")
    assert detached.exit_code == 0, detached.describe()
    assert "Checks will continue running in the cloud." in detached.flat_output, detached.describe()
    session_id = _session_id(detached)

    watched = checkly.run("test-sessions", "get", session_id, "--watch")

    assert watched.exit_code == 0, watched.describe()
    [row] = [line for line in watched.output.splitlines() if "TCP monitor" in line]
    assert "passed" in row.split(), watched.describe()


def test_an_account_holding_its_mqtt_connections_gets_a_clear_refusal(
    checkly: ChecklyCli, vantage_server: VantageServer, passing_project: Path
) -> None:
    """Past `mqtt_max_connections_per_account` the CLI's CONNECT is refused (CONNACK 3), and
    `checkly test` says so and exits 1 before it starts anything."""
    created = subprocess.run(
        [vantage_server.vantage_bin, "accounts", "create", f"MQTT {uuid.uuid4().hex[:6]}"]
        + ["--json", "--database-url", vantage_server.database_url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    account = json.loads(created.stdout)
    cli = ChecklyCli(
        api_url=checkly.api_url,
        account_id=account["accountId"],
        api_key=account["apiKey"],
        home=checkly.home,
        server_log=checkly.server_log,
    )
    limit = Settings.model_fields["mqtt_max_connections_per_account"].default
    connect = codec.encode(
        codec.Connect("held", 60, True, account["accountId"], account["apiKey"].encode())
    )
    with contextlib.ExitStack() as held:
        for _ in range(limit):
            ws = held.enter_context(ws_connect(mqtt_url(cli), subprotocols=["mqtt"]))  # type: ignore[list-item]
            ws.send(connect)
            assert ws.recv(timeout=10) == codec.connack(codec.ACCEPTED)

        refused = run_test(cli, passing_project, "--grep", "URL")

    assert refused.exit_code == 1, refused.describe()
    assert "Server unavailable" in refused.output, refused.describe()
    sessions = httpx2.get(
        f"{cli.api_url}/v1/test-sessions",
        headers={"Authorization": f"Bearer {cli.api_key}", "X-Checkly-Account": cli.account_id},
    )
    assert sessions.json()["entries"] == []
    # with the connections let go, the same run goes through
    assert run_test(cli, passing_project, "--grep", "URL").exit_code == 0
