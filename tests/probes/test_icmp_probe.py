"""The ICMP probe against real sockets: real pings on loopback inside a network namespace of its
own (where the test may allow ICMP sockets), and the agent's own error where the kernel refuses
them."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from vantage.probes.icmp import NOT_PERMITTED, latency_figures, packet_loss, run_icmp_check
from vantage.probes.target_policy import TargetPolicy

# Runs one probe inside a fresh network namespace: loopback up, ICMP sockets allowed for every
# group, no route anywhere else. Needs root (or user namespaces) and `ip`.
NAMESPACED = """
set -e
ip link set lo up
echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range
exec "$0" -c "$1" "$2"
"""
PROBE = """
import asyncio, json, sys
from vantage.probes.icmp import run_icmp_check
check = json.loads(sys.argv[1])
r = asyncio.run(run_icmp_check(check, timeout_s=5))
print(json.dumps({"failures": r.has_failures, "errors": r.has_errors, "degraded": r.is_degraded,
                  "network": r.network_error, "ms": r.response_time_ms, "detail": r.detail}))
"""


def ping_in_namespace(check: dict[str, Any]) -> dict[str, Any]:
    assert shutil.which("unshare") and shutil.which("ip"), (
        "needs unshare and ip (util-linux, iproute2)"
    )
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", NAMESPACED, sys.executable, PROBE, json.dumps(check)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_latency_figures_and_loss_are_computed_from_the_replies() -> None:
    assert latency_figures([1.0, 3.0]) == {"min": 1.0, "max": 3.0, "avg": 2.0, "stdDev": 1.0}
    assert latency_figures([])["avg"] is None
    assert packet_loss(10, 7) == 30.0
    assert packet_loss(0, 0) == 100.0


def test_pings_to_loopback_pass_with_their_latency_asserted() -> None:
    check = {
        "request": {
            "hostname": "127.0.0.1",
            "pingCount": 3,
            "assertions": [
                {
                    "source": "LATENCY",
                    "property": "avg",
                    "comparison": "LESS_THAN",
                    "target": "500",
                },
                {
                    "source": "JSON_RESPONSE",
                    "property": "$.packetsReceived",
                    "comparison": "EQUALS",
                    "target": "3",
                },
            ],
        }
    }
    result = ping_in_namespace(check)
    assert result["failures"] is False and result["errors"] is False, result
    response = result["detail"]["response"]
    assert response["packetsSent"] == response["packetsReceived"] == 3
    assert response["packetLoss"] == 0
    assert result["ms"] == response["latency"]["avg"]
    assert [a["passed"] for a in result["detail"]["assertions"]] == [True, True]


def test_a_failing_latency_assertion_fails_the_run() -> None:
    check = {
        "request": {
            "hostname": "127.0.0.1",
            "pingCount": 2,
            "assertions": [
                {"source": "LATENCY", "property": "max", "comparison": "LESS_THAN", "target": "0"}
            ],
        }
    }
    result = ping_in_namespace(check)
    assert result["failures"] is True and result["errors"] is False, result


def test_an_unreachable_host_is_a_network_failure_with_full_loss() -> None:
    # TEST-NET-1: the namespace has no route to it.
    result = ping_in_namespace({"request": {"hostname": "192.0.2.1", "pingCount": 2}})
    assert result["failures"] is True and result["network"] is True, result
    assert result["detail"]["response"]["packetLoss"] == 100
    assert result["detail"]["requestError"]


def test_a_denied_target_is_never_pinged() -> None:
    policy = TargetPolicy.parse("loopback")
    result = asyncio.run(
        run_icmp_check({"request": {"hostname": "127.0.0.1", "pingCount": 1}}, policy=policy)
    )
    assert result.has_failures is True and result.network_error is False
    assert result.detail["response"]["packetsSent"] == 0


def test_where_the_kernel_refuses_icmp_sockets_the_agent_says_so() -> None:
    low, high = map(int, Path("/proc/sys/net/ipv4/ping_group_range").read_text().split())
    result = asyncio.run(run_icmp_check({"request": {"hostname": "127.0.0.1", "pingCount": 1}}))
    if low > high:  # no group may open ICMP sockets here
        assert result.has_errors is True and result.detail["requestError"] == NOT_PERMITTED
    else:
        assert result.has_errors is False and result.detail["response"]["packetsSent"] == 1
