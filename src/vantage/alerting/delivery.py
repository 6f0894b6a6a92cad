"""The delivery worker: every replica runs one; together they deliver each notification once.

A pass (`run_once`) queues due reminders, claims due notifications (`outbox.claim`: a lease, a
fencing token, `FOR UPDATE SKIP LOCKED` on PostgreSQL), sends them concurrently, each within the
send timeout, and records each outcome under the token it claimed with. A replica that dies
mid-send leaves its claims to the others once their lease runs out: the one case where a receiver
may get a notification twice, with the same idempotency key (`webhook-id`, PagerDuty's
`dedup_key`, Opsgenie's `alias`, the email's `Message-ID`). A slow or dead provider holds only
this worker: result intake never waits for a delivery.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx2
import structlog

from vantage.alerting import evaluation, outbox, retry, states
from vantage.alerting.providers import email, opsgenie, pagerduty, slack, webhook
from vantage.alerting.providers.base import Notification, Outcome
from vantage.alerting.template import TemplateError
from vantage.config import Settings
from vantage.db.engine import Database
from vantage.probes.target_policy import TargetPolicy
from vantage.timeutil import utcnow

log = structlog.get_logger("vantage.alerting")


class Deliverer:
    def __init__(self, settings: Settings, db: Database, *, owner: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.owner = owner or f"deliverer-{uuid.uuid4().hex[:12]}"
        self.smtp = email.SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            timeout=settings.alert_send_timeout_seconds,
        )
        self._client: httpx2.AsyncClient | None = None
        self.policy = TargetPolicy.parse(settings.alert_deny)

    @property
    def client(self) -> httpx2.AsyncClient:
        if self._client is None:
            # Alerts go where the channel says, never through the environment's proxies.
            self._client = httpx2.AsyncClient(
                timeout=self.settings.alert_send_timeout_seconds,
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    handled = await self.run_once()
                except Exception:
                    log.exception("alert delivery pass failed")
                    handled = 0
                if not handled:
                    await asyncio.sleep(self.settings.alert_poll_seconds)
        finally:
            await self.close()

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass; returns how many notifications it attempted."""
        now = now or utcnow()
        async with self.db.read() as conn:
            reminders = await states.any_reminder_due(conn, now)
        if reminders:
            async with self.db.write() as conn:
                await evaluation.on_reminders_due(conn, now)
        async with self.db.read() as conn:
            if not await outbox.any_due(conn, now):
                return 0
        lease_until = now + timedelta(seconds=self.settings.alert_lease_seconds)
        async with self.db.write() as conn:
            claimed = await outbox.claim(
                conn, self.owner, now, lease_until, self.settings.alert_batch
            )
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._attempt(row) for row in claimed))
        finished = utcnow()
        results = [
            self._outcome(row, o, finished) for row, o in zip(claimed, outcomes, strict=True)
        ]
        async with self.db.write() as conn:
            await outbox.finish_many(conn, results)
        return len(claimed)

    async def _attempt(self, row: Any) -> Outcome:
        notification = Notification(
            id=row.id,
            channel_type=row.channel_type,
            config=dict(row.channel.get("config") or {}),
            context=dict(row.context),
            alert_type=row.alert_type,
            created_at=row.created_at,
        )
        try:
            async with asyncio.timeout(self.settings.alert_send_timeout_seconds + 1):
                return await self.send(notification)
        except TimeoutError:
            return Outcome("RETRY", "timed out")
        except Exception as exc:  # a provider bug must not stop the worker
            log.exception("alert provider failed", notification=row.id)
            return Outcome("RETRY", f"{type(exc).__name__}: {exc}")

    def result_link(self, notification: Notification) -> str:
        path = str(notification.context.get("_result_path") or "")
        return self.settings.base_url + path if path else ""

    async def denied(self, url: str) -> str | None:
        """Why the account's URL may not be called, if it may not: one of its addresses is in
        VANTAGE_ALERT_DENY. (The name is resolved again when connecting; a name that changes
        its answer in between is not caught: keep internal names off public DNS.)"""
        if not self.policy.deny:
            return None
        try:
            host = urlsplit(url).hostname or ""
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except (ValueError, OSError) as exc:
            return f"cannot resolve the destination: {exc}"
        for info in infos:
            address = str(info[4][0])
            if self.policy.denies(address):
                return f"destination {host} ({address}) is denied by VANTAGE_ALERT_DENY"
        return None

    async def send(self, notification: Notification) -> Outcome:
        link = self.result_link(notification)
        kind = notification.channel_type
        if kind in ("WEBHOOK", "SLACK"):
            url = str(notification.config.get("url") or "")
            if kind == "WEBHOOK":
                try:
                    url = webhook.build(notification, link)[1]
                except TemplateError as exc:
                    return Outcome("FAILURE", f"template error: {exc}")
            reason = await self.denied(url)
            if reason:
                return Outcome("FAILURE", reason)
        if kind == "WEBHOOK":
            return await webhook.send(self.client, notification, link)
        if kind == "SLACK":
            return await slack.send(self.client, notification, link)
        if kind == "PAGERDUTY":
            return await pagerduty.send(
                self.client, notification, link, self.settings.pagerduty_url
            )
        if kind == "OPSGENIE":
            eu = notification.config.get("region") == "EU"
            base = self.settings.opsgenie_eu_url if eu else self.settings.opsgenie_url
            return await opsgenie.send(self.client, notification, link, base)
        if kind == "EMAIL":
            return await email.send(self.smtp, notification, link)
        return Outcome("FAILURE", f"Vantage cannot deliver to {kind} channels")

    def _outcome(self, row: Any, outcome: Outcome, now: datetime) -> dict[str, Any]:
        """What an attempt makes of its row: delivered, to retry (when), or given up."""
        attempts = int(row.attempts)
        next_at: datetime | None = None
        sent: datetime | None = None
        if outcome.verdict == "SUCCESS":
            status, sent = "SUCCESS", now
        elif outcome.verdict == "RETRY" and not retry.gives_up(
            attempts, self.settings.alert_max_attempts
        ):
            wait = retry.delay_seconds(
                attempts, self.settings.alert_retry_base_seconds, outcome.retry_after
            )
            status, next_at = "PENDING", now + timedelta(seconds=wait)
        else:
            status = "RATE_LIMITED" if outcome.rate_limited else "FAILURE"
        log.info(
            "alert notification",
            notification=row.id,
            channel=row.alert_channel_id,
            alert_type=row.alert_type,
            attempt=attempts,
            status=status,
            detail=outcome.detail[:200],
        )
        return {
            "b_seq": int(row.seq),
            "b_token": int(row.lease_token),
            "b_status": status,
            "b_result": outcome.detail,
            "b_next": next_at,
            "b_sent": sent,
        }
