from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.alerting.test_email import Mailbox, free_port
from tests.support.harness import Harness, Persona, running_vantage, settings_for


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    box = Mailbox()
    # aiosmtpd's default host is ::1, and port 0 does not work with its start-up probe.
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
async def vantage(database_url: str, mailbox: Mailbox) -> AsyncIterator[Harness]:
    settings = settings_for(
        database_url,
        alert_poll_seconds=0.02,
        alert_retry_base_seconds=0.05,
        alert_deny="",
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,  # type: ignore[attr-defined]
        smtp_security="none",
        smtp_from="status@vantage.example",
        public_url="https://status.vantage.example",
    )
    async with running_vantage(settings) as harness:
        yield harness


@pytest.fixture
async def alice(vantage: Harness) -> Persona:
    return await vantage.persona("alice")


@pytest.fixture
async def charlie(vantage: Harness) -> Persona:
    return await vantage.persona("charlie")
