"""A location's proxyUrl in the HTTP probe: plain HTTP goes to a real loopback proxy in absolute
form, HTTPS through its CONNECT tunnel (TLS still checked against the target's name), with the
URL's credentials as Proxy-Authorization; a proxy that refuses is the run's error. An https://
proxy is spoken to over TLS (its certificate checked), and an HTTPS target's TLS runs inside it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

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
    scheme, rest = proxy.url.split("://", 1)
    return f"{scheme}://probe:s3cret%3Apw@{rest}"


def proxy_tls(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


@pytest.fixture
def tls_proxy(http_target: HttpTarget) -> Iterator[ProxyTarget]:
    """An HTTPS proxy whose certificate the probe's test CA signed."""
    with proxy_target(required_auth=AUTH, tls=proxy_tls(http_target.ca)) as p:
        yield p


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


async def test_an_https_proxy_carries_an_https_target_tls_inside_tls(
    http_target: HttpTarget, tls_proxy: ProxyTarget, ca_context: ssl.SSLContext
) -> None:
    assert tls_proxy.url.startswith("https://")
    url = f"{http_target.https_url}/ok"
    result = await run_api_check(through(url, with_credentials(tls_proxy)), ssl_context=ca_context)
    assert not result.has_failures, result.error
    host = url.split("//", 1)[1].split("/", 1)[0]
    assert tls_proxy.seen == [("CONNECT", host, AUTH)]


async def test_an_https_proxy_carries_plain_http_in_absolute_form(
    http_target: HttpTarget, tls_proxy: ProxyTarget, ca_context: ssl.SSLContext
) -> None:
    url = f"{http_target.base_url}/ok"
    result = await run_api_check(through(url, with_credentials(tls_proxy)), ssl_context=ca_context)
    assert not result.has_failures, result.error
    assert tls_proxy.seen == [("GET", url, AUTH)]


async def test_an_https_proxy_whose_certificate_is_not_trusted_is_not_used(
    http_target: HttpTarget, ca_context: ssl.SSLContext
) -> None:
    with proxy_target(required_auth=AUTH, tls=proxy_tls(trustme.CA())) as stranger:
        check = through(f"{http_target.https_url}/ok", with_credentials(stranger))
        # skipSSL is about the target: the operator's proxy is still checked
        check["request"]["skipSSL"] = True
        result = await run_api_check(check, ssl_context=ca_context)
    assert result.has_failures and "certificate" in str(result.error).lower()
    assert stranger.seen == []
    assert "s3cret" not in str(result.error)


async def test_a_malformed_proxy_url_fails_the_run_without_showing_it(
    http_target: HttpTarget,
) -> None:
    result = await run_api_check(through(f"{http_target.base_url}/ok", "ftp://u:s3cret@x"))
    assert result.has_failures and "Invalid proxy URL" in str(result.error)
    assert "s3cret" not in str(result.error)
