"""Starting check sessions on demand, and reading them back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks import repository as checks_repository
from vantage.checks.schemas import MAX_TAGS
from vantage.config import Settings
from vantage.errors import NotFound
from vantage.groups.effective import is_runnable, matching_tags
from vantage.sessions import repository, starting
from vantage.sessions.planning import SessionPlan
from vantage.timeutil import utcnow
from vantage.validation import bad_request

NO_MATCH = "No matching checks were found."
NO_SESSION = "No such check session."


# Lengths are checked before items: a trigger naming 64,000 bad ids costs one error, not 64,000.
MAX_TRIGGER_IDS = 1000
MAX_TAG_CLAUSES = 100
TagClause = Annotated[list[Annotated[str, Field(max_length=101)]], Field(max_length=MAX_TAGS)]


class TriggerTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchTags: Annotated[list[TagClause], Field(max_length=MAX_TAG_CLAUSES)] | None = None
    checkId: Annotated[list[uuid.UUID], Field(max_length=MAX_TRIGGER_IDS)] | None = None

    @field_validator("matchTags", mode="before")
    @classmethod
    def _single_tags(cls, value: Any) -> Any:
        # Joi's `single()`: an inner array may be given as one string.
        if isinstance(value, list):
            return [[item] if isinstance(item, str) else item for item in value]
        return value

    @field_validator("checkId", mode="before")
    @classmethod
    def _single_id(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: TriggerTarget = Field(default_factory=TriggerTarget)
    refreshCache: bool = False


def parse_trigger(payload: Any) -> TriggerBody:
    try:
        return TriggerBody.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise bad_request(exc) from None


def tags_match(tags: Sequence[str], match_tags: list[list[str]]) -> bool:
    """OR of ANDs; `!tag` means the check must not have the tag."""
    have = set(tags)

    def clause_holds(clause: list[str]) -> bool:
        return all((t[1:] not in have) if t.startswith("!") else (t in have) for t in clause if t)

    return any(clause_holds(clause) for clause in match_tags)


async def trigger(
    conn: AsyncConnection,
    account_id: str,
    body: TriggerBody,
    *,
    run_source: str,
    settings: Settings,
) -> list[SessionPlan]:
    """Start a session for each of the account's activated checks the target matches."""
    ids = None if body.target.checkId is None else {str(i) for i in body.target.checkId}
    # A heartbeat check runs nowhere: only its pings decide it.
    rows = [
        r
        for r in await checks_repository.activated(conn, account_id, ids)
        if r.check_type != "HEARTBEAT"
    ]
    # A deactivated group's checks do not run, and the group's tags count for `matchTags`.
    groups = await starting.groups_of(conn, rows, account_id=account_id)
    rows = [r for r in rows if is_runnable(r.config, starting.group_of(r, groups))]
    if body.target.matchTags is not None:
        match_tags = body.target.matchTags
        rows = [
            r
            for r in rows
            if tags_match(matching_tags(r.tags, starting.group_of(r, groups)), match_tags)
        ]
    if not rows:
        raise NotFound(NO_MATCH)
    return await starting.start_sessions(
        conn, rows, run_source=run_source, now=utcnow(), settings=settings, groups=groups
    )


async def get(conn: AsyncConnection, account_id: str, session_id: str) -> Any:
    try:
        uuid.UUID(session_id)
    except ValueError:
        raise NotFound(NO_SESSION) from None
    row = await repository.get(conn, account_id, session_id)
    if row is None:
        raise NotFound(NO_SESSION)
    return row
