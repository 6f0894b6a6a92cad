"""Accounts and their API keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.keys import KEY_PREFIX, display_prefix, generate_key, hash_key
from vantage.db.tables import accounts, api_keys
from vantage.errors import Conflict, NotFound
from vantage.timeutil import iso, utcnow


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    api_key: str


async def create_account(conn: AsyncConnection, name: str) -> NewAccount:
    account = Account(id=str(uuid.uuid4()), name=name)
    await conn.execute(
        accounts.insert().values(id=account.id, name=account.name, created_at=utcnow())
    )
    key = await create_api_key(conn, account.id)
    return NewAccount(account=account, api_key=key)


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown of a stored key: never the key, which only its creator saw."""

    id: str
    prefix: str
    created_at: datetime

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "prefix": self.prefix, "created_at": iso(self.created_at)}


async def _ensure_account(conn: AsyncConnection, account_id: str) -> None:
    exists = await conn.scalar(sa.select(accounts.c.id).where(accounts.c.id == account_id))
    if exists is None:
        raise NotFound(f"No account with id {account_id}.")


async def create_api_key(conn: AsyncConnection, account_id: str) -> str:
    await _ensure_account(conn, account_id)
    key = generate_key()
    await conn.execute(
        api_keys.insert().values(
            id=str(uuid.uuid4()),
            account_id=account_id,
            key_hash=hash_key(key),
            prefix=display_prefix(key),
            created_at=utcnow(),
        )
    )
    return key


async def list_api_keys(conn: AsyncConnection, account_id: str) -> list[ApiKeyInfo]:
    await _ensure_account(conn, account_id)
    rows = await conn.execute(
        sa.select(api_keys.c.id, api_keys.c.prefix, api_keys.c.created_at)
        .where(api_keys.c.account_id == account_id)
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    return [ApiKeyInfo(row.id, row.prefix, row.created_at) for row in rows]


async def revoke_api_key(
    conn: AsyncConnection, account_id: str, ref: str
) -> tuple[ApiKeyInfo, int]:
    """Delete one of the account's keys, named by its id, its prefix or the whole key; return it
    and how many keys the account has left (possibly none). Authentication reads the table on
    every request, so the key is refused from the next request on."""
    keys = await list_api_keys(conn, account_id)
    if ref.startswith(KEY_PREFIX) and len(ref) > len(display_prefix(ref)):
        key_id = await conn.scalar(
            sa.select(api_keys.c.id).where(
                api_keys.c.account_id == account_id, api_keys.c.key_hash == hash_key(ref)
            )
        )
        matches = [k for k in keys if k.id == key_id]
        missing = f"That key is not an API key of account {account_id}."  # never echo a key
    else:
        matches = [k for k in keys if ref in (k.id, k.prefix)]
        missing = f"No API key {ref!r} in account {account_id}: see vantage api-keys list."
    if not matches:
        raise NotFound(missing)
    if len(matches) > 1:
        raise Conflict(f"{len(matches)} API keys have the prefix {ref!r}: revoke one by its id.")
    [key] = matches
    await conn.execute(
        api_keys.delete().where(api_keys.c.id == key.id, api_keys.c.account_id == account_id)
    )
    return key, len(keys) - 1


async def account_for_key(conn: AsyncConnection, key: str) -> Account | None:
    row = (
        await conn.execute(
            sa.select(accounts.c.id, accounts.c.name)
            .join(api_keys, api_keys.c.account_id == accounts.c.id)
            .where(api_keys.c.key_hash == hash_key(key))
        )
    ).first()
    return Account(id=row.id, name=row.name) if row else None


async def get_account(conn: AsyncConnection, account_id: str) -> Account | None:
    row = (
        await conn.execute(
            sa.select(accounts.c.id, accounts.c.name).where(accounts.c.id == account_id)
        )
    ).first()
    return Account(id=row.id, name=row.name) if row else None
