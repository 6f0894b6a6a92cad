"""What every probe returns, and the verdict rules shared by all check types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vantage.probes.certificate import PeerCertificate


@dataclass(slots=True)
class ProbeResult:
    """The outcome of one run of one check in one location.

    `detail` is already in wire shape (Checkly's `apiCheckResult`, or Vantage's `tcpCheckResult` /
    `dnsCheckResult`), stored as JSON and returned as is; `detail_key` names it.
    """

    check_type: str
    started_at: datetime
    stopped_at: datetime
    response_time_ms: float
    has_failures: bool
    is_degraded: bool
    over_max_response_time: bool
    detail_key: str
    detail: dict[str, Any] = field(default_factory=dict)
    has_errors: bool = False
    # True when the run failed for a network reason (DNS, refused, reset, timeout, TLS): retry
    # strategies with `onlyOn: ["NETWORK_ERROR"]` retry only these.
    network_error: bool = False
    error: str | None = None
    # The certificate an HTTPS run's TLS handshake was served (API and URL checks), for the
    # server's SSL expiry alerts; None for other runs and from agents that predate it.
    certificate: PeerCertificate | None = None

    @classmethod
    def judged(
        cls,
        verdict: Verdict,
        *,
        check_type: str,
        started_at: datetime,
        stopped_at: datetime,
        response_time_ms: float,
        detail_key: str,
        detail: dict[str, Any],
        network_error: bool = False,
        error: str | None = None,
        certificate: PeerCertificate | None = None,
    ) -> ProbeResult:
        """The result of a run that `judge` gave `verdict`."""
        return cls(
            check_type=check_type,
            started_at=started_at,
            stopped_at=stopped_at,
            response_time_ms=response_time_ms,
            has_failures=verdict.has_failures,
            is_degraded=verdict.is_degraded,
            over_max_response_time=verdict.over_max_response_time,
            detail_key=detail_key,
            detail=detail,
            network_error=network_error,
            error=error,
            certificate=certificate,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    has_failures: bool
    is_degraded: bool
    over_max_response_time: bool


def judge(
    *,
    response_ok: bool,
    network_error: bool,
    response_time_ms: float,
    degraded_ms: float,
    max_ms: float,
    should_fail: bool = False,
) -> Verdict:
    """Decide pass/fail/degraded the way Checkly does.

    `response_ok` is the probe's own view (every assertion held). `shouldFail` inverts only that
    view: a check that expects an error response still fails when no response came at all, or
    when it came too late.
    """
    over_max = response_time_ms > max_ms
    bad_response = not response_ok
    if should_fail and not network_error:
        bad_response = not bad_response
    has_failures = network_error or bad_response or over_max
    is_degraded = not has_failures and response_time_ms > degraded_ms
    return Verdict(
        has_failures=has_failures, is_degraded=is_degraded, over_max_response_time=over_max
    )
