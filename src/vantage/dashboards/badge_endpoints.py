"""`/v1/badges/checks/{id}` and `/v1/badges/groups/{id}`: a check's or a group's status as an SVG
badge, optionally with its average response time over the last 24 hours (from the hourly
roll-ups). A group's status is its worst check's. Like every `/v1` operation they take the API
key (Checkly's document says the same), so a badge says nothing to whoever guesses an id.

Badges are kept a few seconds (`badge_cache`): many readers of one badge cost one render. Each
answer carries a strong ETag over the SVG's bytes, and a reader whose `If-None-Match` names it gets
a 304 with no body (`api.conditional`, shared with the public pages); with `Cache-Control:
no-cache`, a README's image proxy revalidates at every view and is sent the bytes only when the
badge changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response, Security

from vantage.accounts.auth import ACCOUNT_HEADER, API_KEY, authenticate, bearer_key
from vantage.accounts.keys import hash_key
from vantage.accounts.service import Account
from vantage.api.common import errors
from vantage.api.conditional import not_modified, strong_etag
from vantage.dashboards.badge_cache import BADGES
from vantage.dashboards.badges import Style, Theme, svg, worst
from vantage.db.tables import check_groups, check_statuses, checks
from vantage.errors import NotFound
from vantage.groups.repository import valid_id
from vantage.rollups import repository as rollups
from vantage.runtime import Runtime, get_runtime
from vantage.statuses.state import status_of
from vantage.statuspages.public_cache import Rendered
from vantage.timeutil import utcnow

router = APIRouter(tags=["Badges"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SVG: dict[int | str, dict[str, Any]] = {
    200: {"description": "The badge", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
    304: {"description": "Not modified: the ETag in If-None-Match is the badge's"},
}
StyleQuery = Annotated[Style, Query()]
ThemeQuery = Annotated[Theme, Query()]
HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'none'"}


@dataclass(frozen=True, slots=True)
class BadgeRead:
    """A badge request: the cache key of its answer, and either the fresh copy (nothing else
    was read) or the key's account (looked up: the copy has to be made)."""

    key: tuple[str, str]
    held: Rendered | None
    account: Account | None
    # The request's If-None-Match ("" without one).
    if_none_match: str = ""

    async def answer(
        self, render: Callable[[Account], Awaitable[Rendered | None]], missing: str
    ) -> Response:
        """The badge, from the cache or from `render` (None: what it names is not the
        account's, NotFound with `missing`); one render for all the readers asking at once."""
        rendered = self.held
        if rendered is None:
            account = self.account
            assert account is not None  # NOTE: set whenever `held` is not
            rendered = await BADGES.cached(self.key, lambda: render(account))
        if rendered is None:
            raise NotFound(missing)
        headers = {**HEADERS, "ETag": rendered.etag}
        if not_modified(self.if_none_match, rendered.etag):
            return Response(status_code=304, headers=headers)
        return Response(rendered.body, media_type=rendered.media_type, headers=headers)


async def _badge_read(
    request: Request,
    runtime: RuntimeDep,
    _key: Annotated[object, Security(API_KEY)],
    _account: Annotated[object, Security(ACCOUNT_HEADER)],
) -> BadgeRead:
    """`CurrentAccount`, except that a fresh copy of the answer made for this same key spares
    the key's lookup (see `badge_cache`)."""
    key = bearer_key(request)
    account_header = request.headers.get("x-checkly-account", "").strip()
    scope = request.scope
    cache_key = (
        f"badge|{hash_key(key)}|{account_header}",
        f"{scope['path']}?{scope['query_string'].decode('latin-1')}",
    )
    etags = request.headers.get("if-none-match", "")
    held = BADGES.fresh(cache_key)
    if held is not None:
        return BadgeRead(cache_key, held, None, etags)
    return BadgeRead(cache_key, None, await authenticate(request, runtime, key), etags)


BadgeReader = Annotated[BadgeRead, Depends(_badge_read)]


async def _render(
    runtime: Runtime,
    label: str,
    check_ids: list[str],
    style: Style,
    theme: Theme,
    response_time: bool,
) -> Rendered:
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
    body = svg(label, message, status, style, theme).encode()
    return Rendered(body, "image/svg+xml", strong_etag(body))


@router.get(
    "/v1/badges/checks/{check_id}",
    summary="A check's status badge",
    response_class=Response,
    responses={**errors(400, 404), **SVG},
)
async def check_badge(
    check_id: str,
    read: BadgeReader,
    runtime: RuntimeDep,
    style: StyleQuery = "flat",
    theme: ThemeQuery = "default",
    responseTime: bool = False,
) -> Response:
    async def render(account: Account) -> Rendered | None:
        async with runtime.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(checks.c.id, checks.c.name).where(
                        checks.c.account_id == account.id, checks.c.id == check_id
                    )
                )
            ).first()
        if row is None:
            return None
        return await _render(runtime, row.name, [row.id], style, theme, responseTime)

    return await read.answer(render, "No such check.")


@router.get(
    "/v1/badges/groups/{group_id}",
    summary="A group's status badge",
    response_class=Response,
    responses={**errors(400, 404), **SVG},
)
async def group_badge(
    group_id: int,
    read: BadgeReader,
    runtime: RuntimeDep,
    style: StyleQuery = "flat",
    theme: ThemeQuery = "default",
    responseTime: bool = False,
) -> Response:
    if not valid_id(group_id):
        raise NotFound("No such group.")

    async def render(account: Account) -> Rendered | None:
        async with runtime.db.read() as conn:
            group = (
                await conn.execute(
                    sa.select(check_groups.c.name).where(
                        check_groups.c.account_id == account.id, check_groups.c.id == group_id
                    )
                )
            ).first()
            if group is None:
                return None
            ids = list(
                (
                    await conn.execute(
                        sa.select(checks.c.id).where(
                            checks.c.account_id == account.id, checks.c.group_id == group_id
                        )
                    )
                ).scalars()
            )
        return await _render(runtime, group.name, ids, style, theme, responseTime)

    return await read.answer(render, "No such group.")
