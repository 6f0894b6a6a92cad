"""EMAIL: one message per notification over the operator's SMTP server (VANTAGE_SMTP_*).

Subject = ALERT_TITLE; text and HTML parts; `Auto-Submitted: auto-generated` (RFC 3834) so
auto-responders stay quiet; `Message-ID` from the notification's id, so a resend after a crash is
recognisable; every message of one incident `References` the incident, so mail clients thread a
failure with its recovery. SMTP 4xx answers and connection errors are retried; 5xx are final.
"""

from __future__ import annotations

import asyncio
import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from vantage.alerting.providers.base import Notification, Outcome


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str | None
    port: int
    security: str  # "starttls", "tls" or "none"
    username: str | None
    password: str | None
    sender: str
    timeout: float
    # For tests and private CAs: the context that verifies the server's certificate.
    ssl_context: ssl.SSLContext | None = None


def message(notification: Notification, result_link: str, sender: str) -> EmailMessage:
    ctx = notification.context
    domain = sender.rpartition("@")[2] or "vantage.localhost"
    msg = EmailMessage()
    msg["Subject"] = str(ctx.get("ALERT_TITLE", "Vantage alert"))
    msg["From"] = sender
    msg["To"] = str(notification.config.get("address", ""))
    msg["Date"] = format_datetime(notification.created_at)
    msg["Message-ID"] = f"<{notification.id}@{domain}>"
    thread = f"<{notification.incident_key}@{domain}>"
    msg["References"] = thread
    msg["In-Reply-To"] = thread
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Vantage-Check-Id"] = str(ctx.get("CHECK_ID", ""))
    msg["X-Vantage-Alert-Type"] = notification.alert_type
    facts = [
        ("Check", ctx.get("CHECK_NAME")),
        ("Alert", ctx.get("ALERT_TYPE")),
        ("Location", ctx.get("RUN_LOCATION")),
        ("Response time", f"{ctx.get('RESPONSE_TIME')} ms" if ctx.get("RESPONSE_TIME") else None),
        ("Error", ctx.get("CHECK_ERROR_MESSAGE")),
        ("Started at", ctx.get("STARTED_AT")),
        ("Result", result_link),
    ]
    shown = [(k, str(v)) for k, v in facts if v]
    text = "\n".join([str(msg["Subject"]), "", *(f"{k}: {v}" for k, v in shown)])
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in shown
    )
    msg.set_content(text + "\n")
    msg.add_alternative(
        f"<html><body><h2>{html.escape(str(msg['Subject']))}</h2><table>{rows}</table>"
        "</body></html>",
        subtype="html",
    )
    return msg


def deliver(settings: SmtpSettings, msg: EmailMessage) -> None:
    """Hand one message to the SMTP server (blocking: run it in a thread)."""
    assert settings.host is not None
    context = settings.ssl_context or ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(msg)


async def send(settings: SmtpSettings, notification: Notification, result_link: str) -> Outcome:
    if not settings.host:
        return Outcome("FAILURE", "no SMTP server configured (VANTAGE_SMTP_HOST)")
    msg = message(notification, result_link, settings.sender)
    try:
        await asyncio.to_thread(deliver, settings, msg)
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        detail = f"{exc.smtp_code} {text}"
        return Outcome("RETRY" if 400 <= exc.smtp_code < 500 else "FAILURE", detail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        transient = all(400 <= code < 500 for code in codes)
        return Outcome("RETRY" if transient else "FAILURE", f"recipients refused: {exc.recipients}")
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome("RETRY", f"{type(exc).__name__}: {exc}")
    return Outcome("SUCCESS", f"250 accepted by {settings.host}")
