"""Public dashboards, served without login at `/dashboards/{customUrl}` (or its `dashboardId` when
it has no custom URL: Checkly serves `customUrl` as a subdomain of its own) and at the
dashboard's `customDomain` when the operator points that host name at Vantage.

A page shows the checks the dashboard's tags select (`view.py`), each with its status, its
availability and P95/P99 response times over the last 24 hours (hourly roll-ups), its group and
tags unless hidden, and the dashboard's open incidents when `enableIncidents`. It reloads itself
(or moves to its next page) with a meta refresh, so it needs no script; `customCSS` (checked to
be in the safe subset when it was saved) is served in its stylesheet, as CSP allows no inline
style. No check, group or account id is printed.

A private dashboard asks for its viewer key (`viewer_keys`) and is never cached by proxies.
Rendered pages are kept a few seconds per process (`public_cache`), so a wall of TVs showing one
dashboard costs one render per refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.api.conditional import strong_etag
from vantage.dashboards import runs, view
from vantage.db.tables import check_groups, check_statuses, checks, dashboard_incidents, dashboards
from vantage.rollups import repository as rollups
from vantage.rollups.digest import summarise
from vantage.runtime import Runtime, get_runtime
from vantage.statuses.state import status_of
from vantage.statuspages import viewer_keys, viewer_login
from vantage.statuspages.front import SECURITY, answer
from vantage.statuspages.public_cache import Rendered, cached, path_of, remember
from vantage.timeutil import iso, utcnow

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
MAX_AGE = 10
MAX_PAGE = 1000  # a page number past the last shows the last; past this, not even cached apart
STYLE = (Path(__file__).parent / "static" / "dashboard.css").read_text()


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("vantage.dashboards", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.2f} %".replace(".00 %", " %")
    env.filters["ms"] = lambda v: "–" if v is None else f"{round(v)} ms"
    env.filters["when"] = lambda v: v[:16].replace("T", " ") + " UTC" if v else ""
    return env


def _base(request: Request, slug: str) -> str:
    return str(request.scope.get("state", {}).get("public_base", f"/dashboards/{slug}"))


async def find(conn: AsyncConnection, slug: str) -> Any:
    """The dashboard at `/dashboards/{slug}`: its custom URL, else its id if it has none."""
    by_url = (
        await conn.execute(sa.select(dashboards).where(dashboards.c.custom_url == slug))
    ).first()
    if by_url is not None:
        return by_url
    return (
        await conn.execute(
            sa.select(dashboards).where(
                dashboards.c.dashboard_id == slug, dashboards.c.custom_url.is_(None)
            )
        )
    ).first()


async def find_by_domain(conn: AsyncConnection, host: str) -> str | None:
    """The `/dashboards/...` slug of the dashboard whose custom domain is `host`."""
    row = (
        await conn.execute(
            sa.select(dashboards.c.custom_url, dashboards.c.dashboard_id).where(
                dashboards.c.custom_domain == host
            )
        )
    ).first()
    if row is None:
        return None
    return str(row.custom_url or row.dashboard_id)


async def _entries(conn: AsyncConnection, board: Any) -> list[view.Entry]:
    """The account's active checks that the dashboard's tags select, with their status."""
    groups = {
        g.id: g
        for g in (
            await conn.execute(
                sa.select(check_groups.c.id, check_groups.c.name, check_groups.c.tags).where(
                    check_groups.c.account_id == board.account_id
                )
            )
        ).all()
    }
    rows = (
        await conn.execute(
            sa.select(
                checks.c.id,
                checks.c.name,
                checks.c.tags,
                checks.c.group_id,
                check_statuses.c.has_failures,
                check_statuses.c.has_errors,
                check_statuses.c.is_degraded,
            )
            .select_from(checks.outerjoin(check_statuses, check_statuses.c.check_id == checks.c.id))
            .where(checks.c.account_id == board.account_id, checks.c.activated.is_(True))
        )
    ).all()
    wanted = list(board.config.get("tags") or [])
    all_of = bool(board.config.get("useTagsAndOperator"))
    out = []
    for row in rows:
        group = groups.get(row.group_id)
        tags = tuple(dict.fromkeys([*(row.tags or []), *((group.tags or []) if group else [])]))
        if not view.matches(tags, wanted, all_of):
            continue
        status = (
            "unknown"
            if row.has_failures is None
            else status_of(
                has_failures=bool(row.has_failures),
                has_errors=bool(row.has_errors),
                is_degraded=bool(row.is_degraded),
            )
        )
        out.append(
            view.Entry(
                check_id=row.id,
                name=row.name,
                status=status if status in view.LABELS else "unknown",
                tags=tuple(row.tags or []),
                group=group.name if group else None,
            )
        )
    return out


async def _figures(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Availability, P95 and P99 over the last 24 hours, per check shown."""
    now = utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    per: dict[str, list[Any]] = {i: [] for i in ids}
    for row in await rollups.of_checks(conn, list(ids), 3600, start, now + timedelta(hours=1)):
        per[row.check_id].append(row)
    out = {}
    for check_id, rows in per.items():
        summary = summarise(rows)
        out[check_id] = {
            "availability": summary.availability,
            "p95": summary.percentile(95),
            "p99": summary.percentile(99),
        }
    return out


async def _incidents(conn: AsyncConnection, board: Any) -> list[dict[str, Any]]:
    """The dashboard's incidents not yet over (no RESOLVED update, no `stoppedAt` passed)."""
    now = iso(utcnow()) or ""
    rows = (
        await conn.execute(
            sa.select(dashboard_incidents)
            .where(dashboard_incidents.c.dashboard_id == board.id)
            .order_by(dashboard_incidents.c.created_at.desc())
        )
    ).all()
    out = []
    for row in rows:
        updates = list(reversed(row.updates))
        stopped = row.config.get("stoppedAt")
        if (updates and updates[0]["status"] == "RESOLVED") or (stopped and stopped <= now):
            continue
        out.append(
            {
                "name": row.config["name"],
                "impact": row.config.get("impact", "MINOR"),
                "updates": [
                    {"status": u["status"], "description": u["description"], "at": u["created_at"]}
                    for u in updates
                ],
            }
        )
    return out


async def _render(runtime: Runtime, board: Any, base: str, number: int) -> Rendered:
    async with runtime.db.read() as conn:
        entries = view.ordered(await _entries(conn, board), bool(board.config.get("sortByStatus")))
        page = view.paged(entries, board.config, number)
        figures = await _figures(conn, [e.check_id for e in page.entries])
        recent = await runs.recent(conn, [e.check_id for e in page.entries])
        incidents = await _incidents(conn, board) if board.config.get("enableIncidents") else []
    overall = view.overall(entries)
    html = (
        environment()
        .get_template("dashboard.html")
        .render(
            board=board.config,
            base=base,
            home=base or "/",
            page=page,
            figures=figures,
            runs=recent,
            incidents=incidents,
            total=len(entries),
            overall=overall,
            overall_text=view.PAGE_LABELS[overall],
            labels=view.LABELS,
            generated=iso(utcnow()),
        )
    )
    raw = html.encode()
    return Rendered(raw, "text/html; charset=utf-8", strong_etag(raw))


def _missing() -> Response:
    return HTMLResponse(
        environment().get_template("missing.html").render(),
        status_code=404,
        headers={**SECURITY, "Cache-Control": f"public, max-age={MAX_AGE}"},
    )


def _admitted(request: Request, runtime: Runtime, board: Any) -> bool:
    if not board.config.get("isPrivate"):
        return True
    cookie = request.cookies.get(viewer_keys.cookie_name(board.dashboard_id), "")
    return viewer_keys.admits(
        board.config.get("viewerKeys"), board.dashboard_id, cookie, runtime.sealer.open
    )


def _key_form(request: Request, slug: str, wrong: bool = False) -> Response:
    html = environment().get_template("key.html").render(base=_base(request, slug), wrong=wrong)
    return HTMLResponse(html, status_code=401, headers={**SECURITY, "Cache-Control": "no-store"})


def _answer(request: Request, rendered: Rendered) -> Response | None:
    """None when the page is private and the reader's cookie proves none of its keys."""
    headers = request.headers
    reply = answer(rendered, headers.get("cookie", ""), headers.get("if-none-match", ""))
    if reply is None:
        return None
    return Response(reply.body or None, status_code=reply.status, headers=reply.headers)


def _viewers(runtime: Runtime, board: Any) -> dict[str, Any]:
    """A private dashboard's render carries its cookie and the values that admit a reader, so
    that `front.PublicFront` can admit one without reading the dashboard."""
    if not board.config.get("isPrivate"):
        return {}
    keys = board.config.get("viewerKeys") or []
    opened = [runtime.sealer.open(k["sealedKey"]) for k in keys]
    return {
        "private": True,
        "cookie": viewer_keys.cookie_name(board.dashboard_id),
        "proofs": tuple(viewer_keys.proof(raw, board.dashboard_id) for raw in opened),
    }


async def _board(runtime: Runtime, slug: str) -> Any:
    async with runtime.db.read() as conn:
        return await find(conn, slug)


@router.get("/dashboards/{slug}")
async def dashboard_page(slug: str, request: Request, runtime: RuntimeDep) -> Response:
    board = await _board(runtime, slug)
    if board is None:
        return _missing()
    if not _admitted(request, runtime, board):
        return _key_form(request, slug)
    raw_page = request.query_params.get("page", "1")
    number = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() else 1
    base = _base(request, slug)

    async def render() -> Rendered | None:
        return replace(await _render(runtime, board, base, number), **_viewers(runtime, board))

    # keyed by the row's update time too: an edit shows at once on this replica's next read
    key = (f"dashboard:{board.dashboard_id}", f"{board.updated_at}|{base}|{number}")
    rendered = await cached(key, render)
    assert rendered is not None  # render never answers None
    remember(path_of(request.scope), key)
    reply = _answer(request, rendered)
    # admitted above by the row as read now; the render's proofs are the same keys
    return reply if reply is not None else _key_form(request, slug)


@router.get("/dashboards/{slug}/style.css")
async def dashboard_style(slug: str, request: Request, runtime: RuntimeDep) -> Response:
    board = await _board(runtime, slug)
    if board is None:
        return _missing()
    custom = board.config.get("customCSS") or ""
    body = STYLE + ("\n/* the dashboard's customCSS */\n" + custom + "\n" if custom else "")
    raw = body.encode()
    reply = _answer(request, Rendered(raw, "text/css; charset=utf-8", strong_etag(raw)))
    assert reply is not None  # a stylesheet is never private
    return reply


@router.get("/dashboards/{slug}/runs/{result_id}")
async def dashboard_run(
    slug: str, result_id: str, request: Request, runtime: RuntimeDep
) -> Response:
    """A run's page, linked from the dashboard when `showCheckRunLinks` is on: only a run of a
    check the dashboard shows; anything else, as a dashboard that does not exist, is a 404."""
    board = await _board(runtime, slug)
    if board is None or not board.config.get("showCheckRunLinks"):
        return _missing()
    if not _admitted(request, runtime, board):
        return _key_form(request, slug)
    async with runtime.db.read() as conn:
        shown = {e.check_id: e.name for e in await _entries(conn, board)}
        run = await runs.one(conn, result_id, list(shown))
    if run is None:
        return _missing()
    html = (
        environment()
        .get_template("run.html")
        .render(base=_base(request, slug), name=shown[run["check_id"]], run=run, labels=view.LABELS)
    )
    private = bool(board.config.get("isPrivate"))
    cache_control = "private, no-cache" if private else f"public, max-age={MAX_AGE}"
    return HTMLResponse(html, headers={**SECURITY, "Cache-Control": cache_control})


@router.post("/dashboards/{slug}/login")
async def dashboard_login(slug: str, request: Request, runtime: RuntimeDep) -> Response:
    board = await _board(runtime, slug)
    if board is None or not board.config.get("isPrivate"):
        return _missing()
    body = await request.body()
    typed = parse_qs(body[:4096].decode("utf-8", "replace")).get("key", [""])[0].strip()
    return await viewer_login.sign_in(
        request,
        runtime,
        keys=board.config.get("viewerKeys"),
        typed=typed,
        page_id=board.dashboard_id,
        base=_base(request, slug),
        wrong=lambda: _key_form(request, slug, wrong=True),
    )
