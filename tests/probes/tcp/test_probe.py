"""The TCP probe against real loopback servers (tests/targets/tcp_target.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import uvloop

from tests.targets.tcp_target import BANNER, SLOW_REPLY, refusing_port, tcp_target
from vantage.probes.tcp.probe import (
    DETAIL_DATA_LIMIT_CHARS,
    IDLE_GAP_S,
    READ_LIMIT_BYTES,
    run_tcp_check,
)


def tcp_check(
    port: int,
    *,
    hostname: str = "127.0.0.1",
    data: str | None = None,
    ip_family: str = "IPv4",
    assertions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "checkType": "TCP",
        "request": {
            "hostname": hostname,
            "port": port,
            "data": data,
            "ipFamily": ip_family,
            "assertions": assertions or [],
        },
        **fields,
    }


def assertion(
    source: str, comparison: str, target: Any = "", *, regex: str | None = None
) -> dict[str, Any]:
    return {
        "source": source,
        "comparison": comparison,
        "property": "",
        "target": target,
        "regex": regex,
    }


async def test_it_passes_when_the_port_accepts_a_connection() -> None:
    async with tcp_target("echo") as target:
        result = await run_tcp_check(tcp_check(target.port))

    assert result.check_type == "TCP"
    assert result.detail_key == "tcpCheckResult"
    assert not result.has_failures
    assert not result.network_error
    assert result.error is None
    assert result.detail["requestError"] is None
    assert result.detail["response"]["resolvedAddress"] == "127.0.0.1"
    assert target.connections == 1


async def test_it_sends_the_data_and_asserts_on_the_echoed_reply() -> None:
    async with tcp_target("echo") as target:
        result = await run_tcp_check(
            tcp_check(
                target.port,
                data="PING\n",
                assertions=[assertion("RESPONSE_DATA", "EQUALS", "PING\n")],
            )
        )

    assert not result.has_failures
    response = result.detail["response"]
    assert response["data"] == "PING\n"
    assert response["bytesReceived"] == 5
    assert result.detail["assertions"][0]["actual"] == "PING\n"
    assert result.detail["assertions"][0]["passed"] is True


async def test_it_reads_the_banner_a_server_sends_on_connect() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(target.port, assertions=[assertion("RESPONSE_DATA", "CONTAINS", "ESMTP")])
        )

    assert not result.has_failures
    assert result.detail["response"]["data"] == BANNER.decode()


async def test_it_does_not_bill_the_idle_gap_that_ends_an_open_reply() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(target.port, assertions=[assertion("RESPONSE_DATA", "NOT_EMPTY")])
        )

    assert result.response_time_ms < IDLE_GAP_S * 1000
    timings = result.detail["response"]["timings"]
    assert timings["total"] == pytest.approx(
        timings["dns"] + timings["connect"] + timings["data"], abs=0.05
    )


async def test_it_extracts_the_first_capture_group_with_a_regex() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(
                target.port,
                # Checkly payloads may carry numeric targets.
                assertions=[assertion("RESPONSE_DATA", "EQUALS", 220, regex=r"^(\d{3}) ")],
            )
        )

    record = result.detail["assertions"][0]
    assert record["actual"] == "220"
    assert record["passed"] is True
    assert not result.has_failures


async def test_it_uses_the_whole_match_when_the_regex_has_no_group() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(
                target.port,
                assertions=[assertion("RESPONSE_DATA", "EQUALS", "ESMTP ready", regex=r"E\w+ \w+")],
            )
        )

    assert result.detail["assertions"][0]["actual"] == "ESMTP ready"
    assert not result.has_failures


async def test_it_records_no_actual_value_when_the_regex_does_not_match() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(
                target.port, assertions=[assertion("RESPONSE_DATA", "IS_EMPTY", regex=r"IMAP")]
            )
        )

    record = result.detail["assertions"][0]
    assert record["actual"] is None
    assert record["passed"] is True


async def test_it_fails_an_assertion_with_an_invalid_regex_and_says_why() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(target.port, assertions=[assertion("RESPONSE_DATA", "NOT_EMPTY", regex="(")])
        )

    record = result.detail["assertions"][0]
    assert record["passed"] is False
    assert record["error"].startswith("Invalid regex")
    assert result.has_failures
    assert not result.network_error


async def test_a_lookbehind_regex_is_an_assertion_error_that_says_re2_lacks_it() -> None:
    async with tcp_target("banner") as target:
        result = await run_tcp_check(
            tcp_check(
                target.port, assertions=[assertion("RESPONSE_DATA", "NOT_EMPTY", regex="(?<=2)2")]
            )
        )

    [record] = result.detail["assertions"]
    assert record["passed"] is False
    assert record["error"] == (
        "Invalid regex '(?<=2)2': uses lookbehind (?<=...), which RE2 does not support"
    )


async def test_a_catastrophic_regex_over_the_reply_gives_its_verdict_at_once() -> None:
    async with tcp_target("echo") as target:
        result = await run_tcp_check(
            tcp_check(
                target.port,
                data="a" * 40 + "!",
                assertions=[assertion("RESPONSE_DATA", "EQUALS", "x", regex="(a+)+$")],
            )
        )

    [record] = result.detail["assertions"]
    assert (record["actual"], record["passed"]) == (None, False)
    # a verdict (no match), not a regex error
    assert record["error"] == "Expected response data regex (a+)+$ equals x, received null."


@pytest.mark.parametrize(
    ("comparison", "target", "regex", "passes"),
    [
        ("EQUALS", "hello world 42", None, True),
        ("EQUALS", "hello", None, False),
        ("NOT_EQUALS", "hello", None, True),
        ("NOT_EQUALS", "hello world 42", None, False),
        ("CONTAINS", "world", None, True),
        ("CONTAINS", "mars", None, False),
        ("NOT_CONTAINS", "mars", None, True),
        ("NOT_CONTAINS", "world", None, False),
        ("NOT_EMPTY", "", None, True),
        ("IS_EMPTY", "", None, False),
        ("GREATER_THAN", "41", r"(\d+)$", True),
        ("GREATER_THAN", "42", r"(\d+)$", False),
        ("LESS_THAN", "43", r"(\d+)$", True),
        ("LESS_THAN", "42", r"(\d+)$", False),
    ],
)
async def test_each_tcp_comparison_decides_on_the_response_data(
    comparison: str, target: str, regex: str | None, passes: bool
) -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                data="hello world 42",
                assertions=[assertion("RESPONSE_DATA", comparison, target, regex=regex)],
            )
        )

    assert result.detail["assertions"][0]["passed"] is passes
    assert result.has_failures is not passes
    assert not result.network_error


async def test_it_passes_is_empty_when_the_server_closes_without_a_word() -> None:
    async with tcp_target("closing") as target:
        result = await run_tcp_check(
            tcp_check(target.port, assertions=[assertion("RESPONSE_DATA", "IS_EMPTY")])
        )

    assert not result.has_failures
    assert result.detail["response"]["data"] == ""
    assert result.detail["response"]["bytesReceived"] == 0


@pytest.mark.parametrize(
    ("comparison", "target", "passes"),
    [
        ("LESS_THAN", "5000", True),
        ("GREATER_THAN", "5000", False),
        ("GREATER_THAN", "0", True),
        ("NOT_EQUALS", "-1", True),
        ("NOT_EMPTY", "", True),
    ],
)
async def test_response_time_assertions_compare_milliseconds(
    comparison: str, target: str, passes: bool
) -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(server.port, assertions=[assertion("RESPONSE_TIME", comparison, target)])
        )

    record = result.detail["assertions"][0]
    assert record["actual"] == pytest.approx(result.response_time_ms, abs=0.01)
    assert record["passed"] is passes


async def test_a_response_time_assertion_sees_a_slow_reply() -> None:
    async with tcp_target("slow", delay=0.3) as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                assertions=[
                    assertion("RESPONSE_DATA", "EQUALS", SLOW_REPLY.decode()),
                    assertion("RESPONSE_TIME", "GREATER_THAN", "250"),
                ],
            )
        )

    assert not result.has_failures
    assert result.response_time_ms >= 300


async def test_it_refuses_comparisons_tcp_checks_do_not_have() -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(
                server.port, data="x", assertions=[assertion("RESPONSE_DATA", "HAS_KEY", "x")]
            )
        )

    record = result.detail["assertions"][0]
    assert record["passed"] is False
    assert record["error"] == "Unsupported comparison 'HAS_KEY'"
    assert result.has_failures


async def test_it_refuses_an_assertion_source_tcp_checks_do_not_have() -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(server.port, assertions=[assertion("STATUS_CODE", "EQUALS", "200")])
        )

    assert result.detail["assertions"][0]["error"] == "Unsupported assertion source 'STATUS_CODE'"
    assert result.has_failures


async def test_it_is_degraded_when_slower_than_the_degraded_response_time() -> None:
    async with tcp_target("slow", delay=0.3) as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                assertions=[assertion("RESPONSE_DATA", "CONTAINS", "slow")],
                degradedResponseTime=100,
                maxResponseTime=5000,
            )
        )

    assert result.is_degraded
    assert not result.has_failures
    assert not result.over_max_response_time


async def test_it_fails_over_the_max_response_time_without_a_network_error() -> None:
    async with tcp_target("slow", delay=0.4) as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                assertions=[assertion("RESPONSE_DATA", "CONTAINS", "slow")],
                degradedResponseTime=100,
                maxResponseTime=200,
            ),
            timeout_s=3,
        )

    assert result.has_failures
    assert result.over_max_response_time
    assert not result.network_error
    assert not result.is_degraded
    assert result.detail["assertions"][0]["passed"] is True


async def test_it_times_out_at_the_max_response_time_by_default() -> None:
    async with tcp_target("silent") as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                assertions=[assertion("RESPONSE_DATA", "NOT_EMPTY")],
                maxResponseTime=300,
            )
        )

    assert result.has_failures
    assert result.network_error
    assert result.error == "Timeout awaiting 'data' for 300ms"
    assert result.detail["requestError"] == result.error
    assert result.response_time_ms == pytest.approx(300, abs=150)
    assert result.detail["assertions"][0]["passed"] is False
    assert result.detail["response"]["timings"]["connect"] is not None


async def test_an_explicit_timeout_overrides_the_max_response_time() -> None:
    async with tcp_target("slow", delay=2) as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                assertions=[assertion("RESPONSE_DATA", "NOT_EMPTY")],
                maxResponseTime=5000,
            ),
            timeout_s=0.2,
        )

    assert result.network_error
    assert result.error == "Timeout awaiting 'data' for 200ms"


async def test_a_silent_server_is_fine_when_no_reply_is_asserted() -> None:
    async with tcp_target("silent") as server:
        result = await run_tcp_check(tcp_check(server.port, data="QUIT\r\n", maxResponseTime=2000))

    assert not result.has_failures
    assert result.detail["response"]["bytesReceived"] == 0


async def test_it_fails_when_the_port_refuses() -> None:
    with refusing_port() as port:
        result = await run_tcp_check(tcp_check(port))

    assert result.has_failures
    assert result.network_error
    assert result.error == f"connect ECONNREFUSED 127.0.0.1:{port}"
    timings = result.detail["response"]["timings"]
    assert timings["dns"] is not None
    assert timings["connect"] is None


async def test_it_fails_when_the_hostname_does_not_resolve() -> None:
    result = await run_tcp_check(tcp_check(80, hostname="x.invalid"), timeout_s=10)

    assert result.network_error
    assert result.has_failures
    # .invalid never resolves (RFC 6761); a machine without any reachable resolver says EAI_AGAIN.
    assert result.error is not None
    assert re.fullmatch(r"getaddrinfo (ENOTFOUND|EAI_AGAIN) x\.invalid", result.error)
    assert result.detail["response"]["resolvedAddress"] is None


async def test_it_fails_when_the_peer_resets_the_connection() -> None:
    async with tcp_target("reset") as server:
        result = await run_tcp_check(
            tcp_check(server.port, assertions=[assertion("RESPONSE_DATA", "NOT_EMPTY")])
        )

    assert result.network_error
    assert result.error == "read ECONNRESET"


async def test_it_stops_reading_at_the_size_cap_and_truncates_the_detail() -> None:
    async with tcp_target("flood") as server:
        result = await run_tcp_check(
            tcp_check(server.port, assertions=[assertion("RESPONSE_DATA", "CONTAINS", "xxx")])
        )

    response = result.detail["response"]
    assert not result.has_failures
    assert response["bytesReceived"] == READ_LIMIT_BYTES
    assert response["truncated"] is True
    assert len(response["data"]) == DETAIL_DATA_LIMIT_CHARS


async def test_should_fail_turns_a_failing_assertion_into_a_pass() -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                data="hello",
                assertions=[assertion("RESPONSE_DATA", "EQUALS", "goodbye")],
                shouldFail=True,
            )
        )

    assert not result.has_failures


async def test_should_fail_turns_a_passing_check_into_a_failure() -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(
                server.port,
                data="hello",
                assertions=[assertion("RESPONSE_DATA", "EQUALS", "hello")],
                shouldFail=True,
            )
        )

    assert result.has_failures
    assert not result.network_error


async def test_should_fail_still_fails_when_the_port_refuses() -> None:
    with refusing_port() as port:
        result = await run_tcp_check(tcp_check(port, shouldFail=True))

    assert result.has_failures
    assert result.network_error


async def test_it_resolves_a_hostname_in_the_requested_family() -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(tcp_check(server.port, hostname="localhost"))

    assert not result.has_failures
    assert result.detail["response"]["resolvedAddress"] == "127.0.0.1"


async def test_it_connects_over_ipv6_to_the_loopback_address() -> None:
    async with tcp_target("echo") as server:
        if not server.ipv6:
            pytest.skip("this machine has no IPv6 loopback (::1)")
        result = await run_tcp_check(
            tcp_check(
                server.port,
                hostname="::1",
                ip_family="IPv6",
                data="over six",
                assertions=[assertion("RESPONSE_DATA", "EQUALS", "over six")],
            )
        )

    assert not result.has_failures
    assert result.detail["response"]["resolvedAddress"] == "::1"


async def test_it_accepts_a_bracketed_ipv6_hostname() -> None:
    async with tcp_target("echo") as server:
        if not server.ipv6:
            pytest.skip("this machine has no IPv6 loopback (::1)")
        result = await run_tcp_check(tcp_check(server.port, hostname="[::1]", ip_family="IPv6"))

    assert not result.has_failures
    assert result.detail["request"]["hostname"] == "::1"


async def test_it_reports_a_refused_ipv6_connect_like_node() -> None:
    async with tcp_target("echo") as server:
        has_ipv6 = server.ipv6
    if not has_ipv6:
        pytest.skip("this machine has no IPv6 loopback (::1)")
    with refusing_port("::1") as port:
        result = await run_tcp_check(tcp_check(port, hostname="::1", ip_family="IPv6"))

    assert result.error == f"connect ECONNREFUSED ::1:{port}"


async def test_it_fails_without_a_network_attempt_when_the_port_is_invalid() -> None:
    result = await run_tcp_check(tcp_check(0), timeout_s=1)

    assert result.has_failures
    assert not result.network_error
    assert result.error is not None
    assert result.error.startswith("invalid request")


async def test_the_detail_has_the_documented_shape() -> None:
    async with tcp_target("echo") as server:
        result = await run_tcp_check(
            tcp_check(
                server.port, data="hi", assertions=[assertion("RESPONSE_DATA", "EQUALS", "hi")]
            )
        )

    detail = result.detail
    assert set(detail) == {"request", "response", "assertions", "requestError"}
    assert detail["request"] == {
        "hostname": "127.0.0.1",
        "port": server.port,
        "data": "hi",
        "ipFamily": "IPv4",
    }
    assert set(detail["response"]) == {
        "data",
        "truncated",
        "bytesReceived",
        "resolvedAddress",
        "timings",
    }
    assert set(detail["response"]["timings"]) == {"dns", "connect", "data", "total"}
    assert detail["assertions"] == [
        {
            "order": 0,
            "source": "RESPONSE_DATA",
            "property": "",
            "comparison": "EQUALS",
            "target": "hi",
            "regex": None,
            "actual": "hi",
            "passed": True,
        }
    ]


def test_it_runs_on_uvloop_like_the_agent() -> None:
    async def scenario() -> list[str | None]:
        async with tcp_target("banner") as server:
            banner = assertion("RESPONSE_DATA", "CONTAINS", "EHLO")
            ok = await run_tcp_check(tcp_check(server.port, data="EHLO x", assertions=[banner]))
        async with tcp_target("reset") as server:
            reset = await run_tcp_check(tcp_check(server.port, data="x"))
        with refusing_port() as port:
            refused = await run_tcp_check(tcp_check(port))
        return [ok.error, reset.error, refused.error]

    # uvloop raises some socket errors without an errno; the messages must not change.
    errors = uvloop.run(scenario())
    assert errors[0] is None
    assert errors[1] in ("write ECONNRESET", "read ECONNRESET")
    assert errors[2] is not None and errors[2].startswith("connect ECONNREFUSED 127.0.0.1:")
