"""What a reader's browser sees (Debian's Chromium through Playwright): a real `vantage server`
with its embedded agent runs checks against the loopback target; the page turns degraded, then
down, as the checks feeding its two services fail; an incident opened through the API shows with
its updates; a reader subscribes, confirms from the mail a real SMTP server received, and leaves
with one click. SQLite only: the queries are tested on both databases elsewhere."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from tests.agent.processes import Server, free_port, vantage_cli
from tests.alerting.test_email import Mailbox
from tests.support.checks import api_check
from tests.targets.http_target import HttpTarget

# The UI tests' Chromium fixtures, shared.
from tests.ui.browser.conftest import browser as browser
from tests.ui.browser.conftest import playwright_driver as playwright_driver

pytestmark = pytest.mark.e2e


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def server(tmp_path: Path, mailbox: Mailbox) -> Iterator[Server]:
    port = free_port()
    running = Server(
        f"sqlite:///{tmp_path / 'v.db'}",
        port,
        tmp_path / "server.log",
        local_agent=True,
        env={
            "VANTAGE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "VANTAGE_SMTP_HOST": "127.0.0.1",
            "VANTAGE_SMTP_PORT": str(mailbox.port),  # type: ignore[attr-defined]
            "VANTAGE_SMTP_SECURITY": "none",
            "VANTAGE_ALERT_POLL_SECONDS": "0.05",
            "VANTAGE_ALERT_DENY": "",
        },
    )
    running.start()
    try:
        yield running
    finally:
        running.kill()


@pytest.fixture
def api(server: Server) -> Iterator[httpx2.Client]:
    account = vantage_cli("accounts", "create", "acme", "--database-url", server.database_url)
    headers = {"Authorization": f"Bearer {account['apiKey']}"}
    with httpx2.Client(base_url=server.url, headers=headers, timeout=60) as client:
        yield client


def _ok(response: httpx2.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _run(api: httpx2.Client, check_id: str) -> str:
    [session] = _ok(
        api.post("/v1/check-sessions/trigger", json={"target": {"checkId": [check_id]}})
    )["sessions"]
    for _ in range(5):
        done = api.get(
            f"/v2/check-sessions/{session['checkSessionId']}/completion",
            params={"maxWaitSeconds": 10},
        )
        if done.status_code == 200:
            return str(done.json()["status"])
    raise AssertionError("the run did not finish")


def _point(api: httpx2.Client, check_id: str, url: str) -> None:
    _ok(api.put(f"/v1/checks/{check_id}", json={"request": {"url": url}}), 200)


def _mail(box: Mailbox, count: int) -> str:
    deadline = time.monotonic() + 30
    while len(box.messages) < count:
        assert time.monotonic() < deadline, f"{len(box.messages)} mails"
        time.sleep(0.05)
    body = box.messages[count - 1].get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _overall(page: Page, url: str, text: str) -> None:
    """Reload until the banner says `text`: the page is cached for up to ten seconds."""
    deadline = time.monotonic() + 30
    while True:
        page.goto(url)
        if page.locator("#overall").inner_text() == text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(page.locator("#overall")).to_have_text(text)


def test_a_reader_sees_the_page_degrade_and_go_down_and_subscribes_and_leaves(
    browser: Browser, server: Server, api: httpx2.Client, http_target: HttpTarget, mailbox: Mailbox
) -> None:
    services = {
        n: _ok(api.post("/v1/status-pages/services", json={"name": n})) for n in ("API", "Website")
    }
    _ok(
        api.post(
            "/v1/status-pages",
            json={
                "name": "Acme",
                "url": "acme",
                "cards": [
                    {"name": "Acme", "services": [{"id": s["id"]} for s in services.values()]}
                ],
            },
        )
    )
    checks = {}
    for name, severity in (("API", "MEDIUM"), ("Website", "CRITICAL")):
        trigger = {
            "serviceId": services[name]["id"],
            "severity": severity,
            "name": f"{name} is failing",
            "description": f"The {name} check fails",
            "notifySubscribers": True,
        }
        body = api_check(
            f"{http_target.base_url}/status/200",
            name=name,
            locations=["local"],
            triggerIncident=trigger,
        )
        checks[name] = _ok(api.post("/v1/checks/api", json=body))["id"]
    url = f"{server.url}/status/acme"
    context = browser.new_context()
    page = context.new_page()
    _overall(page, url, "All systems operational")

    _point(api, checks["API"], f"{http_target.base_url}/status/500")
    assert _run(api, checks["API"]) == "FAILED"
    _overall(page, url, "Some systems are degraded")
    expect(page.get_by_text("The API check fails")).to_be_visible()

    _point(api, checks["Website"], f"{http_target.base_url}/status/500")
    assert _run(api, checks["Website"]) == "FAILED"
    _overall(page, url, "Some systems are down")

    # A reader subscribes through the form and confirms from the mail.
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    confirm = re.search(r"http://\S+/subscriptions/confirm\?token=\S+", _mail(mailbox, 1))
    assert confirm
    page.goto(confirm.group(0))
    expect(page.get_by_role("heading", name="Subscribed")).to_be_visible()

    # An incident opened through the API, with an update, reaches the page and the subscriber.
    incident = _ok(
        api.post(
            "/v1/status-pages/incidents",
            json={
                "name": "Payments delayed",
                "severity": "MINOR",
                "services": [{"id": services["API"]["id"]}],
                "incidentUpdates": [
                    {
                        "description": "Looking into it",
                        "status": "INVESTIGATING",
                        "notifySubscribers": True,
                    }
                ],
            },
        )
    )
    _ok(
        api.post(
            f"/v1/status-pages/incidents/{incident['id']}/incident-updates",
            json={"description": "A fix is rolling out", "status": "MONITORING"},
        ),
        200,
    )
    deadline = time.monotonic() + 30
    while True:
        page.goto(url)
        if page.get_by_text("A fix is rolling out").count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    article = page.locator(f"#incident-{incident['id']}")
    expect(article.get_by_text("Looking into it")).to_be_visible()
    expect(article.get_by_text("A fix is rolling out")).to_be_visible()

    update = _mail(mailbox, 2)
    assert "Looking into it" in update
    leave = re.search(r"http://\S+/subscriptions/unsubscribe\?token=\S+", update)
    assert leave
    page.goto(leave.group(0))
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    [status_page] = _ok(api.get("/v1/status-pages"), 200)["entries"]
    assert _ok(api.get(f"/v1/status-pages/{status_page['id']}/subscriptions"), 200) == []
    context.close()
