"""What an assertion's record says once judged: Checkly's runner marks a failed one by its `error`,
and the `checkly` CLI prints ✖ or ✔ by that field alone."""

from __future__ import annotations

from typing import Any

from vantage.probes.assertions import MAX_RECEIVED_CHARS, evaluate_assertions

COMPARISONS = {"EQUALS", "CONTAINS"}


def judge(assertion: dict[str, Any], value: Any) -> dict[str, Any]:
    readers = {assertion["source"]: lambda _property: value}
    return evaluate_assertions([assertion], readers, comparisons=COMPARISONS)[0]


def test_a_failed_assertion_carries_an_error_saying_what_was_expected_and_received() -> None:
    record = judge({"source": "STATUS_CODE", "comparison": "EQUALS", "target": "418"}, 200)

    assert record["passed"] is False
    assert record["error"] == "Expected status code equals 418, received 200."


def test_a_passed_assertion_has_no_error() -> None:
    record = judge({"source": "STATUS_CODE", "comparison": "EQUALS", "target": 200}, 200)

    assert record["passed"] is True
    assert "error" not in record


def test_the_error_names_the_property_and_cuts_a_long_value_short() -> None:
    record = judge(
        {"source": "JSON_BODY", "property": "$.name", "comparison": "CONTAINS", "target": "x"},
        "y" * 1000,
    )

    assert record["error"].startswith("Expected json body property $.name contains x, received y")
    assert len(record["error"]) < MAX_RECEIVED_CHARS + 100
    assert record["actual"] == "y" * 1000  # the record keeps the whole value
