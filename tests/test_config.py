"""Settings read from `VANTAGE_*`: the probe target policy (VANTAGE_PROBE_DENY)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vantage.config import Settings


def test_the_embedded_agent_denies_loopback_link_local_and_metadata_by_default() -> None:
    settings = Settings()
    assert settings.probe_deny == "loopback,link-local,metadata"
    policy = settings.probe_policy()
    assert policy.denies("127.0.0.1")
    assert policy.denies("169.254.169.254")
    assert not policy.denies("10.0.0.1")


def test_the_policy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_PROBE_DENY", "10.0.0.0/8")
    policy = Settings().probe_policy()
    assert policy.denies("10.1.2.3")
    assert not policy.denies("127.0.0.1")


def test_an_empty_variable_denies_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_PROBE_DENY", "")
    assert Settings().probe_policy().deny == ()


def test_a_policy_with_a_typo_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_PROBE_DENY", "loopback,link_local")
    with pytest.raises(ValidationError, match="'link_local' is not a CIDR"):
        Settings()
