"""The DNS check probe: one query to one name server, asserted on the raw response message.

The query goes to `request.nameServer` (an IP or a host name), or to the first name server in the
system's /etc/resolv.conf when it is null, over UDP (falling back to TCP when the answer is
truncated, as dig does) or TCP. Recursion is requested and EDNS0 is offered, so TXT and HTTPS
answers fit a datagram. Any answer is a response, NXDOMAIN and SERVFAIL included: those pass or
fail by their assertions. No answer in time, or no usable server, is a network error.

Assertion sources:

- RESPONSE_CODE: the rcode's name, e.g. "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED".
- TEXT_ANSWER: the answer section as dig's short form, one record per line:
  "93.184.216.34", "10 mail.example.com.", '"v=spf1 -all"'.
- JSON_ANSWER: `property` is a JSONPath over this JSON form of the response::

      {"query": "example.com.", "recordType": "MX", "rcode": "NOERROR",
       "flags": ["QR", "RD", "RA"],
       "answer": [{"name": "example.com.", "type": "MX", "ttl": 300,
                   "data": "10 mail.example.com."}],
       "authority": [...same record shape...], "additional": [...same record shape...]}

  e.g. `$.answer[0].data`, `$.answer[*].ttl`, `$.rcode`. One match compares as itself, several as
  a list, none as null; an empty property compares the whole document.
- RESPONSE_TIME: milliseconds from sending the query to the answer.

Result detail (`dnsCheckResult`)::

    {"request": {"query", "recordType", "nameServer", "port", "protocol"},   # as configured
     "response": {"rcode", "flags", "answers", "authority", "additional",  # records as above
                  "nameServer", "port", "protocol",                        # what was really used
                  "timings": {"total"}},
     "assertions": [{"order", "source", "property", "comparison", "target", "regex",
                     "actual", "passed"} (+ "error" when it failed or its value could not be read)],
     "requestError": "queryA ETIMEOUT example.com (192.0.2.53:53 over UDP)" | null}
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

from vantage.probes.assertions import (
    Reader,
    all_passed,
    evaluate_assertions,
    json_reader,
)
from vantage.probes.comparisons import COMPARISONS
from vantage.probes.defaults import response_limits
from vantage.probes.fields import as_mapping, as_port, assertion_list
from vantage.probes.node_errors import error_code, lookup_failure
from vantage.probes.offload import judged
from vantage.probes.result import ProbeResult, judge
from vantage.probes.target_policy import ALLOW_ALL, TargetDenied, TargetPolicy

RECORD_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "TXT", "SOA", "NS", "HTTPS"})
PROTOCOLS = frozenset({"UDP", "TCP"})
# The payload size DNS Flag Day 2020 settled on: big enough for TXT and HTTPS answers, small enough
# to dodge IP fragmentation.
EDNS_PAYLOAD = 1232


class _NoSystemNameServer(Exception):
    pass


@dataclass(slots=True)
class _Outcome:
    protocol: str
    port: int
    server: str | None = None
    response: dns.message.Message | None = None
    query_ms: float | None = None
    error: str | None = None
    # Refused by the operator's policy: not a network error, and no retry can change it
    denied: bool = False


async def run_dns_check(
    check: Mapping[str, Any],
    *,
    timeout_s: float | None = None,
    policy: TargetPolicy = ALLOW_ALL,
) -> ProbeResult:
    """Run one DNS check (its Checkly JSON) and return the result; never raises for the network.

    `policy` is asked about the check's own name server (after resolving it when it is a host
    name). The system's name server is the operator's choice, not the check's, so it is not.
    """
    request = as_mapping(check.get("request"))
    query = str(request.get("query") or "").strip()
    record_type = str(request.get("recordType") or "A").upper()
    name_server = str(request.get("nameServer") or "").strip() or None
    port = as_port(request.get("port"), default=53)
    protocol = str(request.get("protocol") or "UDP").upper()
    assertions = assertion_list(request.get("assertions"))
    limits = response_limits("DNS", check)
    degraded_ms, max_ms = limits.degraded_ms, limits.max_ms
    timeout = timeout_s if timeout_s is not None else max_ms / 1000

    started_at = datetime.now(UTC)
    began = time.perf_counter()
    outcome = _Outcome(protocol=protocol, port=port or 53)
    message, invalid = _make_query(query, record_type, port, protocol)
    if message is not None:
        try:
            async with asyncio.timeout(timeout):
                await _ask(outcome, message, name_server, policy)
        except TimeoutError:
            outcome.error = _query_failure(record_type, query, "ETIMEOUT", outcome)
    else:
        outcome.error = invalid
    elapsed_ms = (time.perf_counter() - began) * 1000

    response = outcome.response
    total_ms = outcome.query_ms if outcome.query_ms is not None else elapsed_ms
    doc = _json_form(query, record_type, response) if response is not None else None
    readers = _readers(doc, total_ms) if doc is not None else None
    # A DNS answer is small (64 KiB at most): only a costly regex leaves the loop
    records = await judged(
        lambda budget: evaluate_assertions(
            assertions, readers, comparisons=COMPARISONS, regex_budget=budget
        ),
        text_chars=0,
    )
    attempted = message is not None and not outcome.denied
    network_error = outcome.error is not None and attempted
    verdict = judge(
        response_ok=response is not None and all_passed(records),
        network_error=network_error,
        response_time_ms=total_ms,
        degraded_ms=degraded_ms,
        max_ms=max_ms,
        # A check that could not even be attempted must fail, whatever shouldFail says.
        should_fail=bool(check.get("shouldFail")) and attempted,
    )
    detail = {
        "request": {
            "query": query,
            "recordType": record_type,
            "nameServer": name_server,
            "port": port,
            "protocol": protocol,
        },
        "response": {
            "rcode": doc["rcode"] if doc else None,
            "flags": doc["flags"] if doc else [],
            "answers": doc["answer"] if doc else [],
            "authority": doc["authority"] if doc else [],
            "additional": doc["additional"] if doc else [],
            "nameServer": outcome.server,
            "port": outcome.port,
            "protocol": outcome.protocol,
            "timings": {"total": round(total_ms, 2)},
        },
        "assertions": records,
        "requestError": outcome.error,
    }
    return ProbeResult.judged(
        verdict,
        check_type="DNS",
        started_at=started_at,
        stopped_at=datetime.now(UTC),
        response_time_ms=total_ms,
        detail_key="dnsCheckResult",
        detail=detail,
        network_error=network_error,
        error=outcome.error,
    )


def _make_query(
    query: str, record_type: str, port: int | None, protocol: str
) -> tuple[dns.message.Message | None, str | None]:
    """The query message, or why the check cannot be attempted at all."""
    if record_type not in RECORD_TYPES:
        return None, f"invalid request: unsupported recordType {record_type!r}"
    if protocol not in PROTOCOLS:
        return None, f"invalid request: unsupported protocol {protocol!r}"
    if port is None:
        return None, "invalid request: port must be in 1..65535"
    if not query:
        return None, "invalid request: query is required"
    try:
        message = dns.message.make_query(
            dns.name.from_text(query), record_type, use_edns=0, payload=EDNS_PAYLOAD
        )
    except (dns.exception.DNSException, ValueError) as exc:
        return None, f"invalid request: query {query!r}: {exc}"
    return message, None


async def _ask(
    outcome: _Outcome,
    message: dns.message.Message,
    name_server: str | None,
    policy: TargetPolicy,
) -> None:
    query = message.question[0]
    record_type = dns.rdatatype.to_text(query.rdtype)
    qname = query.name.to_text(omit_final_dot=True)
    if name_server is None:
        try:
            outcome.server, outcome.port = _system_name_server(outcome.port)
        except (dns.exception.DNSException, _NoSystemNameServer) as exc:
            outcome.error = f"no system name server: {exc}"
            return
    else:
        try:
            outcome.server = await _address_of(name_server, outcome.port)
        except socket.gaierror as exc:
            outcome.error = lookup_failure(exc, name_server)
            return
        try:
            policy.check(name_server, outcome.server)
        except TargetDenied as exc:
            outcome.error = exc.message
            outcome.denied = True
            return

    mark = time.perf_counter()
    try:
        if outcome.protocol == "TCP":
            response = await dns.asyncquery.tcp(message, outcome.server, port=outcome.port)
        else:
            response, used_tcp = await dns.asyncquery.udp_with_fallback(
                message, outcome.server, port=outcome.port
            )
            if used_tcp:
                outcome.protocol = "TCP"
    except dns.exception.Timeout:
        outcome.error = _query_failure(record_type, qname, "ETIMEOUT", outcome)
        return
    except EOFError:
        # dnspython's word for a TCP peer that closed before the whole answer arrived.
        outcome.error = _query_failure(record_type, qname, "ECONNRESET", outcome)
        return
    except OSError as exc:
        outcome.error = _query_failure(record_type, qname, error_code(exc), outcome)
        return
    except dns.exception.DNSException:
        # Malformed or mismatched answers: Node's resolver calls these EBADRESP.
        outcome.error = _query_failure(record_type, qname, "EBADRESP", outcome)
        return
    outcome.query_ms = (time.perf_counter() - mark) * 1000
    outcome.response = response


def _query_failure(record_type: str, query: str, code: str, outcome: _Outcome) -> str:
    """Node's resolver wording (`queryA ETIMEOUT example.com`) plus the server we asked."""
    where = f" ({outcome.server}:{outcome.port} over {outcome.protocol})" if outcome.server else ""
    return f"query{record_type} {code} {query.rstrip('.')}{where}"


def _system_name_server(port: int) -> tuple[str, int]:
    """The first name server in /etc/resolv.conf.

    Read on every run: it changes under DHCP and VPNs, and reading it costs microseconds.
    """
    resolver = dns.resolver.Resolver()
    first = resolver.nameservers[0]
    if isinstance(first, dns.nameserver.Do53Nameserver):
        return first.address, first.port
    if isinstance(first, str):
        return first, port
    # DoH/DoT entries cannot take a plain query; a check that needs one must name its server.
    raise _NoSystemNameServer(f"the first name server is not plain DNS: {first}")


async def _address_of(name_server: str, port: int) -> str:
    """An IP for dnspython, which takes only literals; a host name is resolved here."""
    try:
        return str(ipaddress.ip_address(name_server))
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(name_server, port, type=socket.SOCK_DGRAM)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return str(infos[0][4][0])


def _json_form(query: str, record_type: str, response: dns.message.Message) -> dict[str, Any]:
    return {
        "query": dns.name.from_text(query).to_text(),
        "recordType": record_type,
        "rcode": dns.rcode.to_text(response.rcode()),
        "flags": dns.flags.to_text(response.flags).split(),
        "answer": _records(response.answer),
        "authority": _records(response.authority),
        "additional": _records(response.additional),
    }


def _records(section: Sequence[dns.rrset.RRset]) -> list[dict[str, Any]]:
    return [
        {
            "name": rrset.name.to_text(),
            "type": dns.rdatatype.to_text(rrset.rdtype),
            "ttl": rrset.ttl,
            "data": rdata.to_text(),
        }
        for rrset in section
        for rdata in rrset
    ]


def _readers(doc: dict[str, Any], total_ms: float) -> dict[str, Reader]:
    return {
        "RESPONSE_CODE": lambda _: doc["rcode"],
        "TEXT_ANSWER": lambda _: "\n".join(record["data"] for record in doc["answer"]),
        "JSON_ANSWER": json_reader(doc),
        "RESPONSE_TIME": lambda _: round(total_ms, 2),
    }
