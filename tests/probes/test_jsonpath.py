from __future__ import annotations

from typing import Any

import pytest

from vantage.probes.jsonpath import JsonPathError, evaluate

DOC: dict[str, Any] = {
    "status": "up",
    "count": 3,
    "items": [
        {"id": 1, "name": "alpha", "tags": ["a", "x"]},
        {"id": 2, "name": "beta", "tags": []},
        {"id": 3, "name": "gamma", "tags": ["x"]},
    ],
    "meta": {"version": "1.2.3", "nested": {"id": 99, "name": "inner"}},
    "odd keys": {"a.b": 1, "c]d": 2, "it's": 3},
    "length": "own length key",
}


def test_the_root_selects_the_whole_document() -> None:
    assert evaluate("$", DOC) == [DOC]


def test_dot_keys_walk_into_objects() -> None:
    assert evaluate("$.meta.version", DOC) == ["1.2.3"]


def test_bracket_keys_allow_any_character() -> None:
    assert evaluate("$['odd keys']['a.b']", DOC) == [1]
    assert evaluate('$["odd keys"]["c]d"]', DOC) == [2]
    assert evaluate("$['odd keys']['it\\'s']", DOC) == [3]


def test_indexes_count_from_either_end() -> None:
    assert evaluate("$.items[0].name", DOC) == ["alpha"]
    assert evaluate("$.items[-1].name", DOC) == ["gamma"]
    assert evaluate("$.items[7]", DOC) == []


def test_wildcards_select_every_member() -> None:
    assert evaluate("$.items[*].id", DOC) == [1, 2, 3]
    assert evaluate("$.meta.*", DOC) == ["1.2.3", {"id": 99, "name": "inner"}]


def test_recursive_descent_finds_keys_at_any_depth_in_document_order() -> None:
    assert evaluate("$..id", DOC) == [1, 2, 3, 99]
    assert evaluate("$..tags[0]", DOC) == ["a", "x"]


def test_length_counts_arrays_and_strings_like_jsonpath_plus() -> None:
    assert evaluate("$.items.length", DOC) == [3]
    assert evaluate("$.status.length", DOC) == [2]
    assert evaluate("$.items[1].tags.length", DOC) == [0]


def test_an_object_with_its_own_length_key_keeps_it() -> None:
    assert evaluate("$.length", DOC) == ["own length key"]


def test_slices_and_unions_select_several_items() -> None:
    assert evaluate("$.items[0:2].id", DOC) == [1, 2]
    assert evaluate("$.items[::2].id", DOC) == [1, 3]
    assert evaluate("$.items[0,2].name", DOC) == ["alpha", "gamma"]
    assert evaluate("$['status','count']", DOC) == ["up", 3]


def test_a_path_without_the_dollar_is_read_from_the_root() -> None:
    assert evaluate("meta.nested.name", DOC) == ["inner"]


def test_missing_members_select_nothing() -> None:
    assert evaluate("$.nope.deeper", DOC) == []
    assert evaluate("$.status.nope", DOC) == []


@pytest.mark.parametrize("path", ["", "$.items[", "$..", "$.items[?(@.id > 1)]", "$.a[1:2:0]"])
def test_it_rejects_invalid_or_unsupported_paths(path: str) -> None:
    with pytest.raises(JsonPathError):
        evaluate(path, DOC)
