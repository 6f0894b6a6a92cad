"""A loopback shop page for script checks, and the browser runtime that
scripts/install-browser.sh installs (`make browser`): Debian's Chromium and `@playwright/test`."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vantage.probes.browser import BrowserRuntime, RuntimeMissing

REPO = Path(__file__).resolve().parents[3]
PAGE = b"""<!doctype html><html><head><title>Shop</title></head><body>
<h1>Shop</h1><button id="buy" onclick="document.querySelector('#done').hidden=false">Buy</button>
<p id="done" hidden>Thanks</p>
<script>console.error('shop script failed')</script><img src="/missing.png" alt="">
</body></html>"""


class _Shop(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)
        elif self.path == "/api/cart":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"items": 2}')
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def shop() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def runtime() -> BrowserRuntime:
    try:
        return BrowserRuntime.discover({"VANTAGE_BROWSER_RUNTIME": str(REPO / ".browser-runtime")})
    except RuntimeMissing as exc:
        pytest.fail(f"{exc}: run `make browser`")
