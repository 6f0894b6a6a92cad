"""Dashboards as the API and a project's deploy write them: `customUrl` and `customDomain`
address a dashboard publicly, so each belongs to one dashboard of any account (a taken one is a
409); `customCSS` must stay in the safe subset (`css.py`), else a 400 naming it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.dashboards import css
from vantage.db.tables import dashboards
from vantage.errors import Conflict, NotFound
from vantage.statuspages import viewer_keys
from vantage.statuspages.public_cache import forget_pages
from vantage.statuspages.schemas import Hostname, Slug, parse
from vantage.timeutil import utcnow

NOT_FOUND = "No such dashboard."
TAKEN = "The dashboard's customUrl or customDomain is taken."
Link = Annotated[str, StringConstraints(max_length=2048, pattern=r"^(https?://\S+)?$")]


# Strict: `"showP99": 0` is a wrong type, not False (the document says boolean).
Flag = Annotated[bool, Strict()]


class DashboardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customUrl: Slug | None = None
    customDomain: Hostname | None = None
    logo: Link | None = None
    favicon: Link | None = None
    link: Link | None = None
    header: Annotated[str, StringConstraints(max_length=255)] = ""
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    width: Literal["FULL", "960PX"] = "FULL"
    refreshRate: Literal[60, 300, 600] = 60
    paginate: Flag = True
    paginationRate: Literal[30, 60, 300] = 60
    sortByStatus: Flag = False
    checksPerPage: Annotated[int, Field(ge=1, le=20)] | None = 15
    useTagsAndOperator: Flag | None = False
    hideTags: Flag = False
    enableIncidents: Flag = False
    expandChecks: Flag = False
    tags: list[Annotated[str, StringConstraints(max_length=255)]] = Field(
        default_factory=list, max_length=50
    )
    showHeader: Flag = True
    showCheckRunLinks: Flag = False
    showGroupNames: Flag = True
    customCSS: str | None = ""
    isPrivate: Flag = False
    showP95: Flag = True
    showP99: Flag = True
    # Read-only: what an answer carries and a client sends back.
    id: Any = None
    dashboardId: Any = None
    created_at: Any = None
    updated_at: Any = None
    keys: Any = None
    projectBindings: Any = None

    @field_validator("customCSS")
    @classmethod
    def _safe_css(cls, value: str | None) -> str | None:
        why = css.problem(value or "")
        if why is not None:
            raise ValueError(f"customCSS: {why}")
        return value


READ_ONLY = {"id", "dashboardId", "created_at", "updated_at", "keys", "projectBindings"}


def values_of(body: DashboardBody, seal: Callable[[str], str], held: Any = None) -> dict[str, Any]:
    config = body.model_dump(mode="json", exclude=READ_ONLY | {"customUrl", "customDomain"})
    # The viewer key is the server's to make (`keys` in a body is read-only): kept across
    # updates while the dashboard stays private, so re-applying a Terraform plan keeps it.
    config["viewerKeys"] = viewer_keys.kept(
        held.config.get("viewerKeys") if held is not None else None,
        body.isPrivate,
        utcnow(),
        seal,
    )
    return {"custom_url": body.customUrl, "custom_domain": body.customDomain, "config": config}


async def clash(conn: Any, body: DashboardBody, except_id: int | None) -> None:
    clauses = []
    if body.customUrl:
        clauses.append(dashboards.c.custom_url == body.customUrl)
    if body.customDomain:
        clauses.append(dashboards.c.custom_domain == body.customDomain)
    if not clauses:
        return
    query = sa.select(dashboards.c.id).where(sa.or_(*clauses))
    if except_id is not None:
        query = query.where(dashboards.c.id != except_id)
    if (await conn.execute(query)).first() is not None:
        raise Conflict(TAKEN)


async def get(conn: Any, account_id: str, dashboard_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(dashboards).where(
                dashboards.c.account_id == account_id, dashboards.c.dashboard_id == dashboard_id
            )
        )
    ).first()


async def create(
    conn: AsyncConnection, account_id: str, payload: Any, *, seal: Callable[[str], str]
) -> Any:
    """A new dashboard from a create body (400 naming a bad field, 409 for a taken address)."""
    body = parse(DashboardBody, payload)
    dashboard_id = secrets.token_hex(4)
    await clash(conn, body, None)
    try:
        await conn.execute(
            dashboards.insert().values(
                dashboard_id=dashboard_id,
                account_id=account_id,
                created_at=utcnow(),
                **values_of(body, seal),
            )
        )
    except sa.exc.IntegrityError:
        raise Conflict(TAKEN) from None
    forget_pages(conn)  # a reader may have asked for its address before it existed
    return await get(conn, account_id, dashboard_id)


async def update(
    conn: AsyncConnection,
    account_id: str,
    dashboard_id: str,
    payload: Any,
    *,
    seal: Callable[[str], str],
) -> Any:
    """The dashboard made what the body says, whole (a field left out takes its default)."""
    body = parse(DashboardBody, payload)
    row = await get(conn, account_id, dashboard_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    await clash(conn, body, row.id)
    try:
        await conn.execute(
            dashboards.update()
            .where(dashboards.c.id == row.id)
            .values(updated_at=utcnow(), **values_of(body, seal, row))
        )
    except sa.exc.IntegrityError:
        raise Conflict(TAKEN) from None
    forget_pages(conn)
    return await get(conn, account_id, dashboard_id)


async def delete(conn: AsyncConnection, account_id: str, dashboard_id: str) -> None:
    result = await conn.execute(
        dashboards.delete().where(
            dashboards.c.account_id == account_id, dashboards.c.dashboard_id == dashboard_id
        )
    )
    if not result.rowcount:
        raise NotFound(NOT_FOUND)
    forget_pages(conn)
