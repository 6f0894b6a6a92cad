"""Reading Playwright's JSON report into Checkly's result (pure)."""

from __future__ import annotations

import base64
import json

import pytest

from vantage.probes.browser.report import score, summarize
from vantage.probes.browser.workspace import WorkspaceError, safe_relative, spec_path


def test_web_vitals_are_scored_with_web_dev_bounds() -> None:
    assert score("LCP", 2500)["score"] == "GOOD"
    assert score("LCP", 2501)["score"] == "NEEDS_IMPROVEMENT"
    assert score("CLS", 0.3)["score"] == "POOR"
    assert score("TBT", None) == {"value": None, "score": None}


def _report(status: str, steps: list[dict[str, object]]) -> dict[str, object]:
    seen = {"traceSummary": {"consoleErrors": 2}, "pages": [], "console": []}
    attachment = {
        "name": "vantage-browser-result",
        "contentType": "application/json",
        "body": base64.b64encode(json.dumps(seen).encode()).decode(),
    }
    result = {"status": status, "errors": [], "steps": steps, "attachments": [attachment]}
    return {"suites": [{"specs": [{"title": "t", "tests": [{"results": [result]}]}]}]}


def test_a_failed_step_is_flagged_with_its_error_and_nested_steps_keep_their_depth() -> None:
    steps = [
        {"title": "open", "duration": 5, "steps": [{"title": "goto", "duration": 4}]},
        {"title": "buy", "duration": 9, "error": {"message": "\x1b[31mexpected\x1b[39m"}},
    ]
    seen = summarize(_report("failed", steps))
    assert not seen["passed"]
    assert [(s["title"], s["depth"], s["status"]) for s in seen["steps"]] == [
        ("open", 0, "passed"),
        ("goto", 1, "passed"),
        ("buy", 0, "failed"),
    ]
    assert seen["steps"][2]["error"] == "expected"
    assert seen["traceSummary"]["consoleErrors"] == 2
    assert seen["traceSummary"]["userScriptErrors"] == 1


def test_a_script_with_no_test_fails() -> None:
    seen = summarize({"suites": []})
    assert not seen["passed"]
    assert "no test" in seen["errors"][0]


@pytest.mark.parametrize("path", ["../etc/passwd", "a/../../b", "", "/"])
def test_a_path_outside_the_run_directory_is_refused(path: str) -> None:
    with pytest.raises(WorkspaceError):
        safe_relative(path)


def test_the_spec_keeps_its_script_path_and_gets_a_suffix_when_it_has_none() -> None:
    assert str(spec_path("tests/shop.spec.ts")) == "tests/shop.spec.ts"
    assert str(spec_path("/shop")) == "shop.ts"
    assert str(spec_path(None)) == "check.spec.ts"


def _marked(status: str, errors: int, errors_at_mark: int) -> dict[str, object]:
    mark = {"reason": "slow", "errors": errors_at_mark}
    result = {
        "status": status,
        "errors": [{"message": "soft"}] * errors,
        "annotations": [{"type": "vantage-degraded", "description": json.dumps(mark)}],
    }
    return {"suites": [{"specs": [{"title": "t", "tests": [{"results": [result]}]}]}]}


def test_a_test_marked_degraded_is_degraded_unless_an_error_came_after_the_mark() -> None:
    soft_only = summarize(_marked("failed", errors=1, errors_at_mark=1))
    assert soft_only["passed"] and soft_only["degraded"] == ["slow"]
    clean = summarize(_marked("passed", errors=0, errors_at_mark=0))
    assert clean["passed"] and clean["degraded"] == ["slow"]
    later = summarize(_marked("failed", errors=2, errors_at_mark=1))
    assert not later["passed"] and later["degraded"] == []
    unmarked = summarize(_report("passed", []))
    assert unmarked["degraded"] == []
