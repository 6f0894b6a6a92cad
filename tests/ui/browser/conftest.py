"""A real Vantage server (uvicorn in a thread, on loopback) with seeded checks, and Debian's
Chromium driven by Playwright for Python through `executable_path` (no browser download).

Nothing here skips: without Chromium or axe-core the tests fail and say to run
scripts/install-browser.sh (`make test` runs it). They run on SQLite only: the pages' queries are
tested on both databases in tests/ui/test_pages.py; these test what a browser sees.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.support import checks as payloads
from tests.support.harness import settings_for
from tests.support.ui import PASSWORD
from tests.targets.http_target import HttpTarget
from vantage.accounts.service import create_account
from vantage.app import create_app
from vantage.db.engine import Database
from vantage.timeutil import utcnow
from vantage.users.service import create_user

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[3]
AXE = REPO / ".ui-tools" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The "slow" check's run stays under way until a test opens this gate (tests.targets.http_target).
SLOW_GATE = "ui-slow-check"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")


def artifacts_dir() -> Path:
    """Screenshots go here (CI keeps them; not committed)."""
    path = Path(os.environ.get("VANTAGE_UI_ARTIFACTS", REPO / "tmp" / "artifacts" / "ui"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Site:
    origin: str
    account_id: str
    api_key: str
    writer: str
    reader: str
    links: dict[str, str] = field(default_factory=dict)

    def api(self) -> httpx2.Client:
        return httpx2.Client(
            base_url=self.origin,
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "X-Checkly-Account": self.account_id,
            },
            timeout=30,
        )

    def path(self, url: str) -> str:
        return url.removeprefix(self.origin)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _run_session(api: httpx2.Client, check_id: str) -> dict[str, Any]:
    started = api.post("/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}})
    assert started.status_code == 201, started.text
    session_id = started.json()["sessions"][0]["checkSessionId"]
    done = api.get(f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 20})
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


async def _seed_people(url: str) -> tuple[str, str, str, str]:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            new = await create_account(conn, "browser tests")
            writer = await create_user(
                conn, "writer@example.com", new.account.id, "read-write", PASSWORD, utcnow()
            )
            reader = await create_user(
                conn, "reader@example.com", new.account.id, "read-only", PASSWORD, utcnow()
            )
    finally:
        await db.dispose()
    return new.account.id, new.api_key, writer.email, reader.email


def _in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own thread (this one may hold Playwright's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, http_target: HttpTarget) -> Iterator[Site]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'vantage.db'}"
    app = create_app(settings_for(url, public_url=origin))
    server = uvicorn.Server(uvicorn.Config(app, loop="asyncio", log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        account_id, key, writer, reader = _in_thread(_seed_people(url))
        site = Site(origin, account_id, key, writer, reader)
        with site.api() as api:
            group = api.post(
                "/v1/check-groups", json={"name": "Storefront", "activated": True}
            ).json()["id"]
            ok = api.post(
                "/v1/checks/api",
                json=payloads.api_check(
                    f"{http_target.base_url}/ok", name="Shop API", tags=["shop"], groupId=group
                ),
            ).json()["id"]
            bad = api.post(
                "/v1/checks/api",
                json=payloads.api_check(
                    f"http://127.0.0.1:{_closed_port()}/health", name="Payments API"
                ),
            ).json()["id"]
            slow = api.post(
                "/v1/checks/api",
                json=payloads.api_check(
                    f"{http_target.base_url}/gate?name={SLOW_GATE}", name="Slow API"
                ),
            ).json()["id"]
            passed = _run_session(api, ok)
            _run_session(api, ok)
            failed = _run_session(api, bad)
        site.links = {
            "ok": ok,
            "bad": bad,
            "slow": slow,
            "session": site.path(passed["checkSessionLink"]),
            "result": site.path(passed["results"][0]["checkResultLink"]),
            "failed_session": site.path(failed["checkSessionLink"]),
            "failed_result": site.path(failed["results"][0]["checkResultLink"]),
        }
        yield site
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# Module scope, not session: the sync API keeps an event loop running in this thread while it is
# open, which the asyncio tests of other modules could not start theirs under.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run scripts/install-browser.sh")
    browser = playwright_driver.chromium.launch(
        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run scripts/install-browser.sh")
    return AXE.read_text()


def new_context(
    browser: Browser, viewport: str = "desktop", scheme: str = "light", **kw: Any
) -> BrowserContext:
    return browser.new_context(
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        reduced_motion="reduce",
        **kw,
    )


def log_in(context: BrowserContext, site: Site, email: str, next_: str = "") -> Any:
    page = context.new_page()
    page.goto(site.origin + (f"/login?next={next_}" if next_ else "/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page
