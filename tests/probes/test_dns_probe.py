"""The DNS probe against a real loopback name server (tests/targets/dns_target.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import dns.resolver
import pytest
import uvloop

from tests.targets.dns_target import DnsTarget, black_hole, dns_target
from tests.targets.tcp_target import refusing_port
from vantage.probes.dns import run_dns_check


@pytest.fixture
async def server() -> AsyncIterator[DnsTarget]:
    async with dns_target(slow_delay=0.3) as target:
        yield target


def dns_check(
    port: int,
    query: str,
    record_type: str = "A",
    *,
    name_server: str | None = "127.0.0.1",
    protocol: str = "UDP",
    assertions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "checkType": "DNS",
        "request": {
            "query": query,
            "recordType": record_type,
            "nameServer": name_server,
            "port": port,
            "protocol": protocol,
            "assertions": assertions or [],
        },
        **fields,
    }


def assertion(
    source: str, comparison: str, target: Any = "", *, prop: str = "", regex: str | None = None
) -> dict[str, Any]:
    return {
        "source": source,
        "comparison": comparison,
        "property": prop,
        "target": target,
        "regex": regex,
    }


async def test_it_answers_an_a_query_over_udp(server: DnsTarget) -> None:
    result = await run_dns_check(dns_check(server.port, "www.vantage.test"))

    assert result.check_type == "DNS"
    assert result.detail_key == "dnsCheckResult"
    assert not result.has_failures
    assert not result.network_error
    response = result.detail["response"]
    assert response["rcode"] == "NOERROR"
    assert {a["data"] for a in response["answers"]} == {"192.0.2.10", "192.0.2.11"}
    assert response["answers"][0] == {
        "name": "www.vantage.test.",
        "type": "A",
        "ttl": 300,
        "data": response["answers"][0]["data"],
    }
    assert "AA" in response["flags"]
    assert (response["nameServer"], response["port"], response["protocol"]) == (
        "127.0.0.1",
        server.port,
        "UDP",
    )
    assert server.queries == [("UDP", "www.vantage.test.", "A")]


async def test_it_queries_over_tcp_when_asked(server: DnsTarget) -> None:
    result = await run_dns_check(dns_check(server.port, "www.vantage.test", protocol="TCP"))

    assert not result.has_failures
    assert result.detail["response"]["protocol"] == "TCP"
    assert server.queries == [("TCP", "www.vantage.test.", "A")]


async def test_it_retries_over_tcp_when_the_udp_answer_is_truncated(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "big.vantage.test",
            "TXT",
            assertions=[assertion("TEXT_ANSWER", "CONTAINS", "v" * 200 + "7")],
        )
    )

    assert not result.has_failures
    assert result.detail["request"]["protocol"] == "UDP"
    assert result.detail["response"]["protocol"] == "TCP"
    assert [protocol for protocol, _, _ in server.queries] == ["UDP", "TCP"]


@pytest.mark.parametrize(
    ("query", "record_type", "comparison", "expected"),
    [
        ("www.vantage.test", "A", "CONTAINS", "192.0.2.10"),
        ("www.vantage.test", "AAAA", "EQUALS", "2001:db8::10"),
        ("alias.vantage.test", "CNAME", "EQUALS", "www.vantage.test."),
        ("vantage.test", "MX", "CONTAINS", "10 mail.vantage.test."),
        ("vantage.test", "TXT", "EQUALS", '"v=spf1 -all"'),
        ("vantage.test", "SOA", "CONTAINS", "ns1.vantage.test. hostmaster.vantage.test. 1 "),
        ("vantage.test", "NS", "CONTAINS", "ns2.vantage.test."),
        ("vantage.test", "HTTPS", "EQUALS", '1 . alpn="h2,h3"'),
    ],
)
async def test_it_answers_every_supported_record_type(
    server: DnsTarget, query: str, record_type: str, comparison: str, expected: str
) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            query,
            record_type,
            assertions=[
                assertion("TEXT_ANSWER", comparison, expected),
                assertion("JSON_ANSWER", "EQUALS", record_type, prop="$.answer[0].type"),
                assertion("RESPONSE_CODE", "EQUALS", "NOERROR"),
            ],
        )
    )

    assert [a["passed"] for a in result.detail["assertions"]] == [True, True, True]
    assert not result.has_failures


async def test_the_text_answer_has_one_record_per_line_like_dig_short(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port, "vantage.test", "MX", assertions=[assertion("TEXT_ANSWER", "NOT_EMPTY")]
        )
    )

    actual = result.detail["assertions"][0]["actual"]
    assert sorted(actual.splitlines()) == ["10 mail.vantage.test.", "20 backup.vantage.test."]


async def test_a_regex_extracts_part_of_the_text_answer(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "vantage.test",
            "MX",
            assertions=[assertion("TEXT_ANSWER", "EQUALS", 10, regex=r"(\d+) mail\.")],
        )
    )

    assert result.detail["assertions"][0]["actual"] == "10"
    assert not result.has_failures


async def test_an_a_query_for_an_alias_follows_the_cname(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "alias.vantage.test",
            assertions=[
                assertion("JSON_ANSWER", "EQUALS", "www.vantage.test.", prop="$.answer[0].data"),
                assertion("JSON_ANSWER", "EQUALS", "120", prop="$.answer[0].ttl"),
            ],
        )
    )

    assert not result.has_failures
    types = [a["type"] for a in result.detail["response"]["answers"]]
    assert types == ["CNAME", "A", "A"]


async def test_an_nxdomain_answer_is_a_response_not_a_network_error(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "missing.vantage.test",
            assertions=[assertion("RESPONSE_CODE", "EQUALS", "NXDOMAIN")],
        )
    )

    assert not result.has_failures
    assert not result.network_error
    assert result.error is None
    response = result.detail["response"]
    assert response["rcode"] == "NXDOMAIN"
    assert response["answers"] == []
    assert [r["type"] for r in response["authority"]] == ["SOA"]


async def test_an_nxdomain_answer_passes_when_nothing_is_asserted(server: DnsTarget) -> None:
    result = await run_dns_check(dns_check(server.port, "missing.vantage.test"))

    assert not result.has_failures


async def test_it_fails_when_the_response_code_is_not_the_expected_one(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "missing.vantage.test",
            assertions=[assertion("RESPONSE_CODE", "EQUALS", "NOERROR")],
        )
    )

    assert result.has_failures
    assert not result.network_error
    assert result.detail["assertions"][0]["actual"] == "NXDOMAIN"


@pytest.mark.parametrize(
    ("query", "rcode"),
    [("servfail.vantage.test", "SERVFAIL"), ("example.com", "REFUSED")],
)
async def test_error_response_codes_are_asserted_like_any_other(
    server: DnsTarget, query: str, rcode: str
) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            query,
            assertions=[
                assertion("RESPONSE_CODE", "EQUALS", rcode),
                assertion("RESPONSE_CODE", "NOT_EQUALS", "NOERROR"),
            ],
        )
    )

    assert not result.has_failures
    assert result.detail["response"]["rcode"] == rcode


async def test_a_name_without_the_asked_type_has_an_empty_answer(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "www.vantage.test",
            "MX",
            assertions=[
                assertion("RESPONSE_CODE", "EQUALS", "NOERROR"),
                assertion("TEXT_ANSWER", "IS_EMPTY"),
                assertion("JSON_ANSWER", "IS_EMPTY", prop="$.answer"),
            ],
        )
    )

    assert [a["passed"] for a in result.detail["assertions"]] == [True, True, True]


@pytest.mark.parametrize(
    ("prop", "comparison", "target", "passes"),
    [
        ("$.answer[0].ttl", "EQUALS", "300", True),
        ("$.answer[0].ttl", "EQUALS", "301", False),
        ("$.rcode", "NOT_EQUALS", "NXDOMAIN", True),
        ("$.rcode", "NOT_EQUALS", "NOERROR", False),
        ("$.answer[0].ttl", "GREATER_THAN", "299", True),
        ("$.answer[0].ttl", "GREATER_THAN", "300", False),
        ("$.answer[0].ttl", "LESS_THAN", "301", True),
        ("$.answer[0].ttl", "LESS_THAN", "300", False),
        ("$.answer[*].data", "CONTAINS", "192.0.2.11", True),
        ("$.answer[*].data", "CONTAINS", "192.0.2.99", False),
        ("$.answer[*].data", "NOT_CONTAINS", "192.0.2.99", True),
        ("$.answer[*].data", "NOT_CONTAINS", "192.0.2.10", False),
        ("$.answer[0]", "HAS_KEY", "ttl", True),
        ("$.answer[0]", "HAS_KEY", "priority", False),
        ("$.answer[0]", "NOT_HAS_KEY", "priority", True),
        ("$.answer[0]", "HAS_VALUE", "www.vantage.test.", True),
        ("$.answer[0]", "NOT_HAS_VALUE", "MX", True),
        ("$.answer[0]", "NOT_HAS_VALUE", "A", False),
        ("$.answer", "NOT_EMPTY", "", True),
        ("$.additional", "IS_EMPTY", "", True),
        ("$.answer", "IS_EMPTY", "", False),
        ("$.nothing", "IS_NULL", "", True),
        ("$.rcode", "NOT_NULL", "", True),
        ("$.rcode", "IS_NULL", "", False),
        ("$.flags", "CONTAINS", "AA", True),
        ("", "HAS_KEY", "answer", True),
        ("$.query", "EQUALS", "www.vantage.test.", True),
    ],
)
async def test_each_comparison_decides_on_the_json_answer(
    server: DnsTarget, prop: str, comparison: str, target: str, passes: bool
) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "www.vantage.test",
            assertions=[assertion("JSON_ANSWER", comparison, target, prop=prop)],
        )
    )

    assert result.detail["assertions"][0]["passed"] is passes
    assert result.has_failures is not passes


async def test_a_regex_applies_to_the_json_answer_value(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "www.vantage.test",
            "AAAA",
            assertions=[
                assertion(
                    "JSON_ANSWER",
                    "EQUALS",
                    "10",
                    prop="$.answer[0].data",
                    regex=r"::([0-9a-f]+)$",
                )
            ],
        )
    )

    assert result.detail["assertions"][0]["actual"] == "10"
    assert not result.has_failures


async def test_an_invalid_jsonpath_fails_the_assertion_and_says_why(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "www.vantage.test",
            assertions=[assertion("JSON_ANSWER", "NOT_NULL", prop="$.answer[?(@.ttl)]")],
        )
    )

    record = result.detail["assertions"][0]
    assert record["passed"] is False
    assert record["error"].startswith("Invalid JSONPath")
    assert not result.network_error


@pytest.mark.parametrize(
    ("comparison", "target", "passes"),
    [("LESS_THAN", "1000", True), ("GREATER_THAN", "1000", False), ("NOT_EMPTY", "", True)],
)
async def test_response_time_assertions_compare_milliseconds(
    server: DnsTarget, comparison: str, target: str, passes: bool
) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "www.vantage.test",
            assertions=[assertion("RESPONSE_TIME", comparison, target)],
        )
    )

    record = result.detail["assertions"][0]
    assert record["actual"] == pytest.approx(result.response_time_ms, abs=0.01)
    assert record["passed"] is passes


async def test_it_is_degraded_when_slower_than_the_degraded_response_time(
    server: DnsTarget,
) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "slow.vantage.test",
            assertions=[assertion("RESPONSE_TIME", "GREATER_THAN", "250")],
            degradedResponseTime=100,
            maxResponseTime=1000,
        )
    )

    assert result.is_degraded
    assert not result.has_failures


async def test_the_default_degraded_response_time_is_500ms(server: DnsTarget) -> None:
    result = await run_dns_check(dns_check(server.port, "slow.vantage.test"))

    assert result.response_time_ms >= 300
    assert not result.is_degraded
    assert not result.has_failures


async def test_it_fails_over_the_max_response_time_without_a_network_error(
    server: DnsTarget,
) -> None:
    result = await run_dns_check(
        dns_check(server.port, "slow.vantage.test", maxResponseTime=200), timeout_s=2
    )

    assert result.has_failures
    assert result.over_max_response_time
    assert not result.network_error
    assert result.detail["response"]["rcode"] == "NOERROR"


async def test_it_times_out_at_the_max_response_time_by_default() -> None:
    with black_hole() as port:
        result = await run_dns_check(
            dns_check(
                port,
                "www.vantage.test",
                assertions=[assertion("RESPONSE_CODE", "EQUALS", "NOERROR")],
                maxResponseTime=300,
            )
        )

    assert result.has_failures
    assert result.network_error
    assert result.error == f"queryA ETIMEOUT www.vantage.test (127.0.0.1:{port} over UDP)"
    assert result.detail["requestError"] == result.error
    assert result.response_time_ms == pytest.approx(300, abs=150)
    assert result.detail["response"]["rcode"] is None
    assert result.detail["assertions"][0]["passed"] is False


async def test_an_explicit_timeout_overrides_the_max_response_time(server: DnsTarget) -> None:
    result = await run_dns_check(dns_check(server.port, "slow.vantage.test"), timeout_s=0.1)

    assert result.network_error
    assert result.error is not None
    assert result.error.startswith("queryA ETIMEOUT slow.vantage.test")


async def test_it_fails_when_the_name_server_refuses_a_tcp_connection() -> None:
    with refusing_port() as port:
        result = await run_dns_check(dns_check(port, "www.vantage.test", protocol="TCP"))

    assert result.network_error
    assert result.error == f"queryA ECONNREFUSED www.vantage.test (127.0.0.1:{port} over TCP)"


async def test_should_fail_turns_a_failing_assertion_into_a_pass(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "missing.vantage.test",
            assertions=[assertion("RESPONSE_CODE", "EQUALS", "NOERROR")],
            shouldFail=True,
        )
    )

    assert not result.has_failures


async def test_should_fail_turns_a_passing_check_into_a_failure(server: DnsTarget) -> None:
    result = await run_dns_check(dns_check(server.port, "www.vantage.test", shouldFail=True))

    assert result.has_failures


async def test_should_fail_still_fails_on_a_timeout() -> None:
    with black_hole() as port:
        result = await run_dns_check(
            dns_check(port, "www.vantage.test", shouldFail=True), timeout_s=0.2
        )

    assert result.has_failures
    assert result.network_error


async def test_a_name_server_may_be_given_by_host_name(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(server.port, "www.vantage.test", name_server="localhost")
    )

    assert not result.has_failures
    assert result.detail["request"]["nameServer"] == "localhost"
    assert result.detail["response"]["nameServer"] == "127.0.0.1"


async def test_it_fails_when_the_name_server_host_name_does_not_resolve() -> None:
    result = await run_dns_check(
        dns_check(53, "www.vantage.test", name_server="ns.invalid"), timeout_s=10
    )

    assert result.network_error
    assert result.error is not None
    # .invalid never resolves (RFC 6761); a machine without any reachable resolver says EAI_AGAIN.
    assert re.fullmatch(r"getaddrinfo (ENOTFOUND|EAI_AGAIN) ns\.invalid", result.error)


async def test_a_null_name_server_means_the_system_resolver() -> None:
    expected = str(dns.resolver.Resolver().nameservers[0])

    # Whether that resolver answers depends on the machine; which server was asked does not.
    result = await run_dns_check(dns_check(53, "example.com", name_server=None), timeout_s=0.5)

    assert result.detail["request"]["nameServer"] is None
    assert result.detail["response"]["nameServer"] == expected
    assert result.detail["response"]["port"] == 53


async def test_an_unsupported_record_type_fails_without_a_network_attempt() -> None:
    result = await run_dns_check(dns_check(53, "www.vantage.test", "PTR"))

    assert result.has_failures
    assert not result.network_error
    assert result.error == "invalid request: unsupported recordType 'PTR'"


async def test_the_detail_has_the_documented_shape(server: DnsTarget) -> None:
    result = await run_dns_check(
        dns_check(
            server.port,
            "vantage.test",
            "TXT",
            assertions=[assertion("TEXT_ANSWER", "EQUALS", '"v=spf1 -all"')],
        )
    )

    detail = result.detail
    assert set(detail) == {"request", "response", "assertions", "requestError"}
    assert detail["request"] == {
        "query": "vantage.test",
        "recordType": "TXT",
        "nameServer": "127.0.0.1",
        "port": server.port,
        "protocol": "UDP",
    }
    response = detail["response"]
    assert set(response) == {
        "rcode",
        "flags",
        "answers",
        "authority",
        "additional",
        "nameServer",
        "port",
        "protocol",
        "timings",
    }
    assert response["answers"] == [
        {"name": "vantage.test.", "type": "TXT", "ttl": 300, "data": '"v=spf1 -all"'}
    ]
    assert set(response["timings"]) == {"total"}
    assert detail["assertions"] == [
        {
            "order": 0,
            "source": "TEXT_ANSWER",
            "property": "",
            "comparison": "EQUALS",
            "target": '"v=spf1 -all"',
            "regex": None,
            "actual": '"v=spf1 -all"',
            "passed": True,
        }
    ]
    assert detail["requestError"] is None


def test_it_runs_on_uvloop_like_the_agent() -> None:
    cases = [("www.vantage.test", "A", "UDP"), ("big.vantage.test", "TXT", "UDP")]

    async def scenario() -> list[tuple[bool, str]]:
        outcomes = []
        async with dns_target() as target:
            for query, record_type, protocol in cases:
                check = dns_check(target.port, query, record_type, protocol=protocol)
                result = await run_dns_check(check)
                outcomes.append((result.has_failures, result.detail["response"]["protocol"]))
        return outcomes

    # The big answer is truncated over UDP and retried over TCP.
    assert uvloop.run(scenario()) == [(False, "UDP"), (False, "TCP")]
