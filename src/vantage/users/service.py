"""Users and their browser sessions. A session's cookie carries a random token; the table keeps
only its SHA-256, so neither a dump nor a log of the table logs anybody in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.accounts.service import get_account
from vantage.db.tables import ui_sessions, users
from vantage.errors import BadRequest, NotFound
from vantage.users import passwords
from vantage.users.roles import ROLES

IDLE = timedelta(hours=12)
ABSOLUTE = timedelta(days=7)
# A session's last_seen_at is written at most this often: most page views stay read-only.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    account_id: str
    email: str
    role: str


def normal_email(email: str) -> str:
    return email.strip().lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: derived from the cookie's token, so nothing more is stored, and
    not derivable from the stored hash."""
    return hmac.new(session_token.encode(), b"vantage-csrf", hashlib.sha256).hexdigest()


def _user(row: sa.Row[tuple[object, ...]]) -> User:
    m = row._mapping
    return User(id=m["id"], account_id=m["account_id"], email=m["email"], role=m["role"])


async def create_user(
    conn: AsyncConnection, email: str, account_id: str, role: str, password: str, now: datetime
) -> User:
    email = normal_email(email)
    if "@" not in email or len(email) > 320:
        raise BadRequest(f"Not an email address: {email!r}")
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < passwords.MIN_LENGTH:
        raise BadRequest(f"The password needs at least {passwords.MIN_LENGTH} characters")
    if await get_account(conn, account_id) is None:
        raise NotFound(f"No account {account_id}")
    taken = await conn.scalar(sa.select(users.c.id).where(users.c.email == email))
    if taken is not None:
        raise BadRequest(f"A user {email} exists already")
    user = User(id=str(uuid.uuid4()), account_id=account_id, email=email, role=role)
    await conn.execute(
        users.insert().values(
            id=user.id,
            account_id=account_id,
            email=email,
            password_hash=passwords.hash_password(password),
            role=role,
            disabled=False,
            created_at=now,
            password_changed_at=now,
        )
    )
    return user


async def authenticate(conn: AsyncConnection, email: str, password: str) -> User | None:
    """The user, when the password is theirs; None for a wrong password and for an unknown or
    disabled user alike (and in about the same time)."""
    row = (await conn.execute(sa.select(users).where(users.c.email == normal_email(email)))).first()
    stored = None if row is None else row.password_hash
    if not passwords.verify(stored, password) or row is None or row.disabled:
        return None
    if passwords.needs_rehash(row.password_hash):
        await conn.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(password_hash=passwords.hash_password(password))
        )
    return _user(row)


async def start_session(conn: AsyncConnection, user_id: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        ui_sessions.insert().values(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE,
        )
    )
    return token


async def session_user(
    conn: AsyncConnection, token: str, now: datetime
) -> tuple[User, bool] | None:
    """The user of a live session, and whether its last_seen_at is due for a touch."""
    row = (
        await conn.execute(
            sa.select(users, ui_sessions.c.last_seen_at, ui_sessions.c.expires_at)
            .join(ui_sessions, ui_sessions.c.user_id == users.c.id)
            .where(ui_sessions.c.token_hash == token_hash(token))
        )
    ).first()
    if row is None or row.disabled:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= IDLE:
        return None
    return _user(row), now - row.last_seen_at >= TOUCH_EVERY


async def touch_session(conn: AsyncConnection, token: str, now: datetime) -> None:
    await conn.execute(
        ui_sessions.update()
        .where(ui_sessions.c.token_hash == token_hash(token))
        .values(last_seen_at=now)
    )


async def end_session(conn: AsyncConnection, token: str) -> None:
    await conn.execute(ui_sessions.delete().where(ui_sessions.c.token_hash == token_hash(token)))


async def prune_sessions(conn: AsyncConnection, now: datetime) -> None:
    await conn.execute(
        ui_sessions.delete().where(
            sa.or_(ui_sessions.c.expires_at <= now, ui_sessions.c.last_seen_at <= now - IDLE)
        )
    )
