"""A location's proxyUrl in the HTTP probe: plain HTTP goes to a real loopback proxy in absolute
form, HTTPS through its CONNECT tunnel (TLS still checked against the target's name), with the
URL's credentials as Proxy-Authorization; a proxy that refuses is the run's error."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from tests.targets.http_target import HttpTarget
from tests.targets.proxy_target import ProxyTarget, proxy_target
from vantage.probes.http.client import basic_auth_value
from vantage.probes.http.probe import PROXY_KEY, run_api_check

AUTH = basic_auth_value("probe", "s3cret:pw")


@pytest.fixture
def proxy() -> Iterator[ProxyTarget]:
    with proxy_target(required_auth=AUTH) as p:
        yield p


def through(url: str, proxy_url: str) -> dict[str, Any]:
    return {
        "checkType": "API",
        "request": {
            "method": "GET",
            "url": url,
            "assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}],
        },
        PROXY_KEY: proxy_url,
    }


def with_credentials(proxy: ProxyTarget) -> str:
    return proxy.url.replace("http://", "http://probe:s3cret%3Apw@")


async def test_plain_http_goes_to_the_proxy_in_absolute_form(
    http_target: HttpTarget, proxy: ProxyTarget
) -> None:
    url = f"{http_target.base_url}/ok"
    result = await run_api_check(through(url, with_credentials(proxy)))
    assert not result.has_failures, result.error
    assert proxy.seen == [("GET", url, AUTH)]


async def test_https_goes_through_a_connect_tunnel(
    http_target: HttpTarget, proxy: ProxyTarget, ca_context: ssl.SSLContext
) -> None:
    url = f"{http_target.https_url}/ok"
    result = await run_api_check(through(url, with_credentials(proxy)), ssl_context=ca_context)
    assert not result.has_failures, result.error
    host = url.split("//", 1)[1].split("/", 1)[0]
    assert proxy.seen == [("CONNECT", host, AUTH)]


async def test_a_proxy_that_refuses_fails_the_run(
    http_target: HttpTarget, proxy: ProxyTarget, ca_context: ssl.SSLContext
) -> None:
    plain = await run_api_check(through(f"{http_target.base_url}/ok", proxy.url))
    assert plain.has_failures  # the proxy's 407 is the response the assertion sees
    tunnelled = await run_api_check(
        through(f"{http_target.https_url}/ok", proxy.url), ssl_context=ca_context
    )
    assert tunnelled.has_failures and "407" in str(tunnelled.error)
