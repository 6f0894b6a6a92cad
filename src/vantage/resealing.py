"""Secrets kept `plain:` (stored while the server had no `secrets_key`, vantage.sealing) are
sealed when the server next starts with a key, instead of staying in clear until each is next
written (a check or group sent back unchanged keeps its stored secret values, so some never
would be): the account's secret variables, the secret `environmentVariables` of checks and
groups, client certificates' keys and passphrases, the viewer keys of private dashboards and
status pages, and private locations' proxy URLs (`locations.seal_stored_proxy_urls`, which also
seals those stored in clear by an older Vantage).

Run at every start, in one transaction. Only rows that may hold a `plain:` value are read (a
text match in SQL, checked again in Python); on PostgreSQL they are locked as they are read, so
a replica starting at the same time waits, then finds them sealed and leaves them. The jobs
table is not rewritten: a queued job's copy is opened as it is when its agent leases it, and goes
with its session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import (
    check_groups,
    checks,
    client_certificates,
    dashboards,
    status_pages,
    variables,
)
from vantage.locations.service import seal_stored_proxy_urls
from vantage.sealing import PLAIN, Sealer

# A config with its `plain:` secrets sealed, or None when it holds none.
Reseal = Callable[[dict[str, Any], Sealer], dict[str, Any] | None]


def _resealed(value: Any, sealer: Sealer) -> str | None:
    if isinstance(value, str) and value.startswith(PLAIN):
        return sealer.seal(sealer.open(value))
    return None


def _environment(config: dict[str, Any], sealer: Sealer) -> dict[str, Any] | None:
    """A check's or group's config: its secret `environmentVariables` (a value that is not
    secret is stored as typed, and may begin with `plain:` as typed)."""
    listed = config.get("environmentVariables")
    if not isinstance(listed, list):
        return None
    changed = False
    out: list[Any] = []
    for variable in listed:
        value = _resealed(variable.get("value"), sealer) if _is_secret(variable) else None
        if value is not None:
            variable, changed = {**variable, "value": value}, True
        out.append(variable)
    return {**config, "environmentVariables": out} if changed else None


def _is_secret(variable: Any) -> bool:
    return isinstance(variable, dict) and variable.get("secret") is True


def _viewer_keys(config: dict[str, Any], sealer: Sealer) -> dict[str, Any] | None:
    """A private dashboard's or status page's config: its viewer keys (statuspages.viewer_keys)."""
    keys = config.get("viewerKeys")
    if not isinstance(keys, list):
        return None
    changed = False
    out: list[Any] = []
    for key in keys:
        value = _resealed(key.get("sealedKey"), sealer) if isinstance(key, dict) else None
        if value is not None:
            key, changed = {**key, "sealedKey": value}, True
        out.append(key)
    return {**config, "viewerKeys": out} if changed else None


def _may_hold_plain(column: Any) -> Any:
    return sa.cast(column, sa.Text).contains(PLAIN, autoescape=True)


async def _configs(conn: AsyncConnection, table: sa.Table, reseal: Reseal, sealer: Sealer) -> int:
    rows = await conn.execute(
        sa.select(table.c.id, table.c.config)
        .where(_may_hold_plain(table.c.config))
        .with_for_update()
    )
    count = 0
    for row in rows.all():
        config = row.config if isinstance(row.config, dict) else None
        sealed = reseal(config, sealer) if config is not None else None
        if sealed is not None:
            await conn.execute(table.update().where(table.c.id == row.id).values(config=sealed))
            count += 1
    return count


async def _variables(conn: AsyncConnection, sealer: Sealer) -> int:
    rows = await conn.execute(
        sa.select(variables.c.account_id, variables.c.key, variables.c.value)
        .where(variables.c.secret.is_(True), variables.c.value.startswith(PLAIN, autoescape=True))
        .with_for_update()
    )
    count = 0
    for row in rows.all():
        value = _resealed(row.value, sealer)
        if value is not None:
            await conn.execute(
                variables.update()
                .where(variables.c.account_id == row.account_id, variables.c.key == row.key)
                .values(value=value)
            )
            count += 1
    return count


async def _certificates(conn: AsyncConnection, sealer: Sealer) -> int:
    table = client_certificates
    rows = await conn.execute(
        sa.select(table.c.id, table.c.sealed_key, table.c.sealed_passphrase)
        .where(
            sa.or_(
                table.c.sealed_key.startswith(PLAIN, autoescape=True),
                table.c.sealed_passphrase.startswith(PLAIN, autoescape=True),
            )
        )
        .with_for_update()
    )
    count = 0
    for row in rows.all():
        values = {
            column: sealed
            for column in ("sealed_key", "sealed_passphrase")
            if (sealed := _resealed(getattr(row, column), sealer)) is not None
        }
        if values:
            await conn.execute(table.update().where(table.c.id == row.id).values(**values))
            count += 1
    return count


async def reseal_stored(conn: AsyncConnection, sealer: Sealer) -> dict[str, int]:
    """Seal what is stored `plain:` (and proxy URLs stored in clear); the number of rows changed
    per kind, those with none left out. Without a key only proxy URLs in clear are marked."""
    counts = {"proxyUrls": await seal_stored_proxy_urls(conn, sealer)}
    if sealer.encrypts:
        counts["variables"] = await _variables(conn, sealer)
        counts["checks"] = await _configs(conn, checks, _environment, sealer)
        counts["groups"] = await _configs(conn, check_groups, _environment, sealer)
        counts["clientCertificates"] = await _certificates(conn, sealer)
        counts["dashboards"] = await _configs(conn, dashboards, _viewer_keys, sealer)
        counts["statusPages"] = await _configs(conn, status_pages, _viewer_keys, sealer)
    return {kind: count for kind, count in counts.items() if count}
