"""Mail to a page's subscribers: the confirmation of a subscription (double opt-in) and incident
updates, each with a one-click unsubscribe (RFC 8058).

Mail is queued (`status_page_emails`) in the transaction that causes it and sent by `Mailer`, a
loop every server runs, over the alerting's SMTP settings (VANTAGE_SMTP_*). A claim is a
compare-and-set on the row, so replicas never send one mail twice while its claim holds.

The Mailer sleeps until mail is queued: `queue` rings, once the transaction has committed, every
server running in this process (`install`), whose `Signals` relays it to the other replicas; or
until a retry falls due; at most `alert_poll_seconds`, which bounds a lost notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting.providers import email
from vantage.config import Settings
from vantage.db.engine import Database, after_commit
from vantage.db.tables import status_page_emails as emails
from vantage.db.tables import status_page_subscriptions as subscriptions
from vantage.db.tables import status_pages as pages
from vantage.timeutil import utcnow

if TYPE_CHECKING:
    from vantage.wakeups import Signals

log = structlog.get_logger("vantage.statuspages")
# Mail is queued where the server's public URL is not at hand (the intake): its links start with
# this mark, which the Mailer replaces with VANTAGE_PUBLIC_URL when it sends.
BASE_URL = "\u2063base-url\u2063"
MAX_ATTEMPTS = 6
CLAIM_SECONDS = 120
BATCH = 20
# After a failed pass, the mailer tries again this soon (not at its fallback poll).
RETRY_SECONDS = 1.0
# Each running server's way to wake its mailers (`install`; tests run several in one process).
_wakers: list[Callable[[], None]] = []


def install(signals: Signals) -> Callable[[], None]:
    """Mail queued in this process wakes this server's mailer and, through the bus, every other
    replica's. Returns the undo."""
    waker = signals.mail_queued_now
    _wakers.append(waker)
    return lambda: _wakers.remove(waker)


def _wake() -> None:
    for waker in list(_wakers):
        waker()


def page_address(base_url: str, page: Any) -> str:
    return f"{base_url}/status/{page.url}"


def confirmation(base_url: str, page: Any, token: str) -> tuple[str, str]:
    name = page.config["name"]
    link = f"{page_address(base_url, page)}/subscriptions/confirm?token={token}"
    body = (
        f"Someone (we hope you) subscribed this address to updates of {name}.\n\n"
        f"Confirm the subscription: {link}\n\n"
        "If it was not you, ignore this mail: you will get nothing else from us.\n"
    )
    return f"Confirm your subscription to {name}", body


def unsubscribe_link(base_url: str, page: Any, token: str) -> str:
    return f"{page_address(base_url, page)}/subscriptions/unsubscribe?token={token}"


def incident_update(
    base_url: str, page: Any, incident: Any, status: str, description: str
) -> tuple[str, str]:
    name = page.config["name"]
    subject = f"[{name}] {incident.name}: {status.title()}"
    body = (
        f"{incident.name}\n"
        f"Status: {status.title()} (severity {incident.severity.title()})\n\n"
        f"{description}\n\n"
        f"Current status: {page_address(base_url, page)}\n"
    )
    return subject, body


def maintenance_update(
    base_url: str,
    page: Any,
    window_name: str,
    times: tuple[datetime, datetime],
    status: str,
    description: str,
) -> tuple[str, str]:
    name = page.config["name"]
    start, end = times
    subject = f"[{name}] Maintenance {window_name}: {status.replace('_', ' ').title()}"
    body = (
        f"{window_name}\n"
        f"Status: {status.replace('_', ' ').title()}\n"
        f"Scheduled: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC\n\n"
        f"{description}\n\n"
        f"Current status: {page_address(base_url, page)}\n"
    )
    return subject, body


def row(account_id: str, address: str, subject: str, body: str, now: datetime, **extra: Any) -> Any:
    return {
        "id": str(uuid.uuid4()),
        "account_id": account_id,
        "address": address,
        "subject": subject,
        "body": body,
        "unsubscribe": extra.get("unsubscribe"),
        "status": "PENDING",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def queue(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Queue mail in `conn`'s transaction; the mailers are woken once it has committed (before,
    they could not see it yet)."""
    if not rows:
        return
    await conn.execute(emails.insert(), list(rows))
    hooks = after_commit(conn)
    if hooks is None:
        _wake()  # a connection of the caller's own (tests): it commits as it pleases
    elif _wake not in hooks:
        hooks.append(_wake)


async def _account_pages(conn: AsyncConnection, account_id: str) -> list[Any]:
    return list(
        (await conn.execute(sa.select(pages).where(pages.c.account_id == account_id))).all()
    )


async def _queue_to_subscribers(
    conn: AsyncConnection,
    account_id: str,
    shown: Sequence[Any],
    compose: Callable[[Any], tuple[str, str]],
    now: datetime,
) -> int:
    """Queue `compose(page)` (subject, body) for the verified subscribers of each page in
    `shown`, each with its one-click unsubscribe; returns how many mails."""
    if not shown:
        return 0
    subs = (
        await conn.execute(
            sa.select(subscriptions).where(
                subscriptions.c.status_page_id.in_([p.id for p in shown]),
                subscriptions.c.status == "VERIFIED",
            )
        )
    ).all()
    by_page = {p.id: p for p in shown}
    out = []
    for sub in subs:
        page = by_page[sub.status_page_id]
        subject, body = compose(page)
        link = unsubscribe_link(BASE_URL, page, sub.token)
        body += f"\nUnsubscribe: {link}\n"
        out.append(row(account_id, sub.address, subject, body, now, unsubscribe=link))
    await queue(conn, out)
    return len(out)


async def queue_incident_update(
    conn: AsyncConnection,
    incident: Any,
    status: str,
    description: str,
    now: datetime,
) -> int:
    """Queue the update for the verified subscribers of every page that shows one of the
    incident's services; returns how many mails."""
    services = set(incident.services)
    shown = [
        p
        for p in await _account_pages(conn, incident.account_id)
        if any(services & set(card.get("services", [])) for card in p.cards)
        and not p.config.get("isPrivate")
    ]
    return await _queue_to_subscribers(
        conn,
        incident.account_id,
        shown,
        lambda page: incident_update(BASE_URL, page, incident, status, description),
        now,
    )


def maintenance_pages(candidates: Sequence[Any], visibility: Any) -> list[Any]:
    """The public pages a window's status updates are mailed to, from its `statusPageVisibility`:
    none unless `enabled`; the pages it names in `statusPageIds`, or, naming none, those showing
    one of its `serviceIds`, or every page with `affectAllServices`."""
    if not isinstance(visibility, dict) or not visibility.get("enabled"):
        return []
    public = [p for p in candidates if not p.config.get("isPrivate")]
    named = {str(i) for i in visibility.get("statusPageIds") or []}
    if named:
        return [p for p in public if str(p.id) in named]
    if visibility.get("affectAllServices"):
        return public
    services = {str(i) for i in visibility.get("serviceIds") or []}
    return [p for p in public if any(services & set(card.get("services", [])) for card in p.cards)]


async def queue_maintenance_update(
    conn: AsyncConnection,
    account_id: str,
    window: Any,
    times: tuple[datetime, datetime],
    status: str,
    description: str,
    now: datetime,
) -> int:
    """Queue a maintenance status update for the verified subscribers of the pages the window
    shows on (`maintenance_pages`); returns how many mails."""
    shown = maintenance_pages(
        await _account_pages(conn, account_id), window.get("statusPageVisibility")
    )
    name = str(window.get("name", ""))
    return await _queue_to_subscribers(
        conn,
        account_id,
        shown,
        lambda page: maintenance_update(BASE_URL, page, name, times, status, description),
        now,
    )


def message(mail: Any, sender: str, base_url: str) -> EmailMessage:
    domain = sender.rpartition("@")[2] or "vantage.localhost"
    msg = EmailMessage()
    msg["Subject"] = mail.subject.replace(BASE_URL, base_url)
    msg["From"] = sender
    msg["To"] = mail.address
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = f"<{mail.id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe:
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe.replace(BASE_URL, base_url)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(mail.body.replace(BASE_URL, base_url))
    return msg


class Mailer:
    """Sends the queued mail; a failed send is retried with backoff, up to MAX_ATTEMPTS."""

    def __init__(self, settings: Settings, db: Database, wake: asyncio.Event | None = None) -> None:
        self.settings = settings
        self.db = db
        # Set when mail is queued (`Signals.mail_queued`).
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

    async def run_forever(self) -> None:
        while True:
            # Cleared before the claim: mail queued from here on ends the sleep below at once.
            self.wake.clear()
            try:
                passed_at = utcnow()
                if await self.run_once(passed_at):
                    continue  # it sent: more may have been queued meanwhile
                delay = await self.due_in(passed_at)
            except Exception:
                log.exception("status page mail pass failed")
                delay = min(self.settings.alert_poll_seconds, RETRY_SECONDS)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self.wake.wait()

    async def due_in(self, passed_at: datetime) -> float:
        """Seconds until a mail falls due that the pass at `passed_at` could not have claimed (a
        retry, a claim that ran out), at most `alert_poll_seconds`. Without an SMTP server
        nothing is ever sent: only a wake-up or the fallback ends the sleep."""
        longest = self.settings.alert_poll_seconds
        if not self.smtp.host:
            return longest
        async with self.db.read() as conn:
            due: datetime | None = await conn.scalar(
                sa.select(sa.func.min(emails.c.next_attempt_at)).where(
                    emails.c.status.in_(("PENDING", "SENDING")),
                    emails.c.next_attempt_at > passed_at,
                )
            )
        if due is None:
            return longest
        return max(0.0, min(longest, (due - utcnow()).total_seconds()))

    async def _claim(self, now: datetime) -> list[Any]:
        async with self.db.write() as conn:
            due = (
                await conn.execute(
                    sa.select(emails)
                    .where(
                        emails.c.status.in_(("PENDING", "SENDING")),
                        emails.c.next_attempt_at <= now,
                    )
                    .order_by(emails.c.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
            claimed = []
            for mail in due:
                result = await conn.execute(
                    emails.update()
                    .where(emails.c.id == mail.id, emails.c.attempts == mail.attempts)
                    .values(
                        status="SENDING",
                        attempts=mail.attempts + 1,
                        next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
                    )
                )
                if result.rowcount:
                    claimed.append(mail)
        return claimed

    async def run_once(self, now: datetime | None = None) -> int:
        if not self.smtp.host:
            return 0
        claimed = await self._claim(now or utcnow())
        for mail in claimed:
            outcome = await self._send(mail)
            now = utcnow()
            attempts = mail.attempts + 1
            if outcome is None:
                values: dict[str, Any] = {"status": "SENT", "sent_at": now, "result": "sent"}
            elif attempts >= MAX_ATTEMPTS:
                values = {"status": "FAILED", "result": outcome}
            else:
                retry_at = now + timedelta(
                    seconds=self.settings.alert_retry_base_seconds * 2**attempts
                )
                values = {"status": "PENDING", "next_attempt_at": retry_at, "result": outcome}
            async with self.db.write() as conn:
                await conn.execute(
                    emails.update()
                    .where(emails.c.id == mail.id, emails.c.attempts == attempts)
                    .values(**values)
                )
        return len(claimed)

    async def _send(self, mail: Any) -> str | None:
        """None when the server took it, else why not."""
        try:
            msg = message(mail, self.smtp.sender, self.settings.base_url)
            # Not asyncio.wait_for: on Python 3.11 it returns the result, and swallows the
            # cancellation, when the server stops as the send ends; the loop then never stopped.
            async with asyncio.timeout(self.smtp.timeout + 5):
                await asyncio.to_thread(email.deliver, self.smtp, msg)
        except Exception as exc:
            log.warning("status page mail not sent", mail_id=mail.id, error=type(exc).__name__)
            return f"{type(exc).__name__}: {exc}"
        return None
