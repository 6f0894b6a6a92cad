"""The delivery worker: every replica runs one; together they deliver each notification once.

A pass queues due reminders and time-based escalations, claims due notifications
(`outbox.claim`: a lease, a fencing token, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and hands them
to a delivery task, which sends them concurrently (each within the send timeout, at most
`alert_channel_concurrency` at once per channel). The outcomes are recorded, each under the token
it was claimed with, by the worker's next pass, in the transaction of its claim: on SQLite every
write waits for the intake's, and a batch costs one write, not two. The loop does not wait for a
batch to be delivered before claiming the next: up to `alert_concurrency` sends are in flight.
Between passes it sleeps, without polling, until the first of: a session ends or another source
raises alerts on this replica or, through PostgreSQL's notifications, on another (`wake`); a
batch's sends end (their outcomes are to be written; an earlier notification of the same channel
and check may have been holding a later one back); the next retry, lease end, reminder or
escalation falls due (read once per sleep); `alert_poll_seconds` passes, the fallback for what no
wake-up announces (a lost notification from another replica, a notification held back by another
replica's send of an earlier one). A replica that dies
mid-send leaves its claims to the others once their lease runs out: the one case where a receiver
may get a notification twice, with the same idempotency key (`webhook-id`, PagerDuty's
`dedup_key`, Opsgenie's `alias`, the email's `Message-ID`). A slow or dead provider holds only
this worker: result intake never waits for a delivery.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Collection, Mapping
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
from vantage.sealing import Sealer, SealError
from vantage.timeutil import utcnow
from vantage.variables import repository as variables_repository

log = structlog.get_logger("vantage.alerting")

# Reminders and time-based escalations are looked for at most this often: every session that ends
# wakes the worker, and one read per wake-up would be wasted when they come by the hundred.
TIMERS_EVERY_SECONDS = 0.5


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
        # Outcomes of ended sends, written with the next claim (`_pass`) in one transaction.
        self._outcomes: list[dict[str, Any]] = []
        # Set when a batch's sends end: its outcomes are to be written (the task may end while the
        # worker reads its next due time, before it waits on the task).
        self._sent = asyncio.Event()
        self._timers_at = 0.0
        self._undeliverable_warned: set[str] = set()
        self._sealer = Sealer(settings.secrets_key)

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
                self._sent.clear()
                now = utcnow()
                try:
                    claimed = await self._pass(now)
                except Exception:
                    log.exception("alert delivery pass failed")
                    # Not at once again: outcomes left to write would make the next pass now.
                    await asyncio.sleep(min(1.0, self.settings.alert_poll_seconds))
                    claimed = 0
                if claimed >= self.settings.alert_batch and self._room() > 0:
                    continue  # a full claim: more may be due at once
                await self._idle(now)
        finally:
            for task in list(self._inflight):
                task.cancel()  # their leases run out; another replica (or the next start) resends
            await asyncio.gather(*self._inflight, return_exceptions=True)
            try:
                await self._record()  # what was sent is not sent again by another replica
            except Exception:
                log.exception("alert delivery could not record its last outcomes")
            await self.close()

    def _room(self) -> int:
        return self.settings.alert_concurrency - self._sending

    async def _idle(self, passed_at: datetime) -> None:
        """Until a wake-up, a delivery finishing, or the next thing due after the pass that
        began at `passed_at`; at most `alert_poll_seconds`."""
        if self.wake.is_set() or self._outcomes:
            # woken during the pass: what woke it may not have been claimed; or sends ended
            # during it, whose outcomes are to be written (and may let later ones go)
            return
        try:
            delay = await self.due_in(passed_at)
        except Exception:
            log.exception("alert delivery could not read its next due time")
            delay = self.settings.alert_poll_seconds
        woken = asyncio.ensure_future(self.wake.wait())
        sent = asyncio.ensure_future(self._sent.wait())
        try:
            await asyncio.wait(
                {woken, sent, *self._inflight}, timeout=delay, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            woken.cancel()
            sent.cancel()

    async def due_in(self, passed_at: datetime) -> float:
        """Seconds until a notification or timer falls due that the pass at `passed_at` could not
        have seen due, at most `alert_poll_seconds`. What was due then was claimed, or is held
        back by a send in flight (whose end wakes the worker, or the fallback poll does)."""
        async with self.db.read() as conn:
            notification = await outbox.next_due_after(conn, passed_at)
            timer = await states.next_timer_at(conn)
        now = utcnow()
        delays = [self.settings.alert_poll_seconds]
        if notification is not None:
            delays.append((notification - now).total_seconds())
        if timer is not None:
            # A timer due already waits for the next look at timers (TIMERS_EVERY_SECONDS).
            not_before = self._timers_at - asyncio.get_running_loop().time()
            delays.append(max((timer - now).total_seconds(), not_before))
        return max(0.0, min(delays))

    async def _pass(self, now: datetime | None = None) -> int:
        """Timers (at most every TIMERS_EVERY_SECONDS), then the outcomes of ended sends and one
        claim, in one transaction, the claim handed to a delivery task."""
        clock = asyncio.get_running_loop().time()
        if clock >= self._timers_at:
            self._timers_at = clock + min(TIMERS_EVERY_SECONDS, self.settings.alert_poll_seconds)
            await self.queue_timers(now)
        room = min(self._room(), self.settings.alert_batch)
        if room <= 0:
            # Sends in flight: their end wakes the worker to claim what these let go.
            await self._record()
            return 0
        claimed = await self.claim(room, now, record=True)
        if claimed:
            self._sending += len(claimed)
            task = asyncio.create_task(self.deliver(claimed, record=False))
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

    async def claim(
        self, limit: int, now: datetime | None = None, *, record: bool = False
    ) -> list[Any]:
        """Claim up to `limit` due notifications; with `record`, the outcomes of ended sends are
        written in the same transaction, before the claim (so a notification they held back
        is claimable in it, and one due at `now` again is claimed: `due_in` takes what was due
        at a pass as claimed or held back). On SQLite every write waits for the intake's
        transactions: one write per batch instead of two halves those waits in a
        notification's latency."""
        now = now or utcnow()
        outcomes, self._outcomes = (self._outcomes, []) if record else ([], self._outcomes)
        if not outcomes:
            async with self.db.read() as conn:
                if not await outbox.any_due(conn, now):
                    return []
        lease_until = now + timedelta(seconds=self.settings.alert_lease_seconds)
        try:
            async with self.db.write() as conn:
                await outbox.finish_many(conn, outcomes)
                return await outbox.claim(conn, self.owner, now, lease_until, limit)
        except BaseException:
            self._outcomes[:0] = outcomes  # not written: the next pass tries again
            raise

    async def _record(self) -> None:
        """Write the outcomes of ended sends that no claim took along."""
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        try:
            async with self.db.write() as conn:
                await outbox.finish_many(conn, outcomes)
        except BaseException:
            self._outcomes[:0] = outcomes
            raise

    async def deliver(self, claimed: list[Any], *, record: bool = True) -> None:
        """Send what was claimed, concurrently within each channel's bound; record the
        outcomes in one write, or (not `record`) leave them to the worker's next pass, which
        this task's end wakes: the next claim then does not wait for a write of its own."""
        try:
            webhooks = {row.account_id for row in claimed if row.channel_type == "WEBHOOK"}
            variables = await self._account_variables(webhooks) if webhooks else {}
            outcomes = await asyncio.gather(
                *(self._bounded(row, variables.get(row.account_id)) for row in claimed)
            )
        finally:
            self._sending -= len(claimed)
        finished = utcnow()
        results = [
            self._outcome(row, o, finished) for row, o in zip(claimed, outcomes, strict=True)
        ]
        if record:
            async with self.db.write() as conn:
                await outbox.finish_many(conn, results)
        else:
            self._outcomes.extend(results)
            self._sent.set()

    async def _account_variables(
        self, account_ids: Collection[str]
    ) -> dict[str, tuple[dict[str, str], list[str]]]:
        """Per account, its variables (secret ones opened) and its secret values, to mask."""
        out: dict[str, tuple[dict[str, str], list[str]]] = {}
        async with self.db.read() as conn:
            rows = await variables_repository.of_accounts(conn, account_ids)
        for row in rows:
            values, secrets = out.setdefault(row.account_id, ({}, []))
            try:
                value = self._sealer.open(row.value) if row.secret else row.value
            except SealError:  # the operator's key changed: the name renders as unknown
                log.warning("account variable cannot be opened", key=row.key)
                continue
            values[row.key] = value
            if row.secret and value:
                secrets.append(value)
        return out

    async def _bounded(
        self, row: Any, variables: tuple[Mapping[str, str], list[str]] | None = None
    ) -> Outcome:
        channel = int(row.alert_channel_id)
        slots = self._channel_slots.get(channel)
        if slots is None:
            slots = asyncio.Semaphore(self.settings.alert_channel_concurrency)
            self._channel_slots[channel] = slots
        async with slots:
            return await self._attempt(row, variables)

    async def _attempt(
        self, row: Any, variables: tuple[Mapping[str, str], list[str]] | None = None
    ) -> Outcome:
        values, secrets = variables or ({}, [])
        notification = Notification(
            id=row.id,
            channel_type=row.channel_type,
            config=dict(row.channel.get("config") or {}),
            context=dict(row.context),
            alert_type=row.alert_type,
            created_at=row.created_at,
            account_variables=values,
        )
        try:
            async with asyncio.timeout(self.settings.alert_send_timeout_seconds + 1):
                outcome = await self.send(notification)
        except TimeoutError:
            outcome = Outcome("RETRY", "timed out")
        except Exception as exc:  # a provider bug must not stop the worker
            log.exception("alert provider failed", notification=row.id)
            outcome = Outcome("RETRY", f"{type(exc).__name__}: {exc}")
        return _masked(outcome, secrets)

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


def _masked(outcome: Outcome, secrets: Collection[str]) -> Outcome:
    """The outcome with the account's secret values masked: its detail goes to the notification
    log and the server's log, and a receiver's answer (or an error) may quote the request."""
    detail = outcome.detail
    for secret in sorted(secrets, key=len, reverse=True):
        detail = detail.replace(secret, "*****")
    return outcome if detail == outcome.detail else dataclasses.replace(outcome, detail=detail)
