"""What every provider shares: the notification it sends, the outcome it reports, and how an HTTP
answer or a network error becomes an outcome."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from vantage.alerting.http import Response

Verdict = Literal["SUCCESS", "RETRY", "FAILURE"]
# How much of a receiver's answer the notification log keeps.
MAX_RESULT_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Notification:
    """One outbox row as a provider needs it."""

    id: str
    channel_type: str
    config: dict[str, Any]
    context: dict[str, Any]
    alert_type: str
    created_at: datetime
    # The account's variables, secret ones opened: what `{{KEY}}` in a webhook's URL, headers,
    # query and template may name besides the event's variables. Read at send time, never stored
    # with the notification, never shown (repr).
    account_variables: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return str(self.context.get("_kind", "failure"))

    @property
    def incident_key(self) -> str:
        return str(self.context.get("_incident_key") or self.id)


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    detail: str
    retry_after: float | None = None
    rate_limited: bool = False


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def from_response(response: Response) -> Outcome:
    """2xx: delivered. 408, 425, 429 and 5xx: try again (honouring Retry-After). Any other
    answer will not change by resending: failed."""
    status = response.status_code
    detail = f"{status} {response.text[:MAX_RESULT_CHARS]}".strip()
    if 200 <= status < 300:
        return Outcome("SUCCESS", detail)
    if status in (408, 425, 429) or status >= 500:
        wait = retry_after_seconds(response.headers.get("retry-after"))
        return Outcome("RETRY", detail, retry_after=wait, rate_limited=status == 429)
    return Outcome("FAILURE", detail)


def from_network_error(exc: Exception) -> Outcome:
    return Outcome("RETRY", f"{type(exc).__name__}: {exc}"[:MAX_RESULT_CHARS])
