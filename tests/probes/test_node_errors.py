"""One table of Node's error codes: the HTTP, TCP and DNS probes word a failure the same way."""

from __future__ import annotations

import socket

import pytest

from vantage.probes.http.errors import connect_error, dns_error, io_error, timeout_error
from vantage.probes.node_errors import (
    LOOKUP_CODES,
    lookup_failure,
    socket_failure,
    timeout_failure,
)


@pytest.mark.parametrize("gai_errno", sorted(LOOKUP_CODES))
def test_a_failed_lookup_reads_the_same_from_every_probe(gai_errno: int) -> None:
    exc = socket.gaierror(gai_errno, "lookup failed")
    http = dns_error("x.invalid", exc)
    assert str(http) == lookup_failure(exc, "x.invalid")
    assert http.code == LOOKUP_CODES[gai_errno]


def test_a_lookup_failure_keeps_nodes_name_for_a_bad_service() -> None:
    exc = socket.gaierror(socket.EAI_SERVICE, "servname not supported")
    assert str(dns_error("example.com", exc)) == "getaddrinfo EAI_SERVICE example.com"


def test_an_unknown_lookup_failure_is_enotfound() -> None:
    assert str(dns_error("x.invalid", OSError("?"))) == "getaddrinfo ENOTFOUND x.invalid"


def test_a_refused_connection_reads_the_same_from_every_probe() -> None:
    exc = ConnectionRefusedError(111, "refused")
    http = connect_error(("127.0.0.1", 1), exc)
    assert str(http) == socket_failure("connect", exc, "127.0.0.1", 1)
    assert str(http) == "connect ECONNREFUSED 127.0.0.1:1"


def test_a_broken_connection_is_named_by_its_errno_else_its_class() -> None:
    assert str(io_error("write", BrokenPipeError())) == "write EPIPE"
    assert str(io_error("read", OSError())) == "read ECONNRESET"


def test_a_timeout_reads_the_same_from_every_probe() -> None:
    assert str(timeout_error("connect", 5.0)) == timeout_failure("connect", 5.0)
    assert timeout_failure("connect", 5.0) == "Timeout awaiting 'connect' for 5000ms"
