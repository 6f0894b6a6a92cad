"""Starting check sessions on demand, and reading them back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import sqlalchemy as sa
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks.schemas import MAX_TAGS
from vantage.db.tables import checks
from vantage.errors import NotFound
from vantage.groups import repository as groups_repository
from vantage.groups.effective import effective_config, is_runnable, matching_tags
from vantage.locations import service as locations_service
from vantage.metrics import Metrics
from vantage.sessions import repository
from vantage.sessions.planning import CheckToRun, SessionPlan, plan_session
from vantage.timeutil import utcnow
from vantage.validation import bad_request

log = structlog.get_logger(__name__)

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
    default_location: str,
    deadline_slack_seconds: float,
) -> list[SessionPlan]:
    query = sa.select(
        checks.c.id,
        checks.c.check_type,
        checks.c.name,
        checks.c.tags,
        checks.c.group_id,
        checks.c.config,
    ).where(checks.c.account_id == account_id, checks.c.activated.is_(True))
    if body.target.checkId is not None:
        query = query.where(checks.c.id.in_([str(i) for i in body.target.checkId]))
    rows = (await conn.execute(query.order_by(checks.c.created_at, checks.c.id))).all()
    # A check in a group runs as its group makes it; a deactivated group's checks do not run, and
    # the group's tags count for `matchTags`.
    groups = await groups_repository.configs_by_id(
        conn, {r.group_id for r in rows if r.group_id is not None}, account_id=account_id
    )

    def group_of(row: Any) -> dict[str, Any] | None:
        return None if row.group_id is None else groups.get(row.group_id)

    rows = [r for r in rows if is_runnable(r.config, group_of(r))]
    if body.target.matchTags is not None:
        match_tags = body.target.matchTags
        rows = [r for r in rows if tags_match(matching_tags(r.tags, group_of(r)), match_tags)]
    if not rows:
        raise NotFound(NO_MATCH)
    now = utcnow()
    places = await locations_service.refs(conn)
    plans = [
        plan_session(
            CheckToRun(
                r.id,
                account_id,
                r.check_type,
                r.name,
                effective_config(r.check_type, r.config, group_of(r)),
            ),
            run_source=run_source,
            now=now,
            default_location=default_location,
            deadline_slack_seconds=deadline_slack_seconds,
            places=places,
        )
        for r in rows
    ]
    await repository.insert_plans(conn, plans)
    return plans


def report_missing_locations(plans: Sequence[SessionPlan], metrics: Metrics) -> None:
    """Runs that skipped a location which does not exist: the operator hears of each, and a run
    left with no location at all counts as a CANCELLED session."""
    for plan in plans:
        if not plan.missing:
            continue
        log.warning(
            "run location missing",
            check_id=plan.session["check_id"],
            session_id=plan.id,
            missing=plan.missing,
            cancelled=plan.cancelled,
        )
        if plan.cancelled:
            metrics.sessions_finished.labels("CANCELLED").inc()


async def get(conn: AsyncConnection, account_id: str, session_id: str) -> Any:
    try:
        uuid.UUID(session_id)
    except ValueError:
        raise NotFound(NO_SESSION) from None
    row = await repository.get(conn, account_id, session_id)
    if row is None:
        raise NotFound(NO_SESSION)
    return row
