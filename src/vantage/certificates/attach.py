"""A run's client certificates: the account's certificates whose host matches an API or URL
check's URL, key and passphrase opened, put on the job's config for the probe
(vantage.probes.http.client_certs). Read in one query per batch of sessions."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import client_certificates
from vantage.probes.http.client_certs import JOB_KEY, host_matches

HTTP_TYPES = ("API", "URL")


async def of_accounts(
    conn: AsyncConnection, account_ids: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each account's certificates that have a key, key and passphrase sealed."""
    if not account_ids:
        return {}
    table = client_certificates
    rows = await conn.execute(
        sa.select(table.c.account_id, table.c.host, table.c.cert, table.c.ca)
        .add_columns(table.c.sealed_key, table.c.sealed_passphrase)
        .where(table.c.account_id.in_(sorted(account_ids)), table.c.sealed_key.is_not(None))
        .order_by(table.c.created_at, table.c.id)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows.all():
        out.setdefault(row.account_id, []).append(
            {
                "host": row.host,
                "cert": row.cert,
                "ca": row.ca,
                "key": row.sealed_key,
                "passphrase": row.sealed_passphrase or None,
            }
        )
    return out


def attach(
    check_type: str, config: Mapping[str, Any], certificates: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The job's config with the certificates its URL's host may be presented (pure)."""
    out = dict(config)
    request = config.get("request")
    if check_type not in HTTP_TYPES or not certificates or not isinstance(request, Mapping):
        return out
    try:
        parts = urlsplit(str(request.get("url") or ""))
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return out
    if parts.scheme != "https" or not parts.hostname:
        return out
    matching = [dict(c) for c in certificates if host_matches(str(c["host"]), parts.hostname, port)]
    if matching:
        out[JOB_KEY] = matching
    return out
