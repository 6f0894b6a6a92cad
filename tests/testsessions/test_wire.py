"""What `checkly test` prints of a BROWSER or MULTI_STEP result (pure)."""

from __future__ import annotations

import json

from vantage.testsessions.wire import failing_steps, script_logs, stream_logs_message

STEPS = [
    {"test": "refund", "title": "open the shop", "depth": 0, "status": "passed", "error": None},
    {"test": "refund", "title": "ask", "depth": 0, "status": "failed", "error": "E: gone"},
    {"test": "refund", "title": "click", "depth": 1, "status": "passed", "error": None},
    {"test": "refund", "title": "wait", "depth": 1, "status": "failed", "error": "E: gone"},
]


def test_the_failing_step_is_the_innermost_one_with_its_path() -> None:
    assert failing_steps(STEPS) == [("refund › ask › wait", "E: gone")]


def test_no_failed_step_names_none() -> None:
    assert failing_steps(STEPS[:1]) == []
    assert failing_steps(None) == []


def test_the_logs_end_with_the_failing_step_and_the_tests_whole_error_once() -> None:
    detail = {
        "endTime": 2000,
        "jobLog": [{"time": 1000, "level": "INFO", "msg": "Running 1 test"}],
        "steps": STEPS,
        "errors": ["E: gone\n  at refund.spec.ts:9", "Test 'other' timedOut"],
    }

    logs = script_logs(detail)

    assert logs == [
        {"time": 1000, "level": "INFO", "msg": "Running 1 test"},
        {
            "time": 2000,
            "level": "ERROR",
            "msg": "Failing step: refund › ask › wait\nE: gone\n  at refund.spec.ts:9",
        },
        {"time": 2000, "level": "ERROR", "msg": "Test 'other' timedOut"},
    ]


def test_a_run_without_steps_logs_its_errors() -> None:
    logs = script_logs({"endTime": 5, "errors": ["Check timed out after 240 s"]})

    assert logs == [{"time": 5, "level": "ERROR", "msg": "Check timed out after 240 s"}]


def test_streamed_logs_are_the_runs_output_lines_with_their_times() -> None:
    detail = {
        "endTime": 2_000,
        "jobLog": [
            {"time": 1_500, "level": "INFO", "msg": "looking for the basket"},
            {"level": "INFO", "msg": "no time of its own"},
            "not a line",
        ],
    }

    message = stream_logs_message(detail)

    assert message is not None
    assert json.loads(message) == {
        "logs": [
            {"timestamp": 1_500, "message": "looking for the basket"},
            {"timestamp": 2_000, "message": "no time of its own"},
        ]
    }


def test_a_run_that_printed_nothing_streams_nothing() -> None:
    assert stream_logs_message({"jobLog": None}) is None
    assert stream_logs_message(None) is None
