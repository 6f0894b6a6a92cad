"""A construct's script check as the check API takes it (pure)."""

from __future__ import annotations

import pytest

from vantage.checks.constructs import construct_check, shared_files
from vantage.errors import BadRequest

SHOP = {"path": "__checks__/shop.ts", "content": "export const SHOP = 'x'"}


def test_dependencies_named_by_index_become_the_shared_files() -> None:
    payload = {"script": "s", "dependencies": [1, {"path": "a.ts", "content": "a"}]}

    got = construct_check(payload, [{"path": "b.ts", "content": "b"}, SHOP], "where", ["w"])

    assert got["dependencies"] == [SHOP, {"path": "a.ts", "content": "a"}]


def test_an_index_the_body_does_not_have_is_a_400_naming_it() -> None:
    with pytest.raises(BadRequest) as caught:
        construct_check({"dependencies": [2]}, [SHOP], "checkRunJobs[0]", ["checkRunJobs", "0"])

    assert caught.value.message.startswith('"checkRunJobs[0].dependencies[0]" names sharedFiles[2]')
    assert caught.value.keys == ["checkRunJobs", "0", "dependencies", "0"]


def test_a_boolean_is_not_read_as_an_index() -> None:
    got = construct_check({"dependencies": [True]}, [SHOP], "w", ["w"])

    assert got["dependencies"] == [True]


def test_empty_snapshots_are_dropped_and_baselines_refused() -> None:
    assert construct_check({"script": "s", "snapshots": []}, [], "w", ["w"]) == {"script": "s"}
    with pytest.raises(BadRequest) as caught:
        construct_check({"snapshots": [{"key": "k", "path": "p.png"}]}, [], "w", ["w"])

    assert caught.value.keys == ["w", "snapshots"]


def test_shared_files_must_be_an_array() -> None:
    assert shared_files(None) == []
    with pytest.raises(BadRequest) as caught:
        shared_files({"0": SHOP})

    assert caught.value.keys == ["sharedFiles"]


def test_a_playwright_suite_is_refused_in_one_line_naming_what_runs_instead() -> None:
    with pytest.raises(BadRequest) as caught:
        construct_check({"checkType": "PLAYWRIGHT", "name": "suite"}, [], "w", ["w"])

    assert "\n" not in caught.value.message
    assert "PlaywrightCheck" in caught.value.message and "BrowserCheck" in caught.value.message
    assert caught.value.keys == ["w", "checkType"]
