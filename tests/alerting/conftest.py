from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.alerting.receiver import Receiver, receiving
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.config import Settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def alerting_settings(database_url: str, receiver: Receiver, **overrides: Any) -> Settings:
    """Vantage delivering alerts promptly, its providers' URLs on the test's receiver."""
    values: dict[str, Any] = {
        "alert_deny": "",
        "alert_poll_seconds": 0.02,
        "alert_retry_base_seconds": 0.05,
        "pagerduty_url": receiver.url + "/pagerduty",
        "opsgenie_url": receiver.url + "/opsgenie",
        "opsgenie_eu_url": receiver.url + "/opsgenie-eu",
    }
    return settings_for(database_url, **(values | overrides))


@pytest.fixture
async def vantage(database_url: str, receiver: Receiver) -> AsyncIterator[Harness]:
    """Vantage delivering alerts promptly, its providers' URLs on the test's receiver."""
    async with running_vantage(alerting_settings(database_url, receiver)) as harness:
        yield harness


@pytest.fixture
async def alice(vantage: Harness) -> Persona:
    return await vantage.persona("alice")
