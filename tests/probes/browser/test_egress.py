"""A script's browser reaches only what the agent's probe policy allows: the egress proxy refuses
a denied address (the cloud's metadata service, or loopback where it is denied) with a 403 that
names the policy, also for a host name that resolves there, and forwards everything else."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from tests.probes.browser.conftest import REPO
from vantage.probes.browser.egress import EgressProxy, Head, Refused, destination, parse_head
from vantage.probes.runner import run_check
from vantage.probes.target_policy import TargetPolicy

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root to switch uid")


def test_a_forwarded_request_drops_the_proxys_headers_and_closes_after_one_answer() -> None:
    head = parse_head(
        b"GET http://shop.test:8080/cart?x=1 HTTP/1.1\r\nHost: shop.test:8080\r\n"
        b"Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nAccept: */*"
    )
    host, port, upstream = destination(head)
    assert (host, port) == ("shop.test", 8080)
    assert upstream == (
        b"GET /cart?x=1 HTTP/1.1\r\nHost: shop.test:8080\r\nAccept: */*\r\n"
        b"Connection: close\r\n\r\n"
    )


def test_a_tunnel_names_its_host_and_port() -> None:
    assert destination(Head("CONNECT", "[fd00:ec2::254]:443", "HTTP/1.1", [])) == (
        "fd00:ec2::254",
        443,
        None,
    )


async def through(proxy: str, request: bytes) -> bytes:
    host, port = proxy.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    answer = await reader.read()
    writer.close()
    return answer


async def test_the_proxy_forwards_allowed_requests_and_refuses_denied_addresses(
    shop: str,
) -> None:
    open_ = EgressProxy(TargetPolicy.parse("link-local,metadata"))
    closed = EgressProxy(TargetPolicy.parse("loopback,link-local,metadata"))
    try:
        allowed = await through(await open_.start(), f"GET {shop}/ HTTP/1.1\r\n\r\n".encode())
        assert allowed.startswith(b"HTTP/1.0 200") and b"<h1>Shop</h1>" in allowed
        metadata = await through(
            open_.url, b"CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert metadata.startswith(b"HTTP/1.1 403")
        assert b"169.254.169.254 refused by the operator's probe policy" in metadata
        port = shop.rsplit(":", 1)[1]
        by_name = await through(
            await closed.start(), f"GET http://localhost:{port}/ HTTP/1.1\r\n\r\n".encode()
        )
        assert by_name.startswith(b"HTTP/1.1 403") and b"localhost (" in by_name
    finally:
        await open_.close()
        await closed.close()


METADATA_SPEC = """const { test, expect } = require('@playwright/test');
test('metadata', async ({ page, request }) => {
  const shown = await page.goto('http://169.254.169.254/latest/meta-data/');
  expect(shown.status()).toBe(403);
  expect(await shown.text()).toContain('probe policy');
  const fetched = await request.get('http://169.254.169.254/latest/meta-data/');
  expect(fetched.status()).toBe(403);
  await expect(page.goto('https://169.254.169.254/')).rejects.toThrow(/ERR_TUNNEL_CONNECTION_FAILED/);
});
"""
SHOP_SPEC = """const { test, expect } = require('@playwright/test');
test('shop', async ({ page }) => {
  await page.goto(process.env.BASE_URL);
  await expect(page.locator('h1')).toHaveText('Shop', { timeout: 2000 });
});
"""
PYTHON_SPEC = """def test_metadata(page, request):
    shown = page.goto("http://169.254.169.254/latest/meta-data/")
    assert shown.status == 403 and "probe policy" in shown.text(), shown.text()
    assert "probe policy" in request.get("http://169.254.169.254/").text()
"""


async def run(script: str, deny: str, base_url: str = "", **fields: Any) -> Any:
    config = {"name": "egress", "script": script, "scriptVariables": {"BASE_URL": base_url}}
    return await run_check("BROWSER", {**config, **fields}, policy=TargetPolicy.parse(deny))


@needs_root
async def test_a_browser_script_cannot_reach_the_metadata_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(REPO / ".browser-runtime"))
    result = await run(METADATA_SPEC, "link-local,metadata")
    assert not result.has_failures, result.detail["errors"]
    python = await run(PYTHON_SPEC, "link-local,metadata", scriptPath="check_metadata.py")
    assert not python.has_failures, python.detail["errors"]


@needs_root
async def test_where_loopback_is_denied_a_script_cannot_load_a_loopback_page(
    shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_BROWSER_RUNTIME", str(REPO / ".browser-runtime"))
    allowed = await run(SHOP_SPEC, "link-local,metadata", shop)
    assert not allowed.has_failures, allowed.detail["errors"]
    denied = await run(SHOP_SPEC, "loopback,link-local,metadata", shop)
    assert denied.has_failures
    assert "toHaveText" in denied.detail["errors"][0]


def test_what_is_not_a_proxy_request_is_refused_as_a_bad_request() -> None:
    for raw in (b"GET", b"GET / SPDY/3", b"GET http://x/ HTTP/1.1\r\nno colon"):
        with pytest.raises(Refused) as refused:
            parse_head(raw)
        assert refused.value.status == 400
    for head in (
        Head("CONNECT", "shop.test", "HTTP/1.1", []),
        Head("CONNECT", "shop.test:99999", "HTTP/1.1", []),
        Head("GET", "https://shop.test/", "HTTP/1.1", []),
        Head("GET", "/relative", "HTTP/1.1", []),
    ):
        with pytest.raises(Refused):
            destination(head)
