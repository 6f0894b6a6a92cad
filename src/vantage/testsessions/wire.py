"""Test sessions and their results in the shapes the Checkly CLI reads (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vantage.mqtt.topics import ad_hoc_result_topic
from vantage.results.wire import result_wire
from vantage.sessions.wire import session_link
from vantage.timeutil import iso, whole_ms

ENDED = frozenset({"PASSED", "FAILED", "DEGRADED", "TIMED_OUT", "CANCELLED"})
# The CLI prints a BROWSER or MULTI_STEP result's `logs` (an array of lines, where the protocol
# checks' is {setup, request, teardown}) under "Logs"; it prints nothing else of such a result.
SCRIPT_TYPES = frozenset({"BROWSER", "MULTI_STEP"})


def status_of(check_statuses: list[str], cancelled: bool) -> str:
    """RUNNING until every check session ended; then CANCELLED, FAILED or PASSED."""
    if any(s not in ENDED for s in check_statuses):
        return "RUNNING"
    if cancelled or "CANCELLED" in check_statuses:
        return "CANCELLED"
    if any(s in ("FAILED", "TIMED_OUT") for s in check_statuses):
        return "FAILED"
    return "PASSED"


def run_status(check_session_status: str | None) -> str:
    """A check session's status as a test session's result says it (the CLI knows four)."""
    if check_session_status is None or check_session_status == "CANCELLED":
        return "CANCELLED"
    if check_session_status not in ENDED:
        return "RUNNING"
    return "FAILED" if check_session_status in ("FAILED", "TIMED_OUT") else "PASSED"


def link(base_url: str, account_id: str, test_session_id: str) -> str:
    """The web UI's page of a test session (vantage.ui), where Checkly's app has its own."""
    return f"{base_url.rstrip('/')}/accounts/{account_id}/test-sessions/{test_session_id}"


def result_link(
    base_url: str, account_id: str, check_id: str, check_session_id: str, final_id: str | None
) -> str:
    """The web UI's page of one check of a test session: its final result, or (none yet) its
    check session, as a check session's `checkResultLink` is formed."""
    page = session_link(base_url.rstrip("/"), account_id, check_id, check_session_id)
    return f"{page}/results/{final_id}" if final_id is not None else page


def stopped_at(sessions: list[Any]) -> datetime | None:
    if not sessions or any(s.stopped_at is None for s in sessions):
        return None
    latest: datetime = max(s.stopped_at for s in sessions)
    return latest


def test_session_wire(
    row: Any, sessions: Mapping[str, Any], finals: Mapping[str, Any], *, base_url: str
) -> dict[str, Any]:
    """`GET /v1/test-sessions/{id}`."""
    runs = list(row.runs)
    ordered = [sessions[r["checkSessionId"]] for r in runs if r["checkSessionId"] in sessions]
    status = status_of([s.status for s in ordered], row.cancelled_at is not None)
    stopped = stopped_at(ordered) if status != "RUNNING" else None
    results = []
    for run in runs:
        session = sessions.get(run["checkSessionId"])
        final = finals.get(run["checkSessionId"])
        results.append(
            {
                "testSessionResultId": run["checkSessionId"],
                "checkId": run["checkId"] or run["checkSessionId"],
                "logicalId": run["logicalId"],
                "checkType": run["checkType"],
                "name": run["name"],
                "runLocation": row.run_location,
                "resultType": "FINAL" if final is not None else None,
                "status": run_status(session.status if session is not None else None),
                "hasErrors": bool(final is not None and final.has_errors),
                "hasFailures": bool(final is not None and final.has_failures),
                "isDegraded": bool(final is not None and final.is_degraded),
                "aborted": session is not None and session.status in ("TIMED_OUT", "CANCELLED"),
                "errorGroupIds": [],
            }
        )
    return {
        "testSessionId": row.id,
        "testSessionLink": link(base_url, row.account_id, row.id),
        "name": row.name,
        "status": status,
        "startedAt": iso(row.created_at),
        "stoppedAt": iso(stopped) if stopped else None,
        "timeElapsed": whole_ms((stopped - row.created_at).total_seconds() * 1000)
        if stopped
        else None,
        "metadata": {"runLocation": row.run_location, "kind": row.kind},
        "errorGroupIds": [],
        "results": results,
    }


def list_entry(body: dict[str, Any], row: Any) -> dict[str, Any]:
    """One `GET /v1/test-sessions` entry, from the session's `test_session_wire`."""
    by_status: dict[str, list[str]] = {"passed": [], "failed": [], "running": [], "cancelled": []}
    for result in body["results"]:
        status = result["status"]
        bucket = status.lower()
        by_status[bucket].append(result["name"])
    return {
        "id": row.id,
        "name": row.name,
        "provider": "CLI",
        "status": body["status"],
        "region": row.run_location,
        "startedAt": body["startedAt"],
        "stoppedAt": body["stoppedAt"],
        "created_at": body["startedAt"],
        **by_status,
        "invoker": {"name": "API key"},
    }


def run_entry(runs: list[dict[str, Any]], session_id: str) -> dict[str, Any] | None:
    return next((r for r in runs if r["checkSessionId"] == session_id), None)


def topic(account_id: str, suite_id: str, run: Mapping[str, Any], subtopic: str) -> str:
    check_run = run.get("checkRunId") or run["checkSessionId"]
    return ad_hoc_result_topic(account_id, suite_id, run["sequenceId"], check_run, subtopic)


def result_message(row: Any, run: Mapping[str, Any], *, cancelled: bool = False) -> bytes:
    """The `result` publication of a stored result: the runner's view the CLI renders, with the
    check's request, response and assertions as `checkRunData`."""
    wire = result_wire(row, base_url="", with_detail=False)
    body = {
        "name": run["name"],
        "checkType": run["checkType"],
        "hasFailures": row.has_failures,
        "hasErrors": row.has_errors,
        "isDegraded": row.is_degraded,
        "overMaxResponseTime": row.over_max_response_time,
        "isCancelled": cancelled,
        "runLocation": row.run_location,
        "startedAt": wire["startedAt"],
        "stoppedAt": wire["stoppedAt"],
        "responseTime": wire["responseTime"],
        "attempts": row.attempts,
        "checkRunId": row.check_run_id,
        "sourceInfo": {"checkRunId": run.get("checkRunId"), "sequenceId": run["sequenceId"]},
        "checkRunData": row.detail or {},
        "logs": script_logs(row.detail or {})
        if run["checkType"] in SCRIPT_TYPES
        else {"setup": [], "request": [], "teardown": []},
        "assets": None,
    }
    message = {"result": body, "testResultId": run["checkSessionId"], "resultType": row.result_type}
    return json.dumps(message).encode()


def stream_logs_message(detail: Mapping[str, Any] | None) -> bytes | None:
    """The `stream-logs` publication of a result (`pw-test --stream-logs`): what the run printed,
    one entry per line as the CLI's reporters show them; None when it printed nothing (a protocol
    check has no output). Runs report once, at their end, so a run's lines come together, just
    before its `result`."""
    entries = []
    end = (detail or {}).get("endTime")
    for line in (detail or {}).get("jobLog") or ():
        if isinstance(line, dict) and isinstance(line.get("msg"), str):
            time = line.get("time")
            at = time if isinstance(time, int) else end if isinstance(end, int) else 0
            entries.append({"timestamp": at, "message": line["msg"]})
    return json.dumps({"logs": entries}).encode() if entries else None


def cancelled_message(run: Mapping[str, Any], location: str, now: datetime) -> bytes:
    """A FINAL result for a run cancelled before it reported (`checkly test` then Ctrl-C)."""
    body = {
        "name": run["name"],
        "checkType": run["checkType"],
        "hasFailures": True,
        "hasErrors": False,
        "isDegraded": False,
        "isCancelled": True,
        "runLocation": location,
        "startedAt": iso(now),
        "stoppedAt": iso(now),
        "responseTime": 0,
        "attempts": 0,
        "checkRunData": {},
        "logs": {"setup": [], "request": [], "teardown": []},
        "assets": None,
    }
    message = {"result": body, "testResultId": run["checkSessionId"], "resultType": "FINAL"}
    return json.dumps(message).encode()


def failing_steps(steps: Any) -> list[tuple[str, str]]:
    """(path, error) of each failed `test.step` with no failed step inside it: the step that
    failed, not the steps around it that failed with it. The path reads `test › step › inner`."""
    failed: list[tuple[tuple[str, ...], str]] = []
    stack: list[str] = []
    for step in steps if isinstance(steps, list) else ():
        if not isinstance(step, dict):
            continue
        depth = step.get("depth")
        depth = depth if isinstance(depth, int) and 0 <= depth <= len(stack) else len(stack)
        stack = [*stack[:depth], str(step.get("title", ""))]
        if step.get("status") == "failed":
            failed.append(((str(step.get("test", "")), *stack), str(step.get("error") or "")))
    return [
        (" › ".join(p for p in path if p), error)
        for path, error in failed
        if not any(len(o) > len(path) and o[: len(path)] == path for o, _ in failed)
    ]


def script_logs(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A script check's result as `checkly test` shows it: the run's job log, then the failing
    step and the errors, at ERROR level, so they are the last lines above the summary."""
    end = detail.get("endTime")
    at = end if isinstance(end, int) else 0
    lines: list[dict[str, Any]] = []
    for line in detail.get("jobLog") or ():
        if isinstance(line, dict) and isinstance(line.get("msg"), str):
            time = line.get("time")
            lines.append(
                {
                    "time": time if isinstance(time, int) else at,
                    "level": str(line.get("level") or "INFO"),
                    "msg": line["msg"],
                }
            )
    errors = [str(e) for e in detail.get("errors") or ()]
    for path, error in failing_steps(detail.get("steps")):
        # The test's error is its failing step's, with the code frame and stack: said once, with
        # the step.
        whole = next((e for e in errors if error and e.startswith(error)), error)
        if whole in errors:
            errors.remove(whole)
        message = f"Failing step: {path}" + (f"\n{whole}" if whole else "")
        lines.append({"time": at, "level": "ERROR", "msg": message})
    lines.extend({"time": at, "level": "ERROR", "msg": e} for e in errors)
    return lines
