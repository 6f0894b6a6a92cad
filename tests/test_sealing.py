"""Secret values at rest: sealed under the operator's key, opened only with it."""

from __future__ import annotations

import pytest

from vantage.sealing import Sealer, SealError


def test_a_sealed_value_hides_the_secret_and_opens_with_the_same_key() -> None:
    sealed = Sealer("operator key").seal("hunter2")
    assert sealed.startswith("v1:") and "hunter2" not in sealed
    assert Sealer("operator key").open(sealed) == "hunter2"
    # A fresh nonce each time: equal secrets do not look equal at rest.
    assert Sealer("operator key").seal("hunter2") != sealed


def test_another_key_or_no_key_cannot_open_a_sealed_value() -> None:
    sealed = Sealer("operator key").seal("hunter2")
    with pytest.raises(SealError):
        Sealer("another key").open(sealed)
    with pytest.raises(SealError):
        Sealer(None).open(sealed)


def test_without_a_key_values_are_kept_marked_and_open_under_any_key() -> None:
    kept = Sealer(None).seal("hunter2")
    assert kept == "plain:hunter2"
    assert Sealer(None).open(kept) == "hunter2"
    assert Sealer("operator key").open(kept) == "hunter2"
