"""An account's web UI users as Checkly's account members (`/v1/accounts/me/members`): listed,
given another role, removed.

Vantage's users are Checkly's members with three of its five roles (admin, read-write, read-only
are ADMIN, READ_WRITE, READ_ONLY; it has no OWNER and no READ_RUN), no names, no invites, and no
SSO or MFA. A disabled user is not a member: it cannot log in, so it is neither listed nor found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import users
from vantage.errors import BadRequest, NotFound
from vantage.timeutil import iso
from vantage.validation import bad_request

NOT_FOUND = "No such member."
ROLE_OF: Mapping[str, str] = {
    "admin": "ADMIN",
    "read-write": "READ_WRITE",
    "read-only": "READ_ONLY",
}
ROLE_FROM: Mapping[str, str] = {checkly: ours for ours, checkly in ROLE_OF.items()}


class MemberUpdate(BaseModel):
    """`PATCH …/members/{userId}` (Checkly's `AccountMemberUpdate`, with the roles Vantage has)."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["ADMIN", "READ_WRITE", "READ_ONLY"]


@dataclass(frozen=True, slots=True)
class Filters:
    """The list's query: each of Checkly's filters, None when not given."""

    search: str | None = None
    type: str | None = None
    role: str | None = None
    status: str | None = None
    limit: int | None = None
    next_id: str | None = None


def wire(row: Any) -> dict[str, Any]:
    return {
        "type": "member",
        "accountId": row.account_id,
        "userId": row.id,
        "name": None,
        "email": row.email,
        "role": ROLE_OF.get(row.role, "READ_ONLY"),
        "status": "ACTIVE",
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at or row.created_at),
        "isSupportMembership": False,
        "ssoEnabled": False,
        "mfaEnabled": False,
    }


def _members(account_id: str) -> sa.Select[Any]:
    return sa.select(users).where(users.c.account_id == account_id, users.c.disabled.is_(False))


async def list_members(
    conn: AsyncConnection, account_id: str, filters: Filters
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of members, ordered by email, and the cursor of the next page (None at the
    end). Filters no member can match (an invite, OWNER, READ_RUN, PENDING, EXPIRED) give an
    empty page."""
    if filters.type == "invite" or filters.status in ("PENDING", "EXPIRED"):
        return [], None
    query = _members(account_id).order_by(users.c.email)
    if filters.role is not None:
        ours = ROLE_FROM.get(filters.role)
        if ours is None:  # OWNER, READ_RUN: roles Vantage has not
            return [], None
        query = query.where(users.c.role == ours)
    if filters.search and filters.search.strip():
        needle = filters.search.strip().lower()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(users.c.email.like(f"%{escaped}%", escape="\\"))
    if filters.next_id is not None:
        # The cursor is the last email of the page before: any text is a bound, none a 400.
        query = query.where(users.c.email > filters.next_id)
    if filters.limit is not None:
        query = query.limit(filters.limit + 1)
    rows = (await conn.execute(query)).all()
    if filters.limit is not None and len(rows) > filters.limit:
        rows = rows[: filters.limit]
        return [wire(r) for r in rows], rows[-1].email
    return [wire(r) for r in rows], None


async def change_role(
    conn: AsyncConnection, account_id: str, user_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    if isinstance(payload, dict) and payload.get("role") in ("OWNER", "READ_RUN"):
        raise BadRequest(
            '"role" must be one of ADMIN, READ_WRITE, READ_ONLY (Vantage has no OWNER or '
            "READ_RUN role)",
            keys=["role"],
        )
    try:
        body = MemberUpdate.model_validate(payload)
    except ValidationError as exc:
        raise bad_request(exc) from None
    ours = ROLE_FROM[body.role]
    row = (await conn.execute(_members(account_id).where(users.c.id == user_id))).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    if row.role != ours:
        await conn.execute(
            users.update().where(users.c.id == user_id).values(role=ours, updated_at=now)
        )
        row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).one()
    return wire(row)


async def remove(conn: AsyncConnection, account_id: str, user_id: str) -> None:
    """The user is deleted, and with it its browser sessions: it is logged out at once."""
    result = await conn.execute(
        users.delete().where(
            users.c.account_id == account_id, users.c.id == user_id, users.c.disabled.is_(False)
        )
    )
    if not result.rowcount:
        raise NotFound(NOT_FOUND)
