"""The delivery worker: every replica runs one; together they deliver each notification once.

A pass queues due reminders and time-based escalations, claims due notifications
(`outbox.claim`: a lease, a fencing token, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and hands them
to a delivery task, which sends them concurrently (each within the send timeout, at most
`alert_channel_concurrency` at once per channel) and records each outcome under the token it
claimed with. The loop does not wait for a batch to be delivered before claiming the next: up to
`alert_concurrency` sends are in flight. It wakes when a session ends on this replica or, through
PostgreSQL's notifications, on another (`wake`), when a delivery finishes (an earlier
notification of the same channel and check may have been holding a later one back), and at worst
every `alert_poll_seconds` (retries and reminders fall due on their own). A replica that dies
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

import structlog

from vantage.alerting import evaluation, outbox, retry, states
from vantage.alerting.http import HttpClient
from vantage.alerting.providers import email, opsgenie, pagerduty, slack, webhook
from vantage.alerting.providers.base import Notification, Outcome
from vantage.alerting.template import TemplateError
from vantage.config import Settings
from vantage.db.engine import Database
from vantage.probes.target_policy import TargetPolicy
from vantage.timeutil import utcnow

log = structlog.get_logger("vantage.alerting")


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        owner: str | None = None,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.owner = owner or f"deliverer-{uuid.uuid4().hex[:12]}"
        self.wake = wake if wake is not None else asyncio.Event()
        self.smtp = email.SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            timeout=settings.alert_send_timeout_seconds,
        )
        self._client: HttpClient | None = None
        self.policy = TargetPolicy.parse(settings.alert_deny)
        self._channel_slots: dict[int, asyncio.Semaphore] = {}
        self._inflight: set[asyncio.Task[None]] = set()
        self._sending = 0
        self._timers_at = 0.0
        self._undeliverable_warned: set[str] = set()

    @property
    def client(self) -> HttpClient:
        if self._client is None:
            # Alerts go where the channel says: never through the environment's proxies, never
            # redirected (vantage.alerting.http).
            self._client = HttpClient(
                timeout=self.settings.alert_send_timeout_seconds,
                max_idle=self.settings.alert_concurrency,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_forever(self) -> None:
        try:
            while True:
                self.wake.clear()
                try:
                    claimed = await self._pass()
                except Exception:
                    log.exception("alert delivery pass failed")
                    claimed = 0
                if claimed >= self.settings.alert_batch and self._room() > 0:
                    continue  # a full claim: more may be due at once
                await self._idle()
        finally:
            for task in list(self._inflight):
                task.cancel()  # their leases run out; another replica (or the next start) resends
            await asyncio.gather(*self._inflight, return_exceptions=True)
            await self.close()

    def _room(self) -> int:
        return self.settings.alert_concurrency - self._sending

    async def _idle(self) -> None:
        """Until a session ends, a delivery finishes, or the poll interval passes."""
        woken = asyncio.ensure_future(self.wake.wait())
        try:
            await asyncio.wait(
                {woken, *self._inflight},
                timeout=self.settings.alert_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            woken.cancel()

    async def _pass(self, now: datetime | None = None) -> int:
        """Timers (at most once per poll interval), then one claim handed to a delivery task."""
        clock = asyncio.get_running_loop().time()
        if clock >= self._timers_at:
            self._timers_at = clock + self.settings.alert_poll_seconds
            await self.queue_timers(now)
        room = min(self._room(), self.settings.alert_batch)
        if room <= 0:
            return 0
        claimed = await self.claim(room, now)
        if claimed:
            self._sending += len(claimed)
            task = asyncio.create_task(self.deliver(claimed))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(claimed)

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass, delivered before it returns; returns how many notifications it attempted."""
        now = now or utcnow()
        await self.queue_timers(now)
        claimed = await self.claim(self.settings.alert_batch, now)
        if claimed:
            self._sending += len(claimed)
            await self.deliver(claimed)
        return len(claimed)

    async def queue_timers(self, now: datetime | None = None) -> None:
        """Queue the reminders and time-based escalations that fell due."""
        now = now or utcnow()
        async with self.db.read() as conn:
            due = await states.any_timer_due(conn, now)
        if due:
            async with self.db.write() as conn:
                await evaluation.on_timers_due(conn, now)

    async def claim(self, limit: int, now: datetime | None = None) -> list[Any]:
        now = now or utcnow()
        async with self.db.read() as conn:
            if not await outbox.any_due(conn, now):
                return []
        lease_until = now + timedelta(seconds=self.settings.alert_lease_seconds)
        async with self.db.write() as conn:
            return await outbox.claim(conn, self.owner, now, lease_until, limit)

    async def deliver(self, claimed: list[Any]) -> None:
        """Send what was claimed, concurrently within each channel's bound; record the
        outcomes in one write."""
        try:
            outcomes = await asyncio.gather(*(self._bounded(row) for row in claimed))
            finished = utcnow()
            results = [
                self._outcome(row, o, finished) for row, o in zip(claimed, outcomes, strict=True)
            ]
            async with self.db.write() as conn:
                await outbox.finish_many(conn, results)
        finally:
            self._sending -= len(claimed)

    async def _bounded(self, row: Any) -> Outcome:
        channel = int(row.alert_channel_id)
        slots = self._channel_slots.get(channel)
        if slots is None:
            slots = asyncio.Semaphore(self.settings.alert_channel_concurrency)
            self._channel_slots[channel] = slots
        async with slots:
            return await self._attempt(row)

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
        built: webhook.Request | None = None
        if kind in ("WEBHOOK", "SLACK"):
            url = str(notification.config.get("url") or "")
            if kind == "WEBHOOK":
                try:
                    built = webhook.build(notification, link)
                except TemplateError as exc:
                    return Outcome("FAILURE", f"template error: {exc}")
                url = built[1]
            reason = await self.denied(url)
            if reason:
                return Outcome("FAILURE", reason)
        if kind == "WEBHOOK":
            return await webhook.send(self.client, notification, link, built)
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
        if kind not in self._undeliverable_warned:
            # Once per type and process: each notification's FAILURE already says it in the log.
            self._undeliverable_warned.add(kind)
            log.warning(
                "alert channel type is stored but not delivered",
                channel_type=kind,
                hint="SLACK_APP, SMS and CALL need Checkly's own integrations; use a WEBHOOK "
                "channel to an SMS or voice gateway instead (docs/alerting.md)",
            )
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
