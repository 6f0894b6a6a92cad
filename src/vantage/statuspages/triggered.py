"""A check's `triggerIncident`: its failure alert opens an incident on the service it names, its
recovery resolves it, as at Checkly.

Called by the alerting's evaluation with the alerts a batch raised, in the result's transaction:
a batch that raises no alert, or whose checks name no service, costs no statement at all, so the
intake is no slower for checks that do not use it. Reminders open nothing; a check has at most one
open incident of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.statuspages import mail
from vantage.statuspages import repository as repo
from vantage.statuspages.public_cache import forget_pages

RECOVERED = "The check that watches this service passes again."


def _wants(session: Any, alert: Any) -> bool:
    config = session.config or {}
    return (
        isinstance(config.get("triggerIncident"), dict)
        and not alert.is_reminder
        and alert.kind in ("failure", "recovery")
    )


async def on_alerts(conn: AsyncConnection, raised: Sequence[tuple[Any, Any]], now: datetime) -> int:
    """Open and resolve the incidents these alerts call for; returns how many changed."""
    wanted = [(s, a) for s, a in raised if _wants(s, a)]
    if not wanted:
        return 0
    opened = {
        row.check_id: row
        for row in await repo.open_incidents_of_checks(conn, {s.check_id for s, _ in wanted})
    }
    changed = 0
    for session, alert in wanted:
        trigger = session.config["triggerIncident"]
        notify = bool(trigger.get("notifySubscribers"))
        held = opened.get(session.check_id)
        if alert.kind == "failure" and held is None:
            service_id = str(trigger.get("serviceId", ""))
            if await repo.service(conn, session.account_id, service_id) is None:
                continue  # the service was deleted: nothing to show the incident on
            incident = SimpleNamespace(
                id=str(uuid.uuid4()),
                account_id=session.account_id,
                name=str(trigger.get("name") or session.name)[:255],
                severity=str(trigger.get("severity", "MAJOR")),
                services=[service_id],
            )
            await repo.insert_incident(
                conn,
                {
                    "id": incident.id,
                    "account_id": incident.account_id,
                    "name": incident.name,
                    "severity": incident.severity,
                    "services": incident.services,
                    "last_update_status": "INVESTIGATING",
                    "check_id": session.check_id,
                    "created_at": now,
                },
            )
            text = str(trigger.get("description") or incident.name)
            await _update(conn, incident, "INVESTIGATING", text, notify, now)
            opened[session.check_id] = incident
            changed += 1
        elif alert.kind == "recovery" and held is not None:
            await _update(conn, held, "RESOLVED", RECOVERED, notify, now)
            await repo.update_incident(
                conn,
                held.id,
                {"last_update_status": "RESOLVED", "resolved_at": now, "updated_at": now},
            )
            opened.pop(session.check_id)
            changed += 1
    if changed:
        forget_pages(conn)
    return changed


async def _update(
    conn: AsyncConnection, incident: Any, status: str, text: str, notify: bool, now: datetime
) -> None:
    await repo.insert_updates(
        conn,
        [
            {
                "id": str(uuid.uuid4()),
                "incident_id": incident.id,
                "description": text,
                "status": status,
                "public_at": now,
                "notify_subscribers": notify,
                "created_at": now,
            }
        ],
    )
    if notify:
        await mail.queue_incident_update(conn, incident, status, text, now)
