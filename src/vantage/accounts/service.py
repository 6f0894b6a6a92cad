"""Accounts and their API keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.keys import display_prefix, generate_key, hash_key
from vantage.db.tables import accounts, api_keys
from vantage.errors import NotFound
from vantage.timeutil import utcnow


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


async def create_api_key(conn: AsyncConnection, account_id: str) -> str:
    exists = await conn.scalar(sa.select(accounts.c.id).where(accounts.c.id == account_id))
    if exists is None:
        raise NotFound(f"No account with id {account_id}.")
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
