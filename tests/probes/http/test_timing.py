"""Kernel-timed phases: the handshake from TCP_INFO, the response from SO_TIMESTAMPNS, and a total
that is the sum of the phases, so the prober's own waits are never counted."""

from __future__ import annotations

import pytest

from tests.targets.http_target import HttpTarget
from vantage.probes.http.client import HttpRequestSpec, RawHttpProbe
from vantage.probes.http.timing import HopTimings


def loaded_hop() -> HopTimings:
    """A hop whose connect callback ran 30 ms late and whose response was read 40 ms late."""
    t = HopTimings(start=100.000)
    t.socket = 100.000
    t.lookup = 100.000
    t.connect = 100.031  # user-space: 1 ms handshake + 30 ms waiting for the loop
    t.tcp_rtt = 0.001
    t.sent = 100.032
    t.sent_wall = 5000.000
    t.first_byte_kernel = 5000.100  # the kernel saw the first byte 100 ms after the send
    t.first_byte_user = 100.172
    t.end_kernel = 5000.102
    t.end_user = 100.174
    return t


def test_the_handshake_is_the_kernels_round_trip() -> None:
    phases = loaded_hop().node_phases()
    assert phases["tcp"] == pytest.approx(1.0)
    assert phases["firstByte"] == pytest.approx(100.0)
    assert phases["download"] == pytest.approx(2.0)


def test_the_total_is_the_sum_of_the_phases() -> None:
    hop = loaded_hop()
    phases = hop.node_phases()
    assert phases["total"] == pytest.approx(103.0)
    assert hop.node_timings()["end"] == pytest.approx(phases["total"])
    assert hop.node_timings()["connect"] == pytest.approx(1.0)


def test_the_user_space_view_keeps_the_waits() -> None:
    phases = loaded_hop().node_phases(user=True)
    assert phases["tcp"] == pytest.approx(31.0)
    assert phases["total"] == pytest.approx(174.0)


def test_a_failed_hop_runs_to_the_failure() -> None:
    t = HopTimings(start=10.0)
    t.socket = t.lookup = 10.0
    t.failed_at = 12.5
    assert t.total_s() == pytest.approx(2.5)


async def test_a_real_loopback_handshake_reads_a_kernel_round_trip(
    http_target: HttpTarget,
) -> None:
    response = await RawHttpProbe().request(HttpRequestSpec(url=f"{http_target.base_url}/ok"))
    rtt = response.timings.tcp_rtt
    assert rtt is not None and 0 < rtt < 0.05
    assert response.timings.node_phases()["tcp"] == pytest.approx(rtt * 1000, abs=0.001)
