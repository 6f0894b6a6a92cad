"""Evaluate a TCP or DNS check's assertions into their wire records (the HTTP probe has its own,
`http/assertions.py`, which reads sources from a parsed response).

A probe knows how to read each `source` from its own response; this module owns what is common:
the optional `regex` extraction, the comparison, and the record each assertion leaves in the
result detail: `{order, source, property, comparison, target, regex, actual, passed}` plus `error`
when the value could not be read -- the same shape and rules as the API check's assertions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from vantage.probes import jsonpath, regex
from vantage.probes.comparisons import compare, target_text

# Reads one assertion's actual value from the response; gets the assertion's `property`.
Reader = Callable[[str], Any]


class ReaderError(Exception):
    """A reader could not produce a value (bad JSONPath, bad property); the message is shown."""


def json_reader(doc: Any) -> Reader:
    """A reader of `doc` by JSONPath (`$` or nothing: all of it; one match: itself; several: a
    list), as the DNS probe's JSON_ANSWER and the ICMP probe's JSON_RESPONSE read."""

    def read(path: str) -> Any:
        if not path.strip() or path.strip() == "$":
            return doc
        try:
            matches = jsonpath.evaluate(path, doc)
        except jsonpath.JsonPathError as exc:
            raise ReaderError(f"Invalid JSONPath {path!r}: {exc}") from None
        if not matches:
            return None
        return matches[0] if len(matches) == 1 else matches

    return read


def evaluate_assertions(
    assertions: Sequence[Mapping[str, Any]],
    readers: Mapping[str, Reader] | None,
    *,
    comparisons: Collection[str],
    regex_budget: int = regex.MAX_WORK,
) -> list[dict[str, Any]]:
    """Return one record per assertion, in order.

    `readers=None` means no response arrived (network error): every assertion is recorded as not
    passed, with no actual value, so the detail still shows what was asked. `regex.NeedsWorker`
    when a regex would cost more than `regex_budget` (see `probes/offload.py`).
    """
    records = []
    for order, assertion in enumerate(assertions):
        record = _record(order, assertion)
        if readers is not None:
            _judge_one(record, readers, comparisons, regex_budget)
        records.append(record)
    return records


def all_passed(records: Sequence[Mapping[str, Any]]) -> bool:
    return all(record["passed"] for record in records)


# A failed assertion's message quotes what was received up to this many characters.
MAX_RECEIVED_CHARS = 200


def as_text(value: Any) -> str:
    """The text a regex sees: strings as is, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _record(order: int, assertion: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "order": order,
        "source": str(assertion.get("source") or ""),
        "property": str(assertion.get("property") or ""),
        "comparison": str(assertion.get("comparison") or ""),
        "target": assertion.get("target", ""),
        "regex": assertion.get("regex") or None,
        "actual": None,
        "passed": False,
    }


def _judge_one(
    record: dict[str, Any],
    readers: Mapping[str, Reader],
    comparisons: Collection[str],
    regex_budget: int,
) -> None:
    reader = readers.get(record["source"])
    if reader is None:
        record["error"] = f"Unsupported assertion source {record['source']!r}"
        return
    if record["comparison"] not in comparisons:
        record["error"] = f"Unsupported comparison {record['comparison']!r}"
        return
    try:
        actual = reader(record["property"])
        if record["regex"]:
            actual = _extract(str(record["regex"]), actual, regex_budget)
    except ReaderError as exc:
        record["error"] = str(exc)
        return
    record["actual"] = actual
    record["passed"] = compare(record["comparison"], actual, target_text(record["target"]))
    if not record["passed"]:
        # Checkly's runner marks a failed assertion by its `error`: the CLI prints ✖ for it, and ✔
        # for one without, whatever `passed` says.
        record["error"] = failure_message(record)


def failure_message(record: Mapping[str, Any]) -> str:
    """`Expected status code equals 418, received 200.`: one line, the value cut short."""
    source, prop, pattern = (str(record.get(k) or "") for k in ("source", "property", "regex"))
    what = " ".join(
        part
        for part in (
            source.lower().replace("_", " "),
            f"property {prop}" if prop else "",
            f"regex {pattern}" if pattern else "",
        )
        if part
    )
    comparison = str(record.get("comparison") or "").lower().replace("_", " ")
    received = "null" if record["actual"] is None else as_text(record["actual"])
    if len(received) > MAX_RECEIVED_CHARS:
        received = received[:MAX_RECEIVED_CHARS] + "…"
    target = target_text(record.get("target"))
    return f"Expected {what} {comparison} {target}, received {received}."


def _extract(pattern: str, actual: Any, budget: int) -> str | None:
    """First capture group of the first match (the whole match without groups); None if none."""
    try:
        return regex.extract(pattern, as_text(actual), budget=budget)
    except regex.RegexError as exc:
        raise ReaderError(f"Invalid regex {pattern!r}: {exc}") from None
