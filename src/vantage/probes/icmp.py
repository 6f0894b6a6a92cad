"""The ICMP check probe: resolve, send `pingCount` echo requests one after another, measure each
reply, assert on the latency figures, judge packet loss.

Pings go through unprivileged ICMP sockets (`SOCK_DGRAM`, `IPPROTO_ICMP`): no root and no raw
sockets, but the kernel must allow the agent's group (Linux: `sysctl net.ipv4.ping_group_range`).
Where it does not, the run ends with an error saying so (`hasErrors`), never a false "down".

Detail (`icmpCheckResult`)::

    {"request": {"hostname", "ipFamily", "pingCount"},
     "response": {"resolvedAddress", "packetsSent", "packetsReceived", "packetLoss",
                  "latency": {"min", "max", "avg", "stdDev"}},   # ms, null without replies
     "assertions": [...], "requestError": str | None}

Assertions: LATENCY reads `property` (avg, min, max, stdDev) in ms; JSON_RESPONSE is a JSONPath
over `response` above. The run's response time is the average latency. A loss at or over
`maxPacketLossThreshold` (%) fails the run, at or over `degradedPacketLossThreshold` degrades it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vantage.probes.assertions import (
    Reader,
    ReaderError,
    all_passed,
    evaluate_assertions,
    json_reader,
)
from vantage.probes.comparisons import COMPARISONS
from vantage.probes.defaults import response_limits
from vantage.probes.fields import as_mapping, assertion_list
from vantage.probes.offload import judged
from vantage.probes.result import ProbeResult, judge
from vantage.probes.target_policy import ALLOW_ALL, TargetDenied, TargetPolicy

DEFAULT_PING_COUNT = 10
# The longest one echo waits for its reply; a ping never waits past the run's deadline either.
ECHO_TIMEOUT_S = 1.0
ECHO_REQUEST = {socket.AF_INET: 8, socket.AF_INET6: 128}
ECHO_REPLY = {socket.AF_INET: 0, socket.AF_INET6: 129}
PAYLOAD = b"vantage-icmp-probe"
NOT_PERMITTED = (
    "ICMP sockets are not permitted for this agent: allow its group in "
    "net.ipv4.ping_group_range (sysctl)"
)


@dataclass
class _Pings:
    address: str | None = None
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    error: str | None = None
    denied: bool = False
    # Vantage's own problem (no ICMP socket), not the target's.
    agent_error: bool = False


def latency_figures(latencies: list[float]) -> dict[str, float | None]:
    """min, max, avg and (population) stdDev of the replies' round trips, in ms."""
    if not latencies:
        return {"min": None, "max": None, "avg": None, "stdDev": None}
    avg = sum(latencies) / len(latencies)
    spread = math.sqrt(sum((x - avg) ** 2 for x in latencies) / len(latencies))
    return {
        "min": round(min(latencies), 3),
        "max": round(max(latencies), 3),
        "avg": round(avg, 3),
        "stdDev": round(spread, 3),
    }


def packet_loss(sent: int, received: int) -> float:
    return round(100 * (sent - received) / sent, 2) if sent else 100.0


def _echo(family: socket.AddressFamily, sequence: int) -> bytes:
    # The kernel fills in the identifier and the checksum of a datagram ICMP socket's echoes.
    return struct.pack("!BBHHH", ECHO_REQUEST[family], 0, 0, 0, sequence) + PAYLOAD


def _is_reply(family: socket.AddressFamily, data: bytes, sequence: int) -> bool:
    if family == socket.AF_INET and data and data[0] >> 4 == 4:
        data = data[(data[0] & 0x0F) * 4 :]  # some kernels hand over the IP header too
    if len(data) < 8:
        return False
    kind, _code, _sum, _ident, seq = struct.unpack("!BBHHH", data[:8])
    return bool(kind == ECHO_REPLY[family] and seq == sequence)


async def _resolve(hostname: str, family: socket.AddressFamily) -> str:
    infos = await asyncio.get_running_loop().getaddrinfo(hostname, None, family=family)
    return str(infos[0][4][0])


async def _ping(
    pings: _Pings, hostname: str, family: socket.AddressFamily, count: int, deadline: float
) -> None:
    loop = asyncio.get_running_loop()
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM, proto)
    except PermissionError:
        pings.error, pings.agent_error = NOT_PERMITTED, True
        return
    except OSError as exc:
        pings.error, pings.agent_error = f"no ICMP socket: {exc.strerror or exc}", True
        return
    with contextlib.closing(sock):
        sock.setblocking(False)
        assert pings.address is not None
        for sequence in range(1, count + 1):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            sent_at = time.perf_counter()
            try:
                await loop.sock_sendto(sock, _echo(family, sequence), (pings.address, 0))
            except OSError as exc:
                pings.error = f"ping failed: {exc.strerror or exc}"
                return
            pings.sent += 1
            wait = min(ECHO_TIMEOUT_S, remaining)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    while True:
                        data, _ = await loop.sock_recvfrom(sock, 2048)
                        if _is_reply(family, data, sequence):
                            pings.latencies.append((time.perf_counter() - sent_at) * 1000)
                            break


def _readers(response: dict[str, Any]) -> dict[str, Reader]:
    def latency(prop: str) -> Any:
        name = prop.strip() or "avg"
        if name not in response["latency"]:
            raise ReaderError(f"Unknown latency figure {prop!r}: use avg, min, max or stdDev")
        return response["latency"][name]

    return {"LATENCY": latency, "JSON_RESPONSE": json_reader(response)}


async def run_icmp_check(
    check: dict[str, Any], *, timeout_s: float | None = None, policy: TargetPolicy = ALLOW_ALL
) -> ProbeResult:
    request = as_mapping(check.get("request"))
    hostname = str(request.get("hostname") or "").strip()
    ip_family = str(request.get("ipFamily") or "IPv4")
    family = socket.AF_INET6 if ip_family == "IPv6" else socket.AF_INET
    count = int(request.get("pingCount") or DEFAULT_PING_COUNT)
    assertions = assertion_list(request.get("assertions"))
    limits = response_limits("ICMP", check)
    degraded_ms, max_ms = limits.degraded_ms, limits.max_ms
    degraded_loss = float(check.get("degradedPacketLossThreshold") or 10)
    max_loss = float(check.get("maxPacketLossThreshold") or 20)
    timeout = timeout_s if timeout_s is not None else max_ms / 1000

    started_at = datetime.now(UTC)
    began = time.perf_counter()
    pings = _Pings()
    try:
        async with asyncio.timeout(timeout):
            pings.address = await _resolve(hostname, family)
        policy.check(hostname, pings.address)
        await _ping(pings, hostname, family, count, began + timeout)
    except TargetDenied as exc:
        pings.error, pings.denied = str(exc), True
    except (TimeoutError, OSError) as exc:
        pings.error = f"could not resolve {hostname!r}: {getattr(exc, 'strerror', None) or exc}"

    received = len(pings.latencies)
    loss = packet_loss(pings.sent, received)
    figures = latency_figures(pings.latencies)
    response = {
        "resolvedAddress": pings.address,
        "packetsSent": pings.sent,
        "packetsReceived": received,
        "packetLoss": loss,
        "latency": figures,
    }
    readers = _readers(response) if received else None
    records = await judged(
        lambda budget: evaluate_assertions(
            assertions, readers, comparisons=COMPARISONS, regex_budget=budget
        ),
        text_chars=0,
    )
    avg_ms = figures["avg"] if figures["avg"] is not None else (time.perf_counter() - began) * 1000
    attempted = not pings.denied and not pings.agent_error
    network_error = attempted and (pings.error is not None or received == 0)
    if network_error and pings.error is None:
        pings.error = f"no reply from {hostname} ({pings.address}) to {pings.sent} pings"
    verdict = judge(
        response_ok=received > 0 and all_passed(records) and loss < max_loss,
        network_error=network_error,
        response_time_ms=avg_ms,
        degraded_ms=degraded_ms,
        max_ms=max_ms,
        should_fail=bool(check.get("shouldFail")) and attempted,
    )
    if not verdict.has_failures and loss >= degraded_loss:
        verdict = type(verdict)(
            has_failures=False,
            is_degraded=True,
            over_max_response_time=verdict.over_max_response_time,
        )
    detail = {
        "request": {"hostname": hostname, "ipFamily": ip_family, "pingCount": count},
        "response": response,
        "assertions": records,
        "requestError": pings.error,
    }
    result = ProbeResult.judged(
        verdict,
        check_type="ICMP",
        started_at=started_at,
        stopped_at=datetime.now(UTC),
        response_time_ms=avg_ms,
        detail_key="icmpCheckResult",
        detail=detail,
        network_error=network_error,
        error=pings.error,
    )
    result.has_errors = pings.agent_error
    if pings.agent_error:
        result.has_failures = True
    return result
