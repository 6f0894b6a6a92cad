"""Settings read from `VANTAGE_*`: the probe target policy (VANTAGE_PROBE_DENY)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from vantage.config import AgentSettings, Settings


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


def test_the_readme_documents_every_agent_variable() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [
        AgentSettings.variable(name)
        for name in AgentSettings.model_fields
        if f"`{AgentSettings.variable(name)}" not in readme
    ]
    assert missing == []


# `vantage agent`: the same surface, VANTAGE_AGENT_* (and the names its variables had before).

AGENT = {"VANTAGE_SERVER": "http://vantage.test:8080", "VANTAGE_LOCATION": "edge"}


@pytest.fixture
def agent_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in AGENT.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_the_agent_key_comes_from_vantage_agent_key(agent_env: pytest.MonkeyPatch) -> None:
    agent_env.setenv("VANTAGE_AGENT_KEY", "vtg_agent_from_the_environment")
    settings = AgentSettings()
    assert settings.key == "vtg_agent_from_the_environment"
    assert (settings.server, settings.location) == ("http://vantage.test:8080", "edge")


def test_an_agent_without_a_key_is_refused(agent_env: pytest.MonkeyPatch) -> None:
    agent_env.delenv("VANTAGE_AGENT_KEY", raising=False)
    with pytest.raises(ValidationError, match="key"):
        AgentSettings()


def test_every_agent_setting_is_read_from_its_variable(agent_env: pytest.MonkeyPatch) -> None:
    changed = {
        "concurrency": "7",
        "lease_seconds": "45.0",
        "wait_seconds": "5.0",
        "heartbeat_seconds": "3.0",
        "drain_seconds": "2.0",
        "flush_seconds": "4.0",
        "batch": "50",
        "max_backoff_seconds": "9.0",
        "outbox": "/var/lib/vantage/outbox",
        "sensitive_names": "x-trace",
        "log_format": "json",
        "probe_deny": "loopback",
    }
    agent_env.setenv("VANTAGE_AGENT_KEY", "k")
    for name, value in changed.items():
        agent_env.setenv(AgentSettings.variable(name), value)
    settings = AgentSettings()
    assert {name: str(getattr(settings, name)) for name in changed} == changed


@pytest.mark.parametrize(
    "server",
    ["vantage.example:8080", "127.0.0.1:8080", "http://", "ftp://vantage.example", "http://x:port"],
)
def test_a_server_url_the_agent_cannot_use_is_refused(
    agent_env: pytest.MonkeyPatch, server: str
) -> None:
    agent_env.setenv("VANTAGE_AGENT_KEY", "k")
    with pytest.raises(ValidationError, match="is not a server URL"):
        AgentSettings(server=server)


def test_the_server_url_loses_its_trailing_slash(agent_env: pytest.MonkeyPatch) -> None:
    assert AgentSettings(key="k", server="https://vantage.example/base/").server == (
        "https://vantage.example/base"
    )
