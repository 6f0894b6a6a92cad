"""The TCP check probe: resolve, connect, optionally send `request.data`, read the reply, assert.

The whole exchange runs under one deadline (`timeout_s`, else the check's `maxResponseTime`).
A reply is read when something was sent or a RESPONSE_DATA assertion needs one; it ends when the
peer closes, falls silent for `IDLE_GAP_S`, or has sent `READ_LIMIT_BYTES`. Response time runs to
the last byte (or the close), so the idle gap that proves the reply complete is never billed.

Result detail (`tcpCheckResult`)::

    {"request": {"hostname", "port", "data", "ipFamily"},
     "response": {"data": text (first DETAIL_DATA_LIMIT_CHARS), "truncated", "bytesReceived",
                  "resolvedAddress", "timings": {"dns", "connect", "data", "total"}},  # ms
     "assertions": [{"order", "source", "property", "comparison", "target", "regex",
                     "actual", "passed"} (+ "error" when it failed or its value could not be read)],
     "requestError": "connect ECONNREFUSED 127.0.0.1:1" | null}

A phase not reached has a null timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vantage.probes.assertions import Reader, all_passed, evaluate_assertions
from vantage.probes.comparisons import TCP_COMPARISONS
from vantage.probes.defaults import response_limits
from vantage.probes.fields import as_mapping, as_port, assertion_list
from vantage.probes.node_errors import lookup_failure, socket_failure, timeout_failure
from vantage.probes.offload import judged
from vantage.probes.result import ProbeResult, judge
from vantage.probes.target_policy import ALLOW_ALL, TargetDenied, TargetPolicy

# Line protocols (SMTP, Redis, memcached) answer and then keep the connection open: silence this
# long after the last byte is how we know the reply is complete.
IDLE_GAP_S = 0.25
READ_LIMIT_BYTES = 256 * 1024
DETAIL_DATA_LIMIT_CHARS = 16 * 1024
_CLOSE_GRACE_S = 1.0


@dataclass(slots=True)
class _Exchange:
    """What happened on the wire; each phase fills in its part, so a failure keeps the rest."""

    phase: str = "lookup"
    resolved_address: str | None = None
    received: bytearray = field(default_factory=bytearray)
    dns_ms: float | None = None
    connect_ms: float | None = None
    data_ms: float | None = None
    error: str | None = None
    # Refused by the operator's policy: not a network error, and no retry can change it
    denied: bool = False


async def run_tcp_check(
    check: Mapping[str, Any],
    *,
    timeout_s: float | None = None,
    policy: TargetPolicy = ALLOW_ALL,
) -> ProbeResult:
    """Run one TCP check (its Checkly JSON) and return the result; never raises for the network.

    `policy` is asked about the resolved address before connecting.
    """
    request = as_mapping(check.get("request"))
    hostname = str(request.get("hostname") or request.get("url") or "").strip()
    if hostname.startswith("[") and hostname.endswith("]"):
        hostname = hostname[1:-1]
    port = as_port(request.get("port"))
    data = request.get("data", request.get("body"))
    ip_family = str(request.get("ipFamily") or "IPv4")
    assertions = assertion_list(request.get("assertions"))
    limits = response_limits("TCP", check)
    degraded_ms, max_ms = limits.degraded_ms, limits.max_ms
    timeout = timeout_s if timeout_s is not None else max_ms / 1000
    payload = data.encode() if isinstance(data, str) and data else None
    wants_reply = any(a.get("source") == "RESPONSE_DATA" for a in assertions)

    started_at = datetime.now(UTC)
    began = time.perf_counter()
    exchange = _Exchange()
    invalid = not hostname or port is None
    if invalid:
        exchange.error = "invalid request: hostname and a port in 1..65535 are required"
    else:
        assert port is not None  # NOTE: narrowed by `invalid` above, which mypy cannot follow
        async with contextlib.AsyncExitStack() as cleanup:
            try:
                async with asyncio.timeout(timeout):
                    await _converse(
                        exchange, cleanup, hostname, port, ip_family, payload, wants_reply, policy
                    )
            except TimeoutError:
                exchange.error = timeout_failure(exchange.phase, timeout)
    elapsed_ms = (time.perf_counter() - began) * 1000

    phases = (exchange.dns_ms, exchange.connect_ms, exchange.data_ms)
    total_ms = elapsed_ms if exchange.error else sum(p or 0.0 for p in phases)
    text = exchange.received.decode("utf-8", errors="replace")
    readers: dict[str, Reader] | None = None
    if exchange.error is None:
        readers = {"RESPONSE_DATA": lambda _: text, "RESPONSE_TIME": lambda _: round(total_ms, 2)}
    records = await judged(
        lambda budget: evaluate_assertions(
            assertions, readers, comparisons=TCP_COMPARISONS, regex_budget=budget
        ),
        text_chars=len(text),
    )

    attempted = not invalid and not exchange.denied
    network_error = exchange.error is not None and attempted
    verdict = judge(
        response_ok=exchange.error is None and all_passed(records),
        network_error=network_error,
        response_time_ms=total_ms,
        degraded_ms=degraded_ms,
        max_ms=max_ms,
        # A check that could not even be attempted must fail, whatever shouldFail says.
        should_fail=bool(check.get("shouldFail")) and attempted,
    )
    detail = {
        "request": {"hostname": hostname, "port": port, "data": data, "ipFamily": ip_family},
        "response": {
            "data": text[:DETAIL_DATA_LIMIT_CHARS],
            "truncated": len(text) > DETAIL_DATA_LIMIT_CHARS,
            "bytesReceived": len(exchange.received),
            "resolvedAddress": exchange.resolved_address,
            "timings": {
                "dns": _ms(exchange.dns_ms),
                "connect": _ms(exchange.connect_ms),
                "data": _ms(exchange.data_ms),
                "total": _ms(total_ms),
            },
        },
        "assertions": records,
        "requestError": exchange.error,
    }
    return ProbeResult.judged(
        verdict,
        check_type="TCP",
        started_at=started_at,
        stopped_at=datetime.now(UTC),
        response_time_ms=total_ms,
        detail_key="tcpCheckResult",
        detail=detail,
        network_error=network_error,
        error=exchange.error,
    )


async def _converse(
    exchange: _Exchange,
    cleanup: contextlib.AsyncExitStack,
    hostname: str,
    port: int,
    ip_family: str,
    payload: bytes | None,
    wants_reply: bool,
    policy: TargetPolicy,
) -> None:
    mark = time.perf_counter()
    try:
        family, sockaddr = await _resolve(hostname, port, ip_family)
    except socket.gaierror as exc:
        exchange.error = lookup_failure(exc, hostname)
        return
    exchange.dns_ms, mark = _lap(mark)
    exchange.resolved_address = str(sockaddr[0])
    try:
        policy.check(hostname, exchange.resolved_address)
    except TargetDenied as exc:
        exchange.error = exc.message
        exchange.denied = True
        return

    exchange.phase = "connect"
    sock: socket.socket | None = None
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, sockaddr)
    except BaseException as exc:  # the socket is ours until the stream owns it, cancelled or not
        if sock is not None:
            sock.close()
        if not isinstance(exc, OSError):
            raise
        exchange.error = socket_failure("connect", exc, exchange.resolved_address, port)
        return
    exchange.connect_ms, mark = _lap(mark)

    exchange.phase = "data"
    reader, writer = await asyncio.open_connection(sock=sock)
    # Closing happens after the deadline's scope: a slow close must not turn a reply into a timeout.
    cleanup.push_async_callback(_close, writer)
    last = mark
    try:
        if payload:
            writer.write(payload)
            await writer.drain()
            last = time.perf_counter()
    except OSError as exc:
        exchange.error = socket_failure("write", exc)
        return
    if payload or wants_reply:
        try:
            last = await _read_reply(exchange.received, reader, wait_for_first=wants_reply)
        except OSError as exc:
            exchange.error = socket_failure("read", exc)
            return
    exchange.data_ms = (last - mark) * 1000


async def _read_reply(
    into: bytearray, reader: asyncio.StreamReader, *, wait_for_first: bool
) -> float:
    """Read until close, idle gap or cap; return when the last byte (or the close) arrived.

    Without an assertion on the reply, a silent peer is fine: we wait only one idle gap for it.
    With one, the first byte may take until the deadline (a slow server is still a server).
    """
    last = time.perf_counter()
    wait: float | None = None if wait_for_first else IDLE_GAP_S
    while len(into) < READ_LIMIT_BYTES:
        try:
            async with asyncio.timeout(wait):
                chunk = await reader.read(READ_LIMIT_BYTES - len(into))
        except TimeoutError:
            break
        last = time.perf_counter()
        if not chunk:
            break
        into += chunk
        wait = IDLE_GAP_S
    return last


async def _resolve(hostname: str, port: int, ip_family: str) -> tuple[int, tuple[Any, ...]]:
    literal = _literal_address(hostname, port)
    if literal is not None:
        return literal
    family = socket.AF_INET6 if ip_family == "IPv6" else socket.AF_INET
    infos = await asyncio.get_running_loop().getaddrinfo(
        hostname, port, family=family, type=socket.SOCK_STREAM
    )
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    found_family, _, _, _, sockaddr = infos[0]
    return int(found_family), tuple(sockaddr)


def _literal_address(hostname: str, port: int) -> tuple[int, tuple[Any, ...]] | None:
    """An IP literal needs no DNS, whatever ipFamily says: the user named the address."""
    try:
        ipaddress.ip_address(hostname.split("%", 1)[0])
    except ValueError:
        return None
    # Numeric-only getaddrinfo does no I/O; it still parses IPv6 scope ids ("fe80::1%eth0").
    infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    family, _, _, _, sockaddr = infos[0]
    return int(family), tuple(sockaddr)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(_CLOSE_GRACE_S):
            await writer.wait_closed()


def _lap(mark: float) -> tuple[float, float]:
    now = time.perf_counter()
    return (now - mark) * 1000, now


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
