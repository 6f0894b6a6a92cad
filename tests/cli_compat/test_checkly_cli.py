"""The real `checkly` CLI (9.x) works against a real `vantage server`.

Expected output is what the CLI prints against Checkly itself (read from checkly 9.5.0's
formatters; see docs/checkly-cli.md). Fixtures are in conftest.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import httpx2
import pytest

from .conftest import BULK_COUNT, Account, ChecklyCli, CheckSet, CliResult

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("describe_server")]


def lines(result: CliResult) -> list[str]:
    return result.output.splitlines()


def row_for(result: CliResult, needle: str) -> str:
    """The single table row that contains `needle` (a check, session or result id).

    The indented hint lines under a table (`  Open session:  http://...`) repeat ids, so
    they are skipped.
    """
    found = [line for line in lines(result) if needle in line and not line.startswith(" ")]
    assert len(found) == 1, f"expected one line containing {needle!r}:\n{result.describe()}"
    return found[0]


def session_row_status(result: CliResult, check_id: str) -> str:
    """The STATUS column (first column) of the `checks run` table row for a check."""
    return row_for(result, check_id).split()[0]


def check_ids_in(result: CliResult, checks: CheckSet) -> set[str]:
    return {c["id"] for c in checks.all if c["id"] in result.output}


# --------------------------------------------------------------------------- whoami


def test_whoami_names_the_account_it_is_authenticated_as(
    checkly: ChecklyCli, account: Account
) -> None:
    result = checkly.run("whoami")

    assert result.exit_code == 0, result.describe()
    assert re.search(
        rf'You are currently on account "{re.escape(account.name)}" '
        rf"\({re.escape(account.account_id)}\) as \S.*\.",
        result.output,
    ), result.describe()
    assert "This account is resolved from your environment" in result.output, result.describe()


def test_whoami_with_a_wrong_api_key_reports_failed_authentication(checkly: ChecklyCli) -> None:
    result = checkly.run("whoami", CHECKLY_API_KEY="cu_wrongwrongwrongwrongwrong")

    assert result.exit_code == 1, result.describe()
    flat = result.flat_output
    assert "Authentication failed with account id" in flat, result.describe()
    assert 'API key "...rong"' in flat, result.describe()
    # The server answered with a Boom 401 body, which the CLI maps to UnauthorizedError.
    assert "UnauthorizedError" in flat, result.describe()


# --------------------------------------------------------------------------- checks list


def test_checks_list_shows_every_check_in_a_table(checkly: ChecklyCli, checks: CheckSet) -> None:
    total = len(checks.all)

    result = checkly.run("checks", "list", "--limit", "100")

    assert result.exit_code == 0, result.describe()
    header = next((ln for ln in lines(result) if ln.startswith("NAME")), "")
    assert header.split() == ["NAME", "TYPE", "STATUS", "FREQ", "TAGS", "ID"], result.describe()
    for check in checks.all:
        row = row_for(result, check["id"])
        assert row.startswith(check["name"]), result.describe()
        assert " API " in row, result.describe()
    assert f"({total} total checks)" in result.output, result.describe()
    assert f"Showing 1-{total} of {total} checks (page 1/1)" in result.output, result.describe()
    # Deactivated checks show as inactive; frequency 60 minutes shows as 1h.
    bulk_row = row_for(result, checks.bulk[0]["id"])
    assert "inactive" in bulk_row.split(), result.describe()
    assert "1h" in bulk_row.split(), result.describe()


def test_checks_list_filters_by_one_tag(checkly: ChecklyCli, checks: CheckSet) -> None:
    result = checkly.run("checks", "list", "--tag", "smoke")

    assert result.exit_code == 0, result.describe()
    assert check_ids_in(result, checks) == {checks.ok["id"]}, result.describe()
    assert "(1 total checks)" in result.output, result.describe()
    assert "Showing 1-1 of 1 checks (page 1/1)" in result.output, result.describe()


def test_checks_list_with_several_tags_matches_checks_having_any_of_them(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    # Sent as ?tag[]=smoke&tag[]=slowpoke (axios' array format).
    result = checkly.run("checks", "list", "--tag", "smoke", "--tag", "slowpoke")

    assert result.exit_code == 0, result.describe()
    assert check_ids_in(result, checks) == {checks.ok["id"], checks.degraded["id"]}, (
        result.describe()
    )
    assert "Showing 1-2 of 2 checks (page 1/1)" in result.output, result.describe()


def test_checks_list_with_an_unknown_tag_says_nothing_matches(checkly: ChecklyCli) -> None:
    result = checkly.run("checks", "list", "--tag", "no-such-tag")

    assert result.exit_code == 0, result.describe()
    assert "No checks matching: tag=no-such-tag" in result.output, result.describe()


def test_checks_list_searches_names_case_insensitively(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("checks", "list", "--search", "CLI DEGR")

    assert result.exit_code == 0, result.describe()
    assert check_ids_in(result, checks) == {checks.degraded["id"]}, result.describe()


def test_checks_list_pages_through_more_checks_than_fit_on_one_page(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    bulk_ids = {c["id"] for c in checks.bulk}
    seen: list[str] = []
    pages = -(-BULK_COUNT // 5)
    for page in range(1, pages + 1):
        result = checkly.run("checks", "list", "--tag", "bulk", "--limit", "5", "--page", str(page))
        assert result.exit_code == 0, result.describe()
        on_page = [c for c in sorted(bulk_ids) if c in result.output]
        first, last = (page - 1) * 5 + 1, min(page * 5, BULK_COUNT)
        assert len(on_page) == last - first + 1, result.describe()
        assert f"Showing {first}-{last} of {BULK_COUNT} checks (page {page}/{pages})" in (
            result.output
        ), result.describe()
        if page < pages:
            assert f"checkly checks list --page {page + 1}" in result.output, result.describe()
        else:
            assert "Next page:" not in result.output, result.describe()
        seen.extend(on_page)
    assert sorted(seen) == sorted(bulk_ids), "pages overlap or miss checks"


def test_checks_list_json_reports_the_total_from_content_range(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("checks", "list", "--tag", "bulk", "--limit", "10", "--output", "json")

    assert result.exit_code == 0, result.describe()
    data = result.json()
    assert data["pagination"] == {
        "page": 1,
        "limit": 10,
        "total": BULK_COUNT,
        "totalPages": 2,
    }, result.describe()
    assert len(data["data"]) == 10, result.describe()
    assert {c["id"] for c in data["data"]} <= {c["id"] for c in checks.bulk}, result.describe()


# --------------------------------------------------------------------------- checks get


def test_checks_get_shows_the_check_details(checkly: ChecklyCli, checks: CheckSet) -> None:
    check = checks.failing

    result = checkly.run("checks", "get", check["id"])

    assert result.exit_code == 0, result.describe()
    out = result.output
    assert lines(result)[0].strip() == check["name"], result.describe()
    assert re.search(r"^Type:\s+API$", out, re.M), result.describe()
    assert re.search(r"^Frequency:\s+Every 1h$", out, re.M), result.describe()
    assert re.search(rf"^Locations:\s+{re.escape(checks.location)}$", out, re.M), result.describe()
    assert re.search(r"^Tags:\s+cli, web, broken$", out, re.M), result.describe()
    assert re.search(rf"^URL:\s+{re.escape(check['request']['url'])}$", out, re.M), (
        result.describe()
    )
    assert re.search(rf"^ID:\s+{check['id']}$", out, re.M), result.describe()
    assert "Back to list:" in out, result.describe()


def test_checks_get_lists_recent_results_after_a_run(
    checkly: ChecklyCli, checks: CheckSet, ok_run: dict[str, Any]
) -> None:
    result_id = ok_run["results"][0]["checkResultId"]

    result = checkly.run("checks", "get", checks.ok["id"])

    assert result.exit_code == 0, result.describe()
    assert "RECENT RESULTS" in result.output, result.describe()
    row = row_for(result, result_id)
    assert checks.location in row.split(), result.describe()
    assert "passing" in row.split(), result.describe()
    assert f"checkly checks get {checks.ok['id']} --result " in result.output, result.describe()


def test_checks_get_with_result_shows_the_api_check_result(
    checkly: ChecklyCli, checks: CheckSet, ok_run: dict[str, Any]
) -> None:
    result_id = ok_run["results"][0]["checkResultId"]

    result = checkly.run("checks", "get", checks.ok["id"], "--result", result_id)

    assert result.exit_code == 0, result.describe()
    out = result.output
    assert lines(result)[0].strip() == checks.ok["name"], result.describe()
    assert re.search(r"^Status:\s+passing$", out, re.M), result.describe()
    assert re.search(rf"^Location:\s+{re.escape(checks.location)}$", out, re.M), result.describe()
    assert re.search(r"^Result type:\s+FINAL$", out, re.M), result.describe()
    assert re.search(rf"^ID:\s+{result_id}$", out, re.M), result.describe()
    assert re.search(r"^REQUEST$", out, re.M), result.describe()
    assert re.search(r"^Method:\s+GET$", out, re.M), result.describe()
    assert re.search(rf"^URL:\s+{re.escape(checks.ok['request']['url'])}$", out, re.M), (
        result.describe()
    )
    assert re.search(r"^RESPONSE$", out, re.M), result.describe()
    assert re.search(r"^Status:\s+200\b", out, re.M), result.describe()
    assert re.search(r"STATUS_CODE EQUALS 200", out), result.describe()


def test_checks_get_of_an_unknown_check_fails(checkly: ChecklyCli) -> None:
    result = checkly.run("checks", "get", "00000000-0000-4000-8000-000000000000")

    assert result.exit_code == 1, result.describe()
    assert "Failed to get check details." in result.output, result.describe()


# --------------------------------------------------------------------------- checks run


def test_checks_run_by_check_id_waits_for_the_session_to_pass(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("checks", "run", "--check-id", checks.ok["id"])

    assert result.exit_code == 0, result.describe()
    assert "1 check session completed: 1 passed." in result.output, result.describe()
    header = next((ln for ln in lines(result) if ln.startswith("STATUS")), "")
    assert header.split() == [
        "STATUS",
        "NAME",
        "TYPE",
        "LOCATIONS",
        "DURATION",
        "CHECK",
        "ID",
        "SESSION",
        "ID",
    ], result.describe()
    row = row_for(result, checks.ok["id"])
    assert row.split()[:4] == ["passed", "cli", "ok", "API"], result.describe()
    assert checks.location in row.split(), result.describe()
    assert "Open session:" in result.output, result.describe()


def test_checks_run_with_several_tag_filters_runs_checks_matching_any_filter(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    # (cli AND smoke) OR slowpoke -> ok + degraded.
    result = checkly.run("checks", "run", "--tags", "cli,smoke", "--tags", "slowpoke")

    assert result.exit_code == 0, result.describe()
    assert check_ids_in(result, checks) == {checks.ok["id"], checks.degraded["id"]}, (
        result.describe()
    )
    assert "2 check sessions completed:" in result.output, result.describe()
    assert session_row_status(result, checks.ok["id"]) == "passed", result.describe()
    assert session_row_status(result, checks.degraded["id"]) == "degraded", result.describe()


def test_checks_run_with_a_negated_tag_skips_checks_having_it(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    # web AND NOT broken -> ok only (failing has web and broken).
    result = checkly.run("checks", "run", "--tags", "web,!broken")

    assert result.exit_code == 0, result.describe()
    assert check_ids_in(result, checks) == {checks.ok["id"]}, result.describe()
    assert "1 check session completed: 1 passed." in result.output, result.describe()


def test_checks_run_with_no_matching_checks_exits_1(checkly: ChecklyCli) -> None:
    result = checkly.run("checks", "run", "--tags", "no-such-tag")

    assert result.exit_code == 1, result.describe()
    assert "No matching checks were found." in result.output, result.describe()


def test_checks_run_with_no_matching_checks_and_no_fail_flag_exits_0(
    checkly: ChecklyCli,
) -> None:
    result = checkly.run("checks", "run", "--tags", "no-such-tag", "--no-fail-on-no-matching")

    assert result.exit_code == 0, result.describe()
    assert "No matching checks were found." in result.output, result.describe()


def test_checks_run_with_a_failing_check_exits_1_and_names_the_failure(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("checks", "run", "--check-id", checks.failing["id"])

    assert result.exit_code == 1, result.describe()
    assert "1 check session completed: 1 failed." in result.output, result.describe()
    row = row_for(result, checks.failing["id"])
    assert row.split()[:3] == ["failed", "cli", "failing"], result.describe()


def test_checks_run_with_a_degraded_check_exits_0(checkly: ChecklyCli, checks: CheckSet) -> None:
    result = checkly.run("checks", "run", "--check-id", checks.degraded["id"])

    assert result.exit_code == 0, result.describe()
    assert "1 check session completed: 1 degraded." in result.output, result.describe()
    assert session_row_status(result, checks.degraded["id"]) == "degraded", result.describe()


def test_checks_run_with_passing_and_failing_checks_exits_1(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    ids = f"{checks.ok['id']},{checks.failing['id']}"

    result = checkly.run("checks", "run", "--check-id", ids)

    assert result.exit_code == 1, result.describe()
    assert "2 check sessions completed:" in result.output, result.describe()
    assert session_row_status(result, checks.ok["id"]) == "passed", result.describe()
    assert session_row_status(result, checks.failing["id"]) == "failed", result.describe()


def test_checks_run_output_json_prints_the_completed_sessions_with_results(
    checkly: ChecklyCli, checks: CheckSet, ok_run: dict[str, Any]
) -> None:
    # ok_run is `checks run --check-id <ok> --output json`.
    session = ok_run
    assert session["checkId"] == checks.ok["id"]
    assert session["name"] == checks.ok["name"]
    assert session["checkType"] == "API"
    assert session["status"] == "PASSED"
    assert session["runLocations"] == [checks.location]
    assert session["stoppedAt"] is not None
    assert isinstance(session["timeElapsed"], int | float)
    assert session["checkSessionLink"].endswith(session["checkSessionId"])
    finals = [r for r in session["results"] if r["resultType"] == "FINAL"]
    assert len(finals) == 1, session
    final = finals[0]
    assert final["runLocation"] == checks.location
    assert final["hasFailures"] is False and final["hasErrors"] is False
    assert final["isDegraded"] is False
    assert final["checkResultId"]


def test_checks_run_detach_returns_as_soon_as_sessions_are_started(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("checks", "run", "--check-id", checks.slow["id"], "--detach")

    assert result.exit_code == 0, result.describe()
    assert "1 check session started." in result.output, result.describe()
    # The slow check takes 8 s: a session still started or in progress proves nothing was
    # awaited.
    status = session_row_status(result, checks.slow["id"])
    assert status in {"started", "progress"}, result.describe()


def test_checks_run_times_out_while_a_check_is_still_running(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    # The completion long-poll is asked for maxWaitSeconds<=2 and must answer 408 in time: the
    # CLI gives up on its own clock, and says so, while the 8 s check is still running (had it
    # waited for the run, the check would have passed).
    result = checkly.run("checks", "run", "--check-id", checks.slow["id"], "--timeout", "2")

    assert result.exit_code == 1, result.describe()
    assert "Timed out waiting for check sessions." in result.output, result.describe()


# --------------------------------------------------------------------------- api


def test_api_get_prints_the_raw_json_response(checkly: ChecklyCli, checks: CheckSet) -> None:
    result = checkly.run("api", f"/v1/checks/{checks.ok['id']}")

    assert result.exit_code == 0, result.describe()
    body = result.json()
    assert body["id"] == checks.ok["id"]
    assert body["name"] == checks.ok["name"]
    assert body["checkType"] == "API"


def test_api_get_with_fields_sends_them_as_query_parameters(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("api", "/v1/checks", "-X", "GET", "-F", "tag=bulk", "-F", "limit=3", "-i")

    assert result.exit_code == 0, result.describe()
    assert result.stdout.startswith("HTTP/1.1 200"), result.describe()
    assert re.search(rf"^content-range: \d+-\d+/{BULK_COUNT}$", result.stdout, re.M | re.I), (
        result.describe()
    )
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(body, list) and len(body) == 3, result.describe()
    assert {c["id"] for c in body} <= {c["id"] for c in checks.bulk}, result.describe()


def test_api_get_of_an_unknown_path_exits_1(checkly: ChecklyCli) -> None:
    result = checkly.run("api", "/v1/no-such-endpoint")

    assert result.exit_code == 1, result.describe()
    assert "Endpoint not found." in result.stderr, result.describe()


def test_runtimes_lists_every_runtime_checkly_accepts(checkly: ChecklyCli) -> None:
    result = checkly.run("runtimes")

    assert result.exit_code == 0, result.describe()
    runtimes = json.loads(result.stdout)
    names = [r["name"] for r in runtimes]
    assert {"2022.10", "2024.09", "2025.04", "2026.04"} <= set(names), result.describe()
    current = [r for r in runtimes if r["stage"] == "CURRENT"]
    assert [r["name"] for r in current] == ["2025.04"], result.describe()


# --------------------------------------------------------------------------- status and stats


def test_checks_list_with_status_failing_shows_only_failing_checks(
    checkly: ChecklyCli, checks: CheckSet, ok_run: dict[str, Any]
) -> None:
    ran = checkly.run("checks", "run", "--check-id", checks.failing["id"])
    assert ran.exit_code == 1, ran.describe()

    result = checkly.run("checks", "list", "--status", "failing", "--output", "json")

    assert result.exit_code == 0, result.describe()
    data = result.json()
    listed = {c["id"] for c in data["data"]}
    assert checks.failing["id"] in listed, result.describe()
    assert checks.ok["id"] not in listed, result.describe()


def test_checks_stats_shows_availability_and_response_times(
    checkly: ChecklyCli, checks: CheckSet, ok_run: dict[str, Any]
) -> None:
    result = checkly.run("checks", "stats", checks.ok["id"], "--output", "json")

    assert result.exit_code == 0, result.describe()
    [row] = result.json()["data"]
    assert row["checkId"] == checks.ok["id"]
    assert row["availability"] == 100
    assert isinstance(row["responseTime_avg"], int | float)

    table = checkly.run("checks", "stats")
    assert table.exit_code == 0, table.describe()
    assert "Failed to get check stats" not in table.output, table.describe()
    assert "100.00%" in row_for(table, checks.ok["name"]), table.describe()


def test_checks_get_shows_the_checks_statistics(
    checkly: ChecklyCli, checks: CheckSet, ok_run: dict[str, Any]
) -> None:
    result = checkly.run("checks", "get", checks.ok["id"], "--output", "json")

    assert result.exit_code == 0, result.describe()
    analytics = result.json()["analytics"]
    assert analytics["series"][0]["data"][0]["availability"] == 100, result.describe()


def test_checks_get_reads_no_error_groups_and_still_shows_the_check(
    checkly: ChecklyCli, checks: CheckSet
) -> None:
    result = checkly.run("checks", "get", checks.ok["id"])

    assert result.exit_code == 0, result.describe()
    assert "Failed to get check details" not in result.output, result.describe()


# --------------------------------------------------------------------------- env


def test_env_add_ls_update_and_rm_manage_the_accounts_variables(checkly: ChecklyCli) -> None:
    added = checkly.run("env", "add", "CLI_ENV_URL", "https://one.example")
    assert added.exit_code == 0, added.describe()
    assert 'Environment variable "CLI_ENV_URL" added.' in added.output, added.describe()
    again = checkly.run("env", "add", "CLI_ENV_URL", "https://two.example")
    assert again.exit_code == 1, again.describe()

    secret = checkly.run("env", "add", "CLI_ENV_TOKEN", "hunter22", "--secret")
    assert secret.exit_code == 0, secret.describe()
    updated = checkly.run("env", "update", "CLI_ENV_URL", "https://three.example")
    assert updated.exit_code == 0, updated.describe()

    listed = checkly.run("env", "ls")
    assert listed.exit_code == 0, listed.describe()
    assert "CLI_ENV_URL=https://three.example" in listed.output, listed.describe()
    assert "hunter22" not in listed.output, listed.describe()

    for key in ("CLI_ENV_URL", "CLI_ENV_TOKEN"):
        removed = checkly.run("env", "rm", key, "--force")
        assert removed.exit_code == 0, removed.describe()
    after = checkly.run("env", "ls")
    assert "CLI_ENV_URL" not in after.output, after.describe()


# --------------------------------------------------------------------------- heartbeats


def test_a_heartbeat_checks_ping_url_works_with_curl(
    api: httpx2.Client, checkly: ChecklyCli
) -> None:
    created = api.post(
        "/v1/checks/heartbeat",
        json={
            "name": "cli nightly job",
            "heartbeat": {"period": 1, "periodUnit": "hours", "grace": 5, "graceUnit": "minutes"},
        },
    )
    assert created.status_code == 201, created.text
    check = created.json()
    # What the CLI reads after deploying a HeartbeatMonitor construct.
    ping_url = api.get(f"/v1/checks/{check['id']}").json()["heartbeat"]["pingUrl"]

    for args in ([], ["-X", "POST"], ["-I"]):
        done = subprocess.run(
            ["curl", "-fsS", "--noproxy", "*", *args, ping_url],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    result = checkly.run("checks", "get", check["id"])
    assert result.exit_code == 0, result.describe()
    assert re.search(r"^Type:\s+HEARTBEAT$", result.output, re.M), result.describe()
    status = api.get(f"/v1/check-statuses/{check['id']}").json()
    assert status["hasFailures"] is False
