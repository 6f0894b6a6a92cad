"""Probes refuse denied targets after DNS resolution and at every redirect hop, against real
loopback servers: 127.0.0.1 and 127.0.0.2 (both loopback on Linux) stand for an allowed and a
denied address."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.probes.http.test_probe import api_check
from tests.probes.tcp.test_probe import tcp_check
from tests.probes.test_dns_probe import dns_check
from tests.targets.dns_target import DnsTarget, dns_target
from tests.targets.http_target import HttpTarget, start_target
from tests.targets.tcp_target import tcp_target
from vantage.probes.dns import run_dns_check
from vantage.probes.http.probe import run_api_check
from vantage.probes.result import ProbeResult
from vantage.probes.target_policy import EMBEDDED_DEFAULT, TargetPolicy
from vantage.probes.tcp.probe import run_tcp_check

EMBEDDED = TargetPolicy.parse(EMBEDDED_DEFAULT)
ONLY_SECOND = TargetPolicy.parse("127.0.0.2/32")
NOTHING = TargetPolicy.parse("")


def refused(shown: str) -> str:
    return f"Connection to {shown} refused by the operator's probe policy (VANTAGE_PROBE_DENY)"


@pytest.fixture(scope="module")
def second_target() -> Iterator[HttpTarget]:
    """A target on 127.0.0.2, the address `ONLY_SECOND` denies."""
    target = start_target("127.0.0.2")
    try:
        yield target
    finally:
        target.stop()


def tagged(url: str) -> tuple[str, str]:
    """`url` with a unique query parameter, and the tag: finds this test's requests in a target
    shared with other tests."""
    tag = uuid.uuid4().hex
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}tag={tag}", tag


def reached(target: HttpTarget, tag: str) -> bool:
    return any(tag in request.query.get("tag", ()) for request in target.seen)


def assert_refused(result: ProbeResult, shown: str) -> None:
    assert result.error == refused(shown)
    assert result.has_failures
    # not a network error: a retry strategy limited to network errors must not retry it
    assert not result.network_error
    assert not result.has_errors
    assert result.detail["requestError"] == refused(shown)


async def test_an_api_check_to_a_denied_address_fails_and_the_target_gets_no_request(
    second_target: HttpTarget,
) -> None:
    url, tag = tagged(f"{second_target.base_url}/ok")
    result = await run_api_check(api_check(url), policy=EMBEDDED)

    assert_refused(result, "127.0.0.2")
    assert result.detail["response"]["status"] is None
    assert not reached(second_target, tag)


async def test_an_api_check_to_an_allowed_address_is_unaffected(
    second_target: HttpTarget,
) -> None:
    url, tag = tagged(f"{second_target.base_url}/ok")
    result = await run_api_check(api_check(url), policy=TargetPolicy.parse("127.0.0.1/32"))

    assert result.error is None
    assert result.detail["response"]["status"] == 200
    assert reached(second_target, tag)


@pytest.mark.parametrize("should_fail", [False, True])
async def test_a_refused_run_fails_whatever_should_fail_says(
    second_target: HttpTarget, should_fail: bool
) -> None:
    check = api_check(f"{second_target.base_url}/status/500", shouldFail=should_fail)
    result = await run_api_check(check, policy=ONLY_SECOND)
    assert_refused(result, "127.0.0.2")


@pytest.mark.parametrize(
    ("policy", "stopped"), [(ONLY_SECOND, True), (NOTHING, False)], ids=["denied", "no-policy"]
)
async def test_a_redirect_to_a_denied_address_is_stopped_at_the_hop(
    http_target: HttpTarget, second_target: HttpTarget, policy: TargetPolicy, stopped: bool
) -> None:
    hop, tag = tagged(f"{second_target.base_url}/ok")
    first, first_tag = tagged(f"{http_target.base_url}/redirect-to?url={hop.replace('&', '%26')}")
    result = await run_api_check(api_check(first), policy=policy)

    assert reached(http_target, first_tag)
    assert reached(second_target, tag) is not stopped
    if stopped:
        assert_refused(result, "127.0.0.2")
    else:
        assert result.error is None
        assert result.detail["response"]["status"] == 200


async def test_a_redirect_chain_is_judged_at_every_hop(
    http_target: HttpTarget, second_target: HttpTarget
) -> None:
    # allowed, allowed, then denied: the third connection is the one refused
    last, tag = tagged(f"{second_target.base_url}/ok")
    middle = f"{http_target.base_url}/redirect-to?url={last.replace('&', '%26')}"
    first = f"{http_target.base_url}/redirect-to?status=307&url={middle.replace('&', '%26')}"
    result = await run_api_check(api_check(first), policy=ONLY_SECOND)

    assert_refused(result, "127.0.0.2")
    assert not reached(second_target, tag)


async def test_a_host_name_is_judged_by_the_address_it_resolves_to(
    http_target: HttpTarget,
) -> None:
    url, tag = tagged(f"http://localhost:{http_target.port}/ok")
    result = await run_api_check(api_check(url), policy=TargetPolicy.parse("loopback"))

    assert_refused(result, "localhost (127.0.0.1)")
    assert not reached(http_target, tag)


@pytest.mark.parametrize(
    ("policy", "denied"), [(ONLY_SECOND, True), (NOTHING, False)], ids=["denied", "no-policy"]
)
async def test_an_ipv4_mapped_ipv6_literal_is_judged_as_the_ipv4_address(
    second_target: HttpTarget, policy: TargetPolicy, denied: bool
) -> None:
    url, tag = tagged(f"http://[::ffff:127.0.0.2]:{second_target.port}/ok")
    result = await run_api_check(api_check(url), policy=policy)

    assert reached(second_target, tag) is not denied
    if denied:
        assert_refused(result, "::ffff:127.0.0.2")
    else:
        assert result.detail["response"]["status"] == 200


# TCP


@pytest.mark.parametrize(
    ("policy", "denied"),
    [(TargetPolicy.parse("loopback"), True), (NOTHING, False)],
    ids=["denied", "no-policy"],
)
async def test_a_tcp_check_to_a_denied_address_never_connects(
    policy: TargetPolicy, denied: bool
) -> None:
    async with tcp_target("echo") as target:
        result = await run_tcp_check(tcp_check(target.port), policy=policy)

    assert target.connections == (0 if denied else 1)
    if denied:
        assert_refused(result, "127.0.0.1")
        assert result.detail["response"]["resolvedAddress"] == "127.0.0.1"
        assert result.detail["response"]["timings"]["connect"] is None
    else:
        assert result.error is None


async def test_a_tcp_check_by_host_name_is_judged_after_resolution() -> None:
    async with tcp_target("echo") as target:
        check = tcp_check(target.port, hostname="localhost", shouldFail=True)
        result = await run_tcp_check(check, policy=TargetPolicy.parse("127.0.0.0/8"))

    assert target.connections == 0
    # shouldFail inverts a response, not a refusal: the run still fails
    assert_refused(result, "localhost (127.0.0.1)")


# DNS


@pytest.fixture
async def name_server() -> AsyncIterator[DnsTarget]:
    async with dns_target() as target:
        yield target


@pytest.mark.parametrize(
    ("policy", "denied"),
    [(TargetPolicy.parse("loopback"), True), (NOTHING, False)],
    ids=["denied", "no-policy"],
)
async def test_a_dns_check_to_a_denied_name_server_sends_no_query(
    name_server: DnsTarget, policy: TargetPolicy, denied: bool
) -> None:
    result = await run_dns_check(dns_check(name_server.port, "vantage.test"), policy=policy)

    assert len(name_server.queries) == (0 if denied else 1)
    if denied:
        assert_refused(result, "127.0.0.1")
        assert result.detail["response"]["rcode"] is None
    else:
        assert result.error is None


async def test_a_name_server_given_by_host_name_is_judged_after_resolution(
    name_server: DnsTarget,
) -> None:
    check: dict[str, Any] = dns_check(
        name_server.port, "vantage.test", name_server="localhost", shouldFail=True
    )
    result = await run_dns_check(check, policy=TargetPolicy.parse("127.0.0.0/8"))

    assert name_server.queries == []
    assert_refused(result, "localhost (127.0.0.1)")
