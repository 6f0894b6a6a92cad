"""An account's own `alertSettings` (Checkly's account-level alert settings), which every check
with `useGlobalAlertSettings` follows. Checkly's API only reads them (`GET /v1/accounts/me`);
the operator sets them (`vantage accounts alert-settings`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks.schemas import AlertSettings
from vantage.db.tables import accounts
from vantage.errors import NotFound
from vantage.validation import bad_request


def complete(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings as Checkly shows them: every field, Checkly's defaults where unset."""
    return AlertSettings.model_validate(dict(raw or {})).model_dump()


def parse(raw: Any) -> dict[str, Any]:
    """Validated settings (a 400 naming the field otherwise)."""
    try:
        return AlertSettings.model_validate(raw).model_dump()
    except ValidationError as exc:
        raise bad_request(exc) from exc


async def read(conn: AsyncConnection, account_id: str) -> dict[str, Any]:
    row = (
        await conn.execute(
            sa.select(accounts.c.id, accounts.c.alert_settings).where(accounts.c.id == account_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"No account with id {account_id}.")
    return complete(row.alert_settings)


async def write(conn: AsyncConnection, account_id: str, raw: Any) -> dict[str, Any]:
    settings = parse(raw)
    done = await conn.execute(
        accounts.update().where(accounts.c.id == account_id).values(alert_settings=settings)
    )
    if done.rowcount != 1:
        raise NotFound(f"No account with id {account_id}.")
    return settings
