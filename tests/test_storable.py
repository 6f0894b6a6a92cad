"""The one walk that decides whether a JSON document can be stored and echoed (M3, M4)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vantage import storable


def problem(doc: Any, *, max_depth: int = 32, max_values: int = 10_000) -> tuple[str, str]:
    with pytest.raises(storable.Unstorable) as caught:
        storable.check(doc, max_depth=max_depth, max_values=max_values)
    return caught.value.path, caught.value.message


def test_it_names_the_path_of_a_lone_surrogate() -> None:
    doc = json.loads('{"request": {"headers": [{"key": "k", "value": "\\ud800"}]}}')
    path, message = problem(doc)
    assert path == "request.headers[0].value"
    assert message.startswith('"request.headers[0].value" must be valid Unicode text')


def test_it_names_the_path_of_a_nul_character() -> None:
    assert problem({"name": "a\x00b"}) == ("name", '"name" must not contain a NUL character')


def test_it_refuses_bad_text_in_keys_without_echoing_it() -> None:
    path, message = problem(json.loads('{"a": {"\\udfff": 1}}'))
    assert path == "a.\ufffd"
    message.encode("utf-8")  # the message itself is valid UTF-8


def test_it_refuses_integers_no_column_holds() -> None:
    assert problem({"groupOrder": 10**30})[0] == "groupOrder"
    assert problem({"x": [-(2**53)]})[1] == '"x[0]" must be a safe number'
    storable.check({"x": 2**53 - 1, "y": True}, max_depth=4, max_values=10)


def test_it_refuses_infinite_numbers() -> None:
    assert problem({"x": json.loads("1e999")})[0] == "x"


def test_it_bounds_the_depth() -> None:
    doc: Any = "leaf"
    for _ in range(33):
        doc = [doc]
    path, message = problem(doc)
    assert message.endswith("is nested more than 32 levels deep")
    assert path == "[0]" * 32
    storable.check(doc[0], max_depth=32, max_values=100)


def test_it_bounds_the_number_of_values_before_visiting_them() -> None:
    assert problem({"tags": [{}] * 64_000})[1] == "The payload must hold at most 10000 values"


def test_it_accepts_ordinary_text() -> None:
    storable.check(
        {"name": "Ünïcødé ✓ 🚀", "rtl": "\u202eabc", "tags": ["a"]}, max_depth=4, max_values=10
    )


def test_scrub_replaces_what_cannot_be_stored_and_keeps_the_rest() -> None:
    doc = json.loads('{"body": "a\\u0000b\\ud800", "n": NaN, "ok": ["é", 1, null]}')
    assert not storable.is_clean(doc)
    assert storable.scrub(doc) == {"body": "a\ufffdb\ufffd", "n": None, "ok": ["é", 1, None]}


def test_scrub_keeps_a_clean_document_as_it_is() -> None:
    doc = {"body": "a\\u0000 is only text here", "x": [1.5]}
    assert storable.is_clean(doc)
    assert storable.scrub(doc) is doc


def test_raw_json_without_nul_or_surrogate_escapes_is_clean() -> None:
    assert storable.raw_is_clean(json.dumps({"a": "café", "b": [1, 2.5, None]}).encode())
    assert storable.raw_is_clean(b'{"a": "\\u00e9"}')


def test_raw_json_with_a_nul_or_surrogate_escape_is_not_clean() -> None:
    assert not storable.raw_is_clean(b'{"a": "x\\u0000"}')
    assert not storable.raw_is_clean(b'{"a": "\\ud800"}')
    assert not storable.raw_is_clean(b'{"a": "\\uDC00"}')
    # a paired surrogate is a false alarm: the caller then scrubs, which changes nothing
    assert not storable.raw_is_clean(json.dumps({"a": "😀"}).encode())


def test_clean_json_encodes_a_storable_document_once() -> None:
    assert storable.clean_json({"a": "é"}) == '{"a":"é"}'.encode()
    assert storable.clean_json({"a": "x\x00"}) is None
    assert storable.clean_json({"a": "\ud800"}) is None
    assert storable.clean_json({"a": float("nan")}) is None
