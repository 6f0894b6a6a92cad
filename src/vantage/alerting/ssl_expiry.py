"""SSL certificate expiry alerts: Checkly's channel settings `sslExpiry` and
`sslExpiryThreshold` (days). Every `alert_ssl_interval_seconds` (an hour) the server reads the
certificate of each activated check that a channel with `sslExpiry` listens to: the check's
`sslCheckDomain` (`host` or `host:port`), else the host of its HTTPS request URL. When the
certificate expires within a channel's threshold, that channel gets one `ALERT_SSL` per
certificate (a renewed certificate alerts again when its turn comes), as Checkly's: title
`The SSL certificate for <domain> will expire in <n> days`, variables `SSL_CHECK_DOMAIN` and
`SSL_DAYS_REMAINING`. Muted checks and maintenance windows silence it as any alert.

The certificate comes from the check's runs when they saw it: an HTTPS run's agent (embedded or
remote) sends the certificate its TLS handshake was served, and the intake keeps the latest on the
check's status row (`check_statuses.certificate`). So a host that only a private location's agent
reaches still alerts. That one is used when it is the host and port wanted and a run saw it within
`FRESH` (a day); otherwise the server reads the certificate itself (as Checkly reads it from its
own), without verifying it (an expired or self-signed certificate still has a date), its host
checked against `VANTAGE_ALERT_DENY` first, as webhook URLs are; when that read fails, a run's older
sighting still counts. A request URL made of variables (`https://{{HOST}}/`) has its certificate
where its runs found it. One replica at a time decides per check: the check's alert state row is
locked while the notifications are written.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import structlog
from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import maintenance, outbox, states
from vantage.alerting.policy import is_muted
from vantage.db.tables import (
    alert_channel_subscriptions,
    alert_channels,
    alert_notifications,
    check_alerts,
    check_groups,
    check_statuses,
    checks,
)
from vantage.probes.certificate import days_left, stored_timestamp
from vantage.probes.target_policy import TargetPolicy
from vantage.runtime import Runtime
from vantage.timeutil import utcnow

log = structlog.get_logger("vantage.alerting")

ALERT_SSL = "ALERT_SSL"


def domain_of(config: Mapping[str, Any]) -> tuple[str, int] | None:
    """Where the check's certificate is: `sslCheckDomain`, else its HTTPS request URL's host."""
    explicit = str(config.get("sslCheckDomain") or "").strip()
    if explicit:
        parts = urlsplit(explicit if "//" in explicit else f"//{explicit}")
    else:
        url = str((config.get("request") or {}).get("url") or "")
        parts = urlsplit(url)
        if parts.scheme.lower() != "https":
            return None
    try:
        host, port = parts.hostname, parts.port or 443
    except ValueError:
        return None
    if not host or "{" in host:
        return None  # a URL made of variables: nothing to read until a run fills it in
    return host, port


# How long a certificate a run saw is taken as the one served without asking the host again: a
# check's runs are at most a day apart (Checkly's longest frequency).
FRESH = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Seen:
    """The certificate a run of the check was served (its status row's `certificate`)."""

    host: str
    port: int
    not_after: datetime
    seen_at: datetime

    @classmethod
    def of(cls, stored: Any) -> Seen | None:
        if not isinstance(stored, Mapping):
            return None
        try:
            return cls(
                str(stored["host"]),
                int(stored["port"]),
                stored_timestamp(stored["notAfter"]),
                stored_timestamp(stored["seenAt"]),
            )
        except (KeyError, TypeError, ValueError):
            return None  # written by a later version, or damaged: ask the host instead

    def serves(self, target: tuple[str, int]) -> bool:
        return self.port == target[1] and _host_key(self.host) == _host_key(target[0])


def _host_key(host: str) -> str:
    # The probe connects to the IDNA form of the URL's host; the check may spell it in Unicode.
    try:
        return host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return host.lower()


def target_of(config: Mapping[str, Any], seen: Seen | None) -> tuple[str, int] | None:
    """Where the check's certificate is: `domain_of`, or, for a request URL made of variables
    (and no `sslCheckDomain`), where its runs found it."""
    target = domain_of(config)
    if target is not None or seen is None or str(config.get("sslCheckDomain") or "").strip():
        return target
    url = str((config.get("request") or {}).get("url") or "")
    return (seen.host, seen.port) if "{{" in url else None


@dataclass(frozen=True, slots=True)
class Listener:
    channel_id: int
    channel_type: str
    config: Mapping[str, Any]
    threshold: int


def due(listeners: Iterable[Listener], days: int, already: set[int]) -> list[Listener]:
    """The channels this certificate should alert now: within their threshold, not yet told."""
    return [c for c in listeners if days <= c.threshold and c.channel_id not in already]


def title(domain: str, days: int) -> str:
    if days < 0:
        return f"The SSL certificate for {domain} has expired"
    return f"The SSL certificate for {domain} will expire in {days} days"


async def read_expiry(host: str, port: int, timeout: float) -> datetime:
    """The `notAfter` of the certificate the host serves (not verified: only its date is read)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    async with asyncio.timeout(timeout):
        _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return x509.load_der_x509_certificate(der).not_valid_after_utc


async def _subjects(conn: AsyncConnection) -> tuple[list[Any], dict[str, list[Listener]]]:
    """Activated checks with a channel that wants SSL alerts, and those channels per check (a
    group's subscriptions, when it has any, replace its checks' own, as for every alert)."""
    subs = alert_channel_subscriptions
    rows = (
        await conn.execute(
            sa.select(
                checks.c.id,
                subs.c.check_id.label("own"),
                alert_channels.c.id.label("channel_id"),
                alert_channels.c.type,
                alert_channels.c.config,
                alert_channels.c.ssl_expiry_threshold,
            )
            .select_from(checks)
            .join(
                subs,
                sa.or_(
                    subs.c.check_id == checks.c.id,
                    sa.and_(checks.c.group_id.is_not(None), subs.c.group_id == checks.c.group_id),
                ),
            )
            .join(alert_channels, alert_channels.c.id == subs.c.alert_channel_id)
            .where(
                checks.c.activated.is_(True),
                subs.c.activated.is_(True),
                alert_channels.c.ssl_expiry.is_(True),
            )
        )
    ).all()
    if not rows:
        return [], {}
    ids = sorted({r.id for r in rows})
    subjects = (
        await conn.execute(
            sa.select(
                checks.c.id,
                checks.c.account_id,
                checks.c.name,
                checks.c.check_type,
                checks.c.tags,
                checks.c.config,
                checks.c.group_id,
                check_groups.c.name.label("group_name"),
                check_groups.c.config.label("group_config"),
                check_statuses.c.certificate,
            )
            .select_from(checks)
            .outerjoin(
                check_groups,
                sa.and_(
                    check_groups.c.id == checks.c.group_id,
                    check_groups.c.account_id == checks.c.account_id,
                ),
            )
            .outerjoin(check_statuses, check_statuses.c.check_id == checks.c.id)
            .where(checks.c.id.in_(ids))
        )
    ).all()
    grouped = set(
        (
            await conn.scalars(
                sa.select(subs.c.group_id).where(
                    subs.c.activated.is_(True),
                    subs.c.group_id.in_(sorted({s.group_id for s in subjects if s.group_id})),
                )
            )
        ).all()
    )
    group_of = {s.id: s.group_id for s in subjects}
    listeners: dict[str, list[Listener]] = defaultdict(list)
    for row in rows:
        by_group = group_of.get(row.id) in grouped
        if by_group == (row.own is not None):
            continue  # the check's own subscription, overridden by its group's (or vice versa)
        listener = Listener(
            int(row.channel_id), row.type, row.config, int(row.ssl_expiry_threshold)
        )
        if listener not in listeners[row.id]:
            listeners[row.id].append(listener)
    return [s for s in subjects if s.id in listeners], dict(listeners)


async def _told(conn: AsyncConnection, check_ids: Sequence[str]) -> dict[tuple[str, str], set[int]]:
    """Per (check, certificate expiry), the channels already sent its ALERT_SSL."""
    rows = await conn.execute(
        sa.select(
            alert_notifications.c.check_id,
            alert_notifications.c.alert_channel_id,
            alert_notifications.c.context,
        ).where(
            alert_notifications.c.alert_type == ALERT_SSL,
            alert_notifications.c.check_id.in_(list(check_ids)),
        )
    )
    told: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row in rows.all():
        told[(row.check_id, str(row.context.get("SSL_NOT_AFTER")))].add(int(row.alert_channel_id))
    return told


def _context(
    subject: Any, domain: str, days: int, not_after: datetime, now: datetime
) -> dict[str, Any]:
    stamp = not_after.isoformat().replace("+00:00", "Z")
    return {
        "ALERT_TITLE": title(domain, days),
        "ALERT_TYPE": ALERT_SSL,
        "CHECK_ID": subject.id,
        "CHECK_NAME": subject.name,
        "CHECK_TYPE": subject.check_type,
        "CHECK_DESCRIPTION": subject.config.get("description") or "",
        "CHECK_RESULT_ID": "",
        "CHECK_ERROR_MESSAGE": title(domain, days),
        "API_CHECK_RESPONSE_STATUS_CODE": None,
        "API_CHECK_RESPONSE_STATUS_TEXT": "",
        "GROUP_NAME": subject.group_name or "",
        "TAGS": list(subject.tags or []),
        "RUN_LOCATION": "",
        "REGION": "",
        "RESPONSE_TIME": None,
        "STARTED_AT": now.isoformat().replace("+00:00", "Z"),
        "IS_REMINDER": False,
        "REMINDER_SEQUENCE": 0,
        "SSL_CHECK_DOMAIN": domain,
        "SSL_DAYS_REMAINING": days,
        "SSL_NOT_AFTER": stamp,
        "_result_path": "",
        # A warning, not an outage: amber in Slack, PagerDuty severity warning.
        "_kind": "degraded",
        "_episode": 0,
        "_incident_key": f"vantage-{subject.id}-ssl-{stamp}",
    }


class SslWatcher:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.policy = TargetPolicy.parse(runtime.settings.alert_deny)

    async def _expiry(self, host: str, port: int) -> datetime | None:
        timeout = self.runtime.settings.alert_send_timeout_seconds
        try:
            if self.policy.deny:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port)
                if any(self.policy.denies(str(info[4][0])) for info in infos):
                    log.info("ssl expiry host denied by VANTAGE_ALERT_DENY", host=host)
                    return None
            return await read_expiry(host, port, timeout)
        except (OSError, ssl.SSLError, TimeoutError, ValueError) as exc:
            log.info("ssl certificate not read", host=host, port=port, error=str(exc))
            return None

    async def run_once(self, now: datetime | None = None) -> int:
        """Read the certificates; queue the ALERT_SSL notifications due. Returns how many."""
        now = now or utcnow()
        async with self.runtime.db.read() as conn:
            subjects, listeners = await _subjects(conn)
        seen = {s.id: Seen.of(s.certificate) for s in subjects}
        domains = {s.id: target_of(s.config, seen[s.id]) for s in subjects}
        # What runs saw of the very certificate wanted (host and port).
        sighted = {
            i: v
            for i, v in seen.items()
            if v is not None and (target := domains[i]) is not None and v.serves(target)
        }
        # Seen lately: taken as it is. Else the server reads the host itself.
        from_runs = {i: v.not_after for i, v in sighted.items() if now - v.seen_at <= FRESH}
        targets = sorted({d for i, d in domains.items() if d is not None and i not in from_runs})
        gate = asyncio.Semaphore(10)

        async def read(target: tuple[str, int]) -> datetime | None:
            async with gate:
                return await self._expiry(*target)

        expiries = dict(zip(targets, await asyncio.gather(*map(read, targets)), strict=True))
        found: list[tuple[Any, tuple[str, int], datetime]] = []
        for subject in subjects:
            target = domains[subject.id]
            if target is None:
                continue
            expiry = from_runs.get(subject.id) or expiries.get(target)
            if expiry is None and subject.id in sighted:
                # The server cannot read it (a private host): the runs' last word still counts.
                expiry = sighted[subject.id].not_after
            if expiry is not None:
                found.append((subject, target, expiry))
        if not found:
            return 0
        async with self.runtime.db.write() as conn:
            # Locked, so two replicas never both decide a check's alert.
            await states.lock(conn, [(s.id, s.account_id) for s, _, _ in found], now)
            told = await _told(conn, [s.id for s, _, _ in found])
            windows = await maintenance.active_windows(
                conn, {s.account_id for s, _, _ in found}, now
            )
            rows, events = [], []
            for subject, (host, port), not_after in found:
                days = days_left(not_after, now)
                stamp = not_after.isoformat().replace("+00:00", "Z")
                channels = due(listeners[subject.id], days, told[(subject.id, stamp)])
                silenced = is_muted(subject.config, subject.group_config) or maintenance.silences(
                    windows.get(subject.account_id, ()), subject.tags or (), subject.group_config
                )
                if not channels or silenced:
                    continue
                domain = host if port == 443 else f"{host}:{port}"
                context = _context(subject, domain, days, not_after, now)
                events.append(_event(subject, context, now))
                rows += [_row(subject, c, context, now) for c in channels]
            if events:
                await conn.execute(check_alerts.insert(), events)
            await outbox.insert_many(conn, rows)
        if rows:
            self.runtime.signals.alerts_raised()
        return len(rows)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("ssl expiry pass failed")
            await asyncio.sleep(self.runtime.settings.alert_ssl_interval_seconds)


def _row(subject: Any, channel: Listener, context: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "account_id": subject.account_id,
        "alert_channel_id": channel.channel_id,
        "check_id": subject.id,
        "alert_type": ALERT_SSL,
        "channel_type": channel.channel_type,
        "status": "PENDING",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_token": 0,
        "context": context,
        "channel": {
            "id": channel.channel_id,
            "type": channel.channel_type,
            "config": dict(channel.config),
        },
        "created_at": now,
    }


def _event(subject: Any, context: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "account_id": subject.account_id,
        "check_id": subject.id,
        "name": subject.name,
        "alert_type": ALERT_SSL,
        "check_type": subject.check_type,
        "run_location": None,
        "response_time": None,
        "error": context["ALERT_TITLE"],
        "status_code": None,
        "started_at": now,
        "created_at": now,
    }
