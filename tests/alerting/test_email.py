"""EMAIL through a real SMTP server (aiosmtpd on loopback): one message per notification, with
its subject, parts and headers; a failure and its recovery threaded; 4xx retried, 5xx final."""

from __future__ import annotations

import email
import socket
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.alerting.flow import channel, check, point_at, run, settled
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.replies: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        parsed = email.message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    # aiosmtpd's default host is ::1, and port 0 does not work with its start-up probe.
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def vantage(database_url: str, mailbox: tuple[Mailbox, int]) -> AsyncIterator[Harness]:
    settings = settings_for(
        database_url,
        alert_poll_seconds=0.02,
        alert_retry_base_seconds=0.05,
        smtp_host="127.0.0.1",
        alert_deny="",
        smtp_port=mailbox[1],
        smtp_security="none",
        smtp_from="alerts@vantage.example",
    )
    async with running_vantage(settings) as harness:
        yield harness


async def test_a_failure_and_its_recovery_are_two_threaded_emails(
    vantage: Harness, alice: Persona, http_target: HttpTarget, mailbox: tuple[Mailbox, int]
) -> None:
    box = mailbox[0]
    box.replies = ["451 try again later"]
    mail = await channel(alice, "EMAIL", {"address": "oncall@example.com"})
    check_id = await check(alice, http_target, [mail], name="Checkout")
    await run(alice, check_id)
    await point_at(alice, check_id, http_target, "/ok")
    await run(alice, check_id)
    rows = await settled(vantage, 2)
    assert [(r.alert_type, r.status, r.attempts) for r in rows] == [
        ("ALERT_FAILURE", "SUCCESS", 2),
        ("ALERT_RECOVERY", "SUCCESS", 1),
    ]
    failure, recovery = box.messages
    assert box.envelopes[0].mail_from == "alerts@vantage.example"
    assert box.envelopes[0].rcpt_tos == ["oncall@example.com"]
    assert failure["Subject"] == 'Check "Checkout" has failed'
    assert recovery["Subject"] == 'Check "Checkout" has recovered'
    assert failure["To"] == "oncall@example.com"
    assert failure["Auto-Submitted"] == "auto-generated"
    assert failure["X-Vantage-Check-Id"] == check_id
    assert failure["X-Vantage-Alert-Type"] == "ALERT_FAILURE"
    assert failure["Message-ID"] == f"<{rows[0].id}@vantage.example>"
    assert (
        failure["References"]
        == recovery["References"]
        == (f"<vantage-{check_id}-1@vantage.example>")
    )
    assert failure.get_content_type() == "multipart/alternative"
    text = failure.get_body(preferencelist=("plain",))
    html = failure.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Location: local" in text.get_content()
    assert "http://vantage.test/v1/check-results/" in html.get_content()


async def test_a_permanent_smtp_error_fails_the_notification_once(
    vantage: Harness, alice: Persona, http_target: HttpTarget, mailbox: tuple[Mailbox, int]
) -> None:
    box = mailbox[0]
    box.replies = ["550 no such mailbox"]
    mail = await channel(alice, "EMAIL", {"address": "nobody@example.com"})
    await run(alice, await check(alice, http_target, [mail]))
    [row] = await settled(vantage, 1)
    assert (row.status, row.attempts, row.result) == ("FAILURE", 1, "550 no such mailbox")
    assert box.messages == []
