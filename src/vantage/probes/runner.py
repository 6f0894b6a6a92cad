"""Run any check: pick the probe for its type, bound it in time, and turn a crash into a result.

This is the only module the agent calls; it knows nothing about sessions or the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from vantage.probes.browser import SCRIPT_RUN_SECONDS, SCRIPT_TYPES, ScriptOptions, run_script_check
from vantage.probes.browser.egress import proxy_for
from vantage.probes.defaults import response_limits
from vantage.probes.dns import run_dns_check
from vantage.probes.http.probe import run_api_check
from vantage.probes.icmp import run_icmp_check
from vantage.probes.masking import DEFAULT_SENSITIVE, SensitiveNames
from vantage.probes.result import ProbeResult
from vantage.probes.target_policy import TargetPolicy
from vantage.probes.tcp.probe import run_tcp_check
from vantage.timeutil import utcnow

log = logging.getLogger(__name__)

# The request is abandoned shortly after maxResponseTime: past it the run has failed anyway.
GRACE_SECONDS = 1.0
MAX_RUN_SECONDS = 46.0


def run_timeout_seconds(check_type: str, config: dict[str, Any]) -> float:
    if check_type in SCRIPT_TYPES:
        return SCRIPT_RUN_SECONDS
    max_ms = response_limits(check_type, config).max_ms
    return min(max_ms / 1000 + GRACE_SECONDS, MAX_RUN_SECONDS)


async def run_check(
    check_type: str,
    config: dict[str, Any],
    *,
    policy: TargetPolicy,
    sensitive: SensitiveNames = DEFAULT_SENSITIVE,
    browsers: asyncio.Semaphore | None = None,
) -> ProbeResult:
    """`policy` has no default: every agent must say which targets its probes may reach.
    `sensitive`: the header and query-parameter names masked in the result. `browsers`: the
    agent's slots for script runs (its browser capacity)."""
    check = {**config, "checkType": check_type}
    timeout = run_timeout_seconds(check_type, config)
    try:
        if check_type in SCRIPT_TYPES:
            # Bounded by its own watchdog, which kills the run's processes; the wait for a
            # browser slot does not count against the run.
            # Their browser connects through the agent's policy too (egress.py).
            options = ScriptOptions(proxy=await proxy_for(policy))
            return await run_script_check(check, options, browsers)
        async with asyncio.timeout(timeout + GRACE_SECONDS):
            return await _dispatch(check_type, check, timeout, policy, sensitive)
    except Exception as exc:
        # A probe bug or an overrun must still give the session its result, marked as an error
        # of Vantage's own (hasErrors), not as the target failing.
        log.exception("probe crashed", extra={"check_type": check_type})
        now = utcnow()
        return ProbeResult(
            check_type=check_type,
            started_at=now,
            stopped_at=now,
            response_time_ms=0.0,
            has_failures=True,
            has_errors=True,
            is_degraded=False,
            over_max_response_time=False,
            detail_key=_detail_key(check_type),
            detail={"requestError": f"internal error: {type(exc).__name__}"},
            error=f"internal error: {type(exc).__name__}",
        )


def _detail_key(check_type: str) -> str:
    keys = {
        "TCP": "tcpCheckResult",
        "DNS": "dnsCheckResult",
        "ICMP": "icmpCheckResult",
        "BROWSER": "browserCheckResult",
        "MULTI_STEP": "multiStepCheckResult",
    }
    return keys.get(check_type, "apiCheckResult")


async def _dispatch(
    check_type: str,
    check: dict[str, Any],
    timeout: float,
    policy: TargetPolicy,
    sensitive: SensitiveNames,
) -> ProbeResult:
    if check_type in ("API", "URL"):
        return await run_api_check(check, timeout_s=timeout, policy=policy, sensitive=sensitive)
    if check_type == "TCP":
        return await run_tcp_check(check, timeout_s=timeout, policy=policy)
    if check_type == "DNS":
        return await run_dns_check(check, timeout_s=timeout, policy=policy)
    if check_type == "ICMP":
        return await run_icmp_check(check, timeout_s=timeout, policy=policy)
    raise ValueError(f"no probe for check type {check_type}")
