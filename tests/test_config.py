"""Settings read from `VANTAGE_*`: the probe target policy (VANTAGE_PROBE_DENY)."""

from __future__ import annotations

from pathlib import Path

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


# One configuration surface: every field is a VANTAGE_* variable, and each is honoured.


def test_every_setting_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = {
        "scheduler_batch": "7",
        "scheduler_tick_seconds": "0.5",
        "reaper_interval_seconds": "3",
        "recheck_seconds": "4",
        "local_agent_concurrency": "9",
        "max_wait_seconds": "12",
        "lease_seconds": "90",
    }
    for name, value in changed.items():
        monkeypatch.setenv(f"VANTAGE_{name.upper()}", value)
    settings = Settings()
    assert {name: str(getattr(settings, name)) for name in changed} == {
        "scheduler_batch": "7",
        "scheduler_tick_seconds": "0.5",
        "reaper_interval_seconds": "3.0",
        "recheck_seconds": "4.0",
        "local_agent_concurrency": "9",
        "max_wait_seconds": "12",
        "lease_seconds": "90.0",
    }


@pytest.mark.parametrize(
    ("name", "value"), [("VANTAGE_LOCAL_AGENT", "false"), ("VANTAGE_NO_LOCAL_AGENT", "true")]
)
def test_either_variable_switches_the_embedded_agent_off(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert Settings().local_agent is False


def test_off_wins_when_the_two_agent_variables_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_LOCAL_AGENT", "true")
    monkeypatch.setenv("VANTAGE_NO_LOCAL_AGENT", "true")
    assert Settings().local_agent is False


def test_a_lease_shorter_than_the_longest_run_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_LEASE_SECONDS", "46")
    with pytest.raises(ValidationError, match=r"VANTAGE_LEASE_SECONDS=46 is shorter .* \(47 s\)"):
        Settings()
    monkeypatch.setenv("VANTAGE_LEASE_SECONDS", "47")
    assert Settings().lease_seconds == 47


def test_a_short_lease_is_allowed_when_said_so_or_without_an_embedded_agent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VANTAGE_LEASE_SECONDS", "4")
    assert Settings(allow_short_lease=True).lease_seconds == 4
    # The lease is the embedded agent's: remote agents ask for their own and extend it.
    assert Settings(local_agent=False).lease_seconds == 4


def test_the_readme_documents_every_variable() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`VANTAGE_{name.upper()}" not in readme]
    assert missing == []
