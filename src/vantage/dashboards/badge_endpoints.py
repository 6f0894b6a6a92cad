"""`/v1/badges/checks/{id}` and `/v1/badges/groups/{id}`: a check's or a group's status as an SVG
badge, optionally with its average response time over the last 24 hours (from the hourly
roll-ups). A group's status is its worst check's. Like every `/v1` operation they take the API
key (Checkly's document says the same), so a badge says nothing to whoever guesses an id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Response

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors
from vantage.dashboards.badges import Style, Theme, svg, worst
from vantage.db.tables import check_groups, check_statuses, checks
from vantage.errors import NotFound
from vantage.groups.repository import valid_id
from vantage.rollups import repository as rollups
from vantage.runtime import Runtime, get_runtime
from vantage.statuses.state import status_of
from vantage.timeutil import utcnow

router = APIRouter(tags=["Badges"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SVG: dict[int | str, dict[str, Any]] = {
    200: {"description": "The badge", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}
}
StyleQuery = Annotated[Style, Query()]
ThemeQuery = Annotated[Theme, Query()]


async def _answer(
    runtime: Runtime,
    label: str,
    check_ids: list[str],
    style: Style,
    theme: Theme,
    response_time: bool,
) -> Response:
    now = utcnow()
    async with runtime.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    check_statuses.c.check_id,
                    check_statuses.c.has_failures,
                    check_statuses.c.has_errors,
                    check_statuses.c.is_degraded,
                ).where(check_statuses.c.check_id.in_(check_ids))
            )
        ).all()
        buckets = (
            await rollups.of_checks(conn, check_ids, 3600, now - timedelta(hours=24), now)
            if response_time
            else []
        )
    found = {r.check_id: r for r in rows}
    status = worst(
        [
            status_of(
                has_failures=bool(r.has_failures),
                has_errors=bool(r.has_errors),
                is_degraded=bool(r.is_degraded),
            )
            if (r := found.get(cid)) is not None
            else "unknown"
            for cid in check_ids
        ]
    )
    message = status
    if response_time:
        finals = sum(b.finals for b in buckets)
        message = f"{round(sum(b.rt_sum for b in buckets) / finals)} ms" if finals else "no data"
    body = svg(label, message, status, style, theme)
    return Response(
        body,
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'none'"},
    )


@router.get(
    "/v1/badges/checks/{check_id}",
    summary="A check's status badge",
    response_class=Response,
    responses={**errors(400, 404), **SVG},
)
async def check_badge(
    check_id: str,
    account: CurrentAccount,
    runtime: RuntimeDep,
    style: StyleQuery = "flat",
    theme: ThemeQuery = "default",
    responseTime: bool = False,
) -> Response:
    async with runtime.db.read() as conn:
        row = (
            await conn.execute(
                sa.select(checks.c.id, checks.c.name).where(
                    checks.c.account_id == account.id, checks.c.id == check_id
                )
            )
        ).first()
    if row is None:
        raise NotFound("No such check.")
    return await _answer(runtime, row.name, [row.id], style, theme, responseTime)


@router.get(
    "/v1/badges/groups/{group_id}",
    summary="A group's status badge",
    response_class=Response,
    responses={**errors(400, 404), **SVG},
)
async def group_badge(
    group_id: int,
    account: CurrentAccount,
    runtime: RuntimeDep,
    style: StyleQuery = "flat",
    theme: ThemeQuery = "default",
    responseTime: bool = False,
) -> Response:
    if not valid_id(group_id):
        raise NotFound("No such group.")
    async with runtime.db.read() as conn:
        group = (
            await conn.execute(
                sa.select(check_groups.c.name).where(
                    check_groups.c.account_id == account.id, check_groups.c.id == group_id
                )
            )
        ).first()
        if group is None:
            raise NotFound("No such group.")
        ids = list(
            (
                await conn.execute(
                    sa.select(checks.c.id).where(
                        checks.c.account_id == account.id, checks.c.group_id == group_id
                    )
                )
            ).scalars()
        )
    return await _answer(runtime, group.name, ids, style, theme, responseTime)
