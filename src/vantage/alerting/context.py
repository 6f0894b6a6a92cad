"""The variables of one alert event (pure): Checkly's webhook template variables, plus a few of
Vantage's own (prefixed `_`) that the providers need and templates do not see."""

from __future__ import annotations

from typing import Any

from vantage.alerting.policy import Alert

TITLES = {
    "failure": 'Check "{name}" has failed',
    "degraded": 'Check "{name}" is degraded',
    "recovery": 'Check "{name}" has recovered',
}


def error_message(detail: Any) -> str:
    """What went wrong, in one line: the request's error, else the failed assertions."""
    if not isinstance(detail, dict):
        return ""
    error = detail.get("requestError")
    if error:
        return str(error)
    failed = [
        a
        for a in (detail.get("request") or {}).get("assertions") or detail.get("assertions") or []
        if isinstance(a, dict) and a.get("passed") is False
    ]
    parts = [
        f"{a.get('source')} {a.get('property') or ''} {a.get('comparison')} {a.get('target')}"
        f" (got {a.get('actual')!r})".replace("  ", " ")
        for a in failed
    ]
    return "; ".join(parts)


def _timed_out(session: Any) -> str:
    if getattr(session, "status", None) != "TIMED_OUT":
        return ""
    return "The run timed out: a location gave no result before its deadline"


def event_context(session: Any, alert: Alert, result: Any) -> dict[str, Any]:
    """The event as the outbox stores it: every template variable a provider renders."""
    name = session.name
    response = (result.detail or {}).get("response") if result is not None else None
    response = response if isinstance(response, dict) else {}
    tags = list(session.tags or [])
    result_path = f"/v1/check-results/{session.check_id}/{result.id}" if result is not None else ""
    return {
        "ALERT_TITLE": TITLES[alert.kind].format(name=name),
        "ALERT_TYPE": alert.alert_type,
        "CHECK_ID": session.check_id,
        "CHECK_NAME": name,
        "CHECK_TYPE": session.check_type,
        "CHECK_DESCRIPTION": session.config.get("description") or "",
        "CHECK_RESULT_ID": result.id if result is not None else "",
        "CHECK_ERROR_MESSAGE": (error_message(result.detail) if result is not None else "")
        or _timed_out(session),
        "API_CHECK_RESPONSE_STATUS_CODE": response.get("status"),
        "API_CHECK_RESPONSE_STATUS_TEXT": response.get("statusText") or "",
        "GROUP_NAME": session.group_name or "",
        "TAGS": tags,
        "RUN_LOCATION": result.run_location if result is not None else "",
        "REGION": result.run_location if result is not None else "",
        "RESPONSE_TIME": round(result.response_time) if result is not None else None,
        "STARTED_AT": (result.started_at if result is not None else session.started_at)
        .isoformat()
        .replace("+00:00", "Z"),
        "IS_REMINDER": alert.is_reminder,
        "REMINDER_SEQUENCE": alert.reminder_sequence,
        # RESULT_LINK is this path on the server's public URL, which only the sender knows.
        "_result_path": result_path,
        "_kind": alert.kind,
        "_episode": alert.episode,
        # One incident, one key: a failure's trigger and its recovery's resolve share it.
        "_incident_key": f"vantage-{session.check_id}-{alert.episode}",
    }
