"""From Playwright's JSON report to Checkly's `browserCheckResult` / `multiStepCheckResult`
(pure). Checkly's shape (reference browser.md §1) plus `steps`: every `test.step` with its
status, duration and error, so the failing step shows without opening the trace.

Web Vitals are scored with web.dev's bounds (LCP, FCP, CLS, TTFB) and Lighthouse's (TBT):
Checkly does not publish its own.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

# metric: (good up to, needs improvement up to); above that POOR.
VITAL_BOUNDS: dict[str, tuple[float, float]] = {
    "LCP": (2500, 4000),
    "FCP": (1800, 3000),
    "CLS": (0.1, 0.25),
    "TTFB": (800, 1800),
    "TBT": (200, 600),
}
MAX_STEPS = 200
MAX_ERRORS = 20
MAX_ERROR_CHARS = 4000
# The annotation a test carries once the script called markCheckAsDegraded.
DEGRADED = "vantage-degraded"
# Playwright colours its messages for terminals.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def score(metric: str, value: float | None) -> dict[str, Any]:
    if value is None:
        return {"value": None, "score": None}
    good, fair = VITAL_BOUNDS[metric]
    label = "GOOD" if value <= good else "NEEDS_IMPROVEMENT" if value <= fair else "POOR"
    return {"value": round(value, 3 if metric == "CLS" else 1), "score": label}


def web_vitals(raw: dict[str, Any]) -> dict[str, Any]:
    return {metric: score(metric, _number(raw.get(metric))) for metric in VITAL_BOUNDS}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def plain(text: Any) -> str:
    return _ANSI.sub("", str(text))[:MAX_ERROR_CHARS]


def _tests(suites: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(title, last result, annotations) of every test in the report's suites, depth first."""
    found: list[tuple[str, dict[str, Any], list[Any]]] = []
    for suite in suites:
        for spec in suite.get("specs") or ():
            for test in spec.get("tests") or ():
                results = test.get("results") or []
                if results:
                    result = results[-1]
                    notes = [*(test.get("annotations") or ()), *(result.get("annotations") or ())]
                    found.append((str(spec.get("title", "")), result, notes))
        found.extend(_tests(suite.get("suites") or []))
    return found


def degraded_mark(annotations: list[Any]) -> tuple[str, int] | None:
    """(reason, errors the test had when it was marked) of the test's `markCheckAsDegraded`
    (helpers.js) or `mark_degraded` (pyrunner.py) call; None when it made none."""
    for note in annotations:
        if not isinstance(note, dict) or note.get("type") != DEGRADED:
            continue
        try:
            mark = json.loads(str(note.get("description") or "{}"))
        except ValueError:
            mark = {}
        mark = mark if isinstance(mark, dict) else {}
        errors = mark.get("errors")
        return str(mark.get("reason") or ""), errors if isinstance(errors, int) else 0
    return None


def _steps(steps: list[dict[str, Any]], test: str, depth: int, out: list[dict[str, Any]]) -> None:
    for step in steps:
        if len(out) >= MAX_STEPS:
            return
        error = step.get("error")
        out.append(
            {
                "test": test,
                "title": str(step.get("title", "")),
                "depth": depth,
                "durationMs": step.get("duration"),
                "status": "failed" if error else "passed",
                "error": plain(error.get("message", "")) if isinstance(error, dict) else None,
            }
        )
        _steps(step.get("steps") or [], test, depth + 1, out)


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """What a run's report says: `passed`, `degraded` (the reasons of the tests that marked the
    check degraded), `errors`, `steps`, the shim's `traceSummary` and `pages`, console lines for
    the job log, and the attachments (name, path, contentType)."""
    errors: list[str] = []
    steps: list[dict[str, Any]] = []
    trace_summary = {
        "consoleErrors": 0,
        "networkErrors": 0,
        "documentErrors": 0,
        "userScriptErrors": 0,
    }
    pages: list[dict[str, Any]] = []
    console: list[dict[str, Any]] = []
    attachments: list[dict[str, str]] = []
    statuses: list[str] = []
    degraded: list[str] = []
    for title, result, notes in _tests(report.get("suites") or []):
        status = str(result.get("status", "failed"))
        mark = degraded_mark(notes)
        if mark is not None and (
            status == "passed"
            # Checkly's degraded check: soft assertions failed, then the script marked it; an
            # error after the mark still fails it.
            or (status == "failed" and len(result.get("errors") or ()) <= mark[1])
        ):
            degraded.append(mark[0] or f"Test {title!r} marked the check as degraded")
            status = "passed"
        statuses.append(status)
        for error in result.get("errors") or ():
            if len(errors) < MAX_ERRORS:
                errors.append(plain(error.get("message") or error.get("value") or error))
        if status in ("failed", "timedOut", "interrupted") and not result.get("errors"):
            errors.append(f"Test {title!r} {status}")
        if status != "passed":
            trace_summary["userScriptErrors"] += 1
        _steps(result.get("steps") or [], title, 0, steps)
        for attachment in result.get("attachments") or ():
            if attachment.get("name") == "vantage-browser-result":
                seen = _attached_json(attachment)
                for key in ("consoleErrors", "networkErrors", "documentErrors"):
                    trace_summary[key] += int((seen.get("traceSummary") or {}).get(key) or 0)
                pages.extend(
                    {"url": str(page.get("url", "")), "webVitals": web_vitals(page["webVitals"])}
                    for page in seen.get("pages") or ()
                    if isinstance(page, dict) and isinstance(page.get("webVitals"), dict)
                )
                console.extend(line for line in seen.get("console") or () if isinstance(line, dict))
            elif attachment.get("path"):
                attachments.append(
                    {
                        "name": str(attachment.get("name", "")),
                        "path": str(attachment["path"]),
                        "contentType": str(attachment.get("contentType", "")),
                    }
                )
    for error in report.get("errors") or ():
        # Errors outside any test: a script that does not compile, a bad import.
        if len(errors) < MAX_ERRORS:
            errors.append(plain(error.get("message") or error))
    passed = bool(statuses) and all(s in ("passed", "skipped") for s in statuses)
    if not statuses and not errors:
        errors.append("The script declares no test: nothing ran.")
    return {
        "passed": passed and not report.get("errors"),
        "degraded": degraded,
        "errors": errors,
        "steps": steps,
        "traceSummary": trace_summary,
        "pages": pages,
        "console": console,
        "attachments": attachments,
    }


def _attached_json(attachment: dict[str, Any]) -> dict[str, Any]:
    body = attachment.get("body")
    if not isinstance(body, str):
        return {}
    try:
        data = json.loads(base64.b64decode(body))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
