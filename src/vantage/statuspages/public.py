"""The public status pages, served without login at `/status/{url}` and at the page's
`customDomain` (the operator points that host name at Vantage; `CustomDomains` maps it).

Each page has an HTML view, a JSON twin (`index.json`), an Atom feed of its incident updates
(`feed.atom`) and its stylesheet with the page's theme colours (`style.css`). They show the
page's own texts, its services' names, states and 90 days of daily uptime, and the incidents on
its services: no ids of services or checks, no account, nothing else. A private page asks for
its viewer key (`viewer_keys`) and takes no subscribers; one that does not exist is a 404.

Rendered answers are kept a few seconds per process (`public_cache`) and carry an `ETag` and
`Cache-Control`, so many readers cost one render, and a revalidation a 304 without a body. A
refresh whose reads are what the last render read (`fingerprint`) serves that render again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from vantage.api.conditional import strong_etag
from vantage.db.tables import checks
from vantage.rollups import repository as rollups
from vantage.runtime import Runtime, get_runtime
from vantage.statuspages import health, subscribe_limits, subscriptions, viewer_keys, viewer_login
from vantage.statuspages import repository as repo
from vantage.statuspages.front import MAX_AGE, SECURITY, answer
from vantage.statuspages.public_cache import Rendered, cached, path_of, previous, remember
from vantage.statuspages.schemas import SubscriptionItem
from vantage.timeutil import iso, utcnow

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DAY = 86400
STYLE = (Path(__file__).parent / "static" / "status.css").read_text()


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2f} %".replace(".00 %", " %")


# A service's 90 days change only at their newest end while results come in: the days and their
# bars are kept per (today, counts, incident days), so a refresh draws again only the services
# whose figures moved. Bounded; each entry holds its list, so its id() is never reused meanwhile.
_HISTORIES: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_BARS: dict[int, tuple[list[dict[str, Any]], Markup]] = {}
MAX_HISTORIES = 10_000


def _bars(days: list[dict[str, Any]]) -> Markup:
    """A service's 90 bars in one string: through Jinja, escaping each attribute of 4,500 bars
    (50 services) was most of a render. Nothing here is the account's text: dates, figures."""
    held = _BARS.get(id(days))
    if held is not None and held[0] is days:
        return held[1]
    markup = Markup(  # noqa: S704 - dates, figures and class names only, no text of the account
        "".join(
            f'<span class="bar l-{d["level"]}" title="{d["date"]}: {_pct(d["uptime"])}'
            f'{", incident" if d["incidents"] else ""}"></span>'
            for d in days
        )
    )
    if len(_BARS) >= MAX_HISTORIES:
        _BARS.clear()
    _BARS[id(days)] = (days, markup)
    return markup


def _history(
    counts: dict[date, tuple[int, int]], incident_days: dict[date, int], today: date
) -> list[dict[str, Any]]:
    """A service's 90 days as the page and its JSON twin show them (kept, see `_HISTORIES`)."""
    key = (today, tuple(sorted(counts.items())), tuple(sorted(incident_days.items())))
    days = _HISTORIES.get(key)
    if days is None:
        days = [
            {
                "date": d.day.isoformat(),
                "runs": d.runs,
                "failed": d.failed,
                "incidents": d.incidents,
                "uptime": d.uptime,
                "level": d.level,
            }
            for d in health.bars(counts, incident_days, today)
        ]
        if len(_HISTORIES) >= MAX_HISTORIES:
            _HISTORIES.clear()
        _HISTORIES[key] = days
    return days


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("vantage.statuspages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.globals["bars"] = _bars
    env.filters["when"] = lambda v: v[:16].replace("T", " ") + " UTC" if v else ""
    return env


def _base(request: Request, url: str) -> str:
    """Where the page's links start: its custom domain's root, or `/status/{url}`."""
    return str(request.scope.get("state", {}).get("status_base", f"/status/{url}"))


# what the page shows


async def _feeding_checks(conn: AsyncConnection, account_id: str) -> list[Any]:
    # The account's checks with their config: which ones name a service is in the JSON, read in
    # Python (the same on both databases); the answer is cached, so this runs once per TTL.
    return list(
        (
            await conn.execute(
                sa.select(checks.c.id, checks.c.config).where(checks.c.account_id == account_id)
            )
        ).all()
    )


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a page's snapshot is made of, as read from the database."""

    page: Any
    now: datetime
    known: dict[str, Any]
    feeds: dict[str, list[str]]
    days: list[Any]
    incidents: list[Any]
    updates: dict[str, list[Any]]


async def load(conn: AsyncConnection, page: Any, now: datetime) -> Loaded:
    first = now.date() - timedelta(days=health.DAYS - 1)
    ids = {sid for card in page.cards for sid in card.get("services", [])}
    known = await repo.services_by_id(conn, page.account_id, ids)
    feeds = health.feeding(await _feeding_checks(conn, page.account_id), set(known))
    check_ids = sorted({c for cs in feeds.values() for c in cs})
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    days = list(await rollups.daily_counts(conn, check_ids, start, now + timedelta(days=1)))
    incidents = [
        i
        for i in await repo.incidents_of(conn, page.account_id, since=start)
        if ids & set(i.services)
    ]
    updates = await repo.updates_of(conn, [i.id for i in incidents])
    return Loaded(page, now, known, feeds, days, incidents, updates)


def fingerprint(loaded: Loaded, kind: str, base: str) -> str:
    """Everything a render reads, as one digest: when the database says what it said at the last
    render, that render is served again, unchanged, ETag and all. `repr` of the rows is exact
    (ids, texts, counts, timestamps) and costs a few ms, a fraction of a render. Today's date is
    in it because the bars end today and an open incident lasts until now."""
    page = loaded.page
    parts = (
        kind,
        base,
        loaded.now.date(),
        page.id,
        json.dumps(page.config, sort_keys=True),
        page.cards,
        sorted((sid, s.name) for sid, s in loaded.known.items()),
        sorted(loaded.feeds.items()),
        # the rows are tuples of ids, a timestamp and counts: hashing them is exact enough (64
        # bits, per process like the cache) and a tenth of the cost of their repr
        hash(tuple(loaded.days)),
        loaded.incidents,
        sorted(loaded.updates.items()),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def compose(loaded: Loaded) -> dict[str, Any]:
    """The page's snapshot (CPU only: it runs in a worker thread)."""
    page, now, known, feeds = loaded.page, loaded.now, loaded.known, loaded.feeds
    incidents, updates = loaded.incidents, loaded.updates
    today = now.date()
    per_check: dict[str, dict[date, tuple[int, int]]] = {}
    for check_id, bucket_start, finals, failed in loaded.days:
        # one row per check and day: the locations are summed in SQL
        per_check.setdefault(check_id, {})[bucket_start.date()] = (int(finals), int(failed))

    cards = []
    states = []
    for card in page.cards:
        services = []
        for sid in card.get("services", []):
            service = known.get(sid)
            if service is None:
                continue
            open_on = [i for i in incidents if i.resolved_at is None and sid in i.services]
            state = health.service_state(i.severity for i in open_on)
            states.append(state)
            counts: dict[date, tuple[int, int]] = {}
            for check_id in feeds.get(sid, []):
                for when, (n, bad) in per_check.get(check_id, {}).items():
                    total = counts.get(when, (0, 0))
                    counts[when] = (total[0] + n, total[1] + bad)
            incident_days: dict[date, int] = {}
            for i in incidents:
                if sid in i.services:
                    end = (i.resolved_at or now).date()
                    day = i.created_at.date()
                    while day <= end:
                        incident_days[day] = incident_days.get(day, 0) + 1
                        day += timedelta(days=1)
            days = _history(counts, incident_days, today)
            runs = sum(d["runs"] for d in days)
            failed = sum(d["failed"] for d in days)
            services.append(
                {
                    "name": service.name,
                    "status": state,
                    "statusText": health.LABELS[state],
                    "uptime": None if runs == 0 else 100.0 * (runs - failed) / runs,
                    "days": days,
                }
            )
        cards.append({"name": card["name"], "services": services})
    overall = health.worst(states)
    return {
        "name": page.config["name"],
        "description": page.config.get("description"),
        "logo": page.config.get("logo"),
        "redirectTo": page.config.get("redirectTo"),
        "favicon": page.config.get("favicon"),
        "defaultTheme": page.config.get("defaultTheme", "AUTO"),
        "status": overall,
        "statusText": health.PAGE_LABELS[overall],
        "cards": cards,
        "incidents": [
            {
                "id": i.id,
                "name": i.name,
                "severity": i.severity,
                "status": i.last_update_status,
                "services": [known[s].name for s in i.services if s in known],
                "created_at": iso(i.created_at),
                "resolved_at": iso(i.resolved_at),
                "updates": [
                    {
                        "id": u.id,
                        "status": u.status,
                        "description": u.description,
                        "at": iso(u.public_at),
                    }
                    for u in updates[i.id]
                ],
            }
            for i in incidents
        ],
        "generatedAt": iso(now),
    }


def _rendered(body: str, media_type: str, source: str = "") -> Rendered:
    raw = body.encode()
    return Rendered(raw, media_type, strong_etag(raw), source)


def atom(data: dict[str, Any], base: str) -> str:
    entries = sorted(
        ((u["at"], i, u) for i in data["incidents"] for u in i["updates"]),
        key=lambda e: e[0],
        reverse=True,
    )[:50]
    updated = entries[0][0] if entries else data["generatedAt"]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(data['name'])} status</title>",
        f'<link rel="alternate" type="text/html" href="{escape(base)}"/>',
        f'<link rel="self" type="application/atom+xml" href="{escape(base)}/feed.atom"/>',
        f"<id>{escape(base)}</id>",
        f"<updated>{updated}</updated>",
    ]
    for at, incident, update in entries:
        title = f"{incident['name']}: {update['status'].title()}"
        anchor = f"incident-{incident['id']}"
        parts += [
            "<entry>",
            f"<title>{escape(title)}</title>",
            f"<id>urn:uuid:{update['id']}</id>",
            f"<updated>{at}</updated>",
            f'<link rel="alternate" type="text/html" href="{escape(base)}#{anchor}"/>',
            f'<content type="text">{escape(update["description"])}</content>',
            "<author><name>" + escape(data["name"]) + "</name></author>",
            "</entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts) + "\n"


def theme_css(page: Any) -> str:
    """The page's theme colours (validated hex values) as CSS variables over the base style."""
    themes = page.config.get("themeColors")
    default = page.config.get("defaultTheme", "AUTO")
    out = [STYLE]
    if themes:
        names = {
            "bodyBackgroundColor": "--bg",
            "bodyFontColor": "--fg",
            "bodyFontColorMuted": "--muted",
            "borderColor": "--line",
            "cardBackgroundColor": "--panel",
            "linkFontColor": "--link",
            "headerBackgroundColor": "--head-bg",
            "headerFontColor": "--head-fg",
            "titleFontColor": "--title",
            "primaryButtonBackgroundColor": "--button-bg",
            "primaryButtonFontColor": "--button-fg",
        }

        def block(colors: dict[str, str]) -> str:
            return "; ".join(f"{var}: {colors[key]}" for key, var in names.items() if key in colors)

        light, dark = block(themes["light"]), block(themes["dark"])
        if default == "DARK":
            out.append(f":root {{ color-scheme: dark; {dark} }}")
        elif default == "LIGHT":
            out.append(f":root {{ color-scheme: light; {light} }}")
        else:
            out.append(f":root {{ {light} }}")
            out.append(f"@media (prefers-color-scheme: dark) {{ :root {{ {dark} }} }}")
    elif default in ("DARK", "LIGHT"):
        out.append(f":root {{ color-scheme: {default.lower()}; }}")
    return "\n".join(out) + "\n"


async def _page(runtime: Runtime, url: str) -> Any:
    async with runtime.db.read() as conn:
        page = await repo.public_page(conn, url=url)
    if page is None or page.config.get("isPrivate"):
        return None
    return page


def _viewers(runtime: Runtime, page: Any) -> tuple[str, tuple[str, ...]] | None:
    """A private page's cookie and the values that admit a reader; None for a private page
    without a key (nobody may read it), ("", ()) for a public one."""
    if not page.config.get("isPrivate"):
        return "", ()
    stored = page.config.get("viewerKeys")
    if not stored:
        return None
    opened = [runtime.sealer.open(k["sealedKey"]) for k in stored]
    proofs = tuple(viewer_keys.proof(raw, page.id) for raw in opened)
    return viewer_keys.cookie_name(page.id), proofs


async def _render(
    runtime: Runtime, request: Request, url: str, kind: str, base: str
) -> Rendered | None:
    key = (url, kind + "|" + base)

    async def render() -> Rendered | None:
        async with runtime.db.read() as conn:
            page = await repo.public_page(conn, url=url)
            if page is None:
                return None
            if kind == "css":
                return _rendered(theme_css(page), "text/css; charset=utf-8")
            viewers = _viewers(runtime, page)
            if viewers is None:
                return None
            loaded = await load(conn, page, utcnow())
        source = fingerprint(loaded, kind, base)
        held = previous(key)
        if held is not None and held.source == source:
            return held
        # Composing and rendering are CPU only, and the largest page takes a while: in a thread,
        # so the readers served from the cache meanwhile are not held up behind it.
        feed_url = runtime.settings.base_url + f"/status/{url}"
        rendered = await asyncio.to_thread(_finish, loaded, kind, base, feed_url, source)
        return replace(rendered, cookie=viewers[0], proofs=viewers[1], private=bool(viewers[0]))

    rendered = await cached(key, render)
    remember(path_of(request.scope), key)
    return rendered


def _finish(loaded: Loaded, kind: str, base: str, feed_url: str, source: str) -> Rendered:
    data = compose(loaded)
    if kind == "json":
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return _rendered(text, "application/json", source)
    if kind == "atom":
        return _rendered(atom(data, feed_url), "application/atom+xml", source)
    html = environment().get_template("status.html").render(page=data, base=base)
    return _rendered(html, "text/html; charset=utf-8", source)


def _answer(request: Request, rendered: Rendered | None, url: str = "") -> Response:
    if rendered is None:
        return HTMLResponse(
            environment().get_template("missing.html").render(),
            status_code=404,
            headers={**SECURITY, "Cache-Control": f"public, max-age={MAX_AGE}"},
        )
    headers = request.headers
    reply = answer(rendered, headers.get("cookie", ""), headers.get("if-none-match", ""))
    if reply is None:
        return _key_form(request, url)
    return Response(reply.body or None, status_code=reply.status, headers=reply.headers)


@router.get("/status/{url}")
async def status_page(url: str, request: Request, runtime: RuntimeDep) -> Response:
    return _answer(request, await _render(runtime, request, url, "html", _base(request, url)), url)


@router.get("/status/{url}/index.json")
async def status_json(url: str, request: Request, runtime: RuntimeDep) -> Response:
    return _answer(request, await _render(runtime, request, url, "json", ""), url)


@router.get("/status/{url}/feed.atom")
async def status_feed(url: str, request: Request, runtime: RuntimeDep) -> Response:
    return _answer(request, await _render(runtime, request, url, "atom", ""), url)


@router.get("/status/{url}/style.css")
async def status_style(url: str, request: Request, runtime: RuntimeDep) -> Response:
    return _answer(request, await _render(runtime, request, url, "css", ""))


# private pages: the viewer key, typed once


def _key_form(request: Request, url: str, wrong: bool = False) -> Response:
    html = environment().get_template("key.html").render(base=_base(request, url), wrong=wrong)
    return HTMLResponse(html, status_code=401, headers={**SECURITY, "Cache-Control": "no-store"})


@router.post("/status/{url}/login")
async def login(url: str, request: Request, runtime: RuntimeDep) -> Response:
    async with runtime.db.read() as conn:
        page = await repo.public_page(conn, url=url)
    if page is None or not page.config.get("isPrivate"):
        return _answer(request, None)
    typed = (await _form(request)).get("key", "").strip()
    return await viewer_login.sign_in(
        request,
        runtime,
        keys=page.config.get("viewerKeys"),
        typed=typed,
        page_id=page.id,
        base=_base(request, url),
        wrong=lambda: _key_form(request, url, wrong=True),
    )


# subscriptions (double opt-in; one-click unsubscribe)


def _message(
    request: Request, url: str, title: str, text: str, status: int = 200, form: Any = None
) -> Response:
    html = (
        environment()
        .get_template("message.html")
        .render(title=title, text=text, base=_base(request, url), form=form)
    )
    return HTMLResponse(html, status_code=status, headers={**SECURITY, "Cache-Control": "no-store"})


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    fields = parse_qs(body[:4096].decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


@router.post("/status/{url}/subscribe")
async def subscribe(url: str, request: Request, runtime: RuntimeDep) -> Response:
    page = await _page(runtime, url)
    if page is None:
        return _answer(request, None)
    address = (await _form(request)).get("email", "").strip()
    try:
        SubscriptionItem(type="EMAIL", config=address)
    except ValueError:
        return _message(request, url, "Not an email address", "Go back and check the address.", 400)
    settings = runtime.settings
    wait = await subscribe_limits.refused(
        runtime.limiter.counters,
        page.id,
        request.client.host if request.client else "unknown",
        time.time(),
        per_address=settings.subscribe_limit_per_address,
        per_page=settings.subscribe_limit_per_page,
    )
    if wait is not None:
        answer = _message(
            request, url, "Too many subscriptions", "Try again in an hour.", status=429
        )
        answer.headers["Retry-After"] = str(wait)
        return answer
    async with runtime.db.write() as conn:
        await subscriptions.subscribe(conn, page, address, verified=False, now=utcnow())
    # The same answer whether or not the address was already subscribed: the page does not say
    # who its subscribers are.
    return _message(
        request,
        url,
        "Check your inbox",
        "If the address is not subscribed yet, a mail with a confirmation link is on its way.",
    )


@router.get("/status/{url}/subscriptions/confirm")
async def confirm(url: str, token: str, request: Request, runtime: RuntimeDep) -> Response:
    page = await _page(runtime, url)
    if page is None:
        return _answer(request, None)
    async with runtime.db.write() as conn:
        done = await subscriptions.confirm(conn, page.id, token)
    if not done:
        return _message(request, url, "Link expired", "This subscription no longer exists.", 404)
    return _message(request, url, "Subscribed", "You will get a mail when an incident is updated.")


@router.get("/status/{url}/subscriptions/unsubscribe")
async def unsubscribe_form(url: str, token: str, request: Request, runtime: RuntimeDep) -> Response:
    # A GET changes nothing (mail scanners follow links): the page's one button does it.
    page = await _page(runtime, url)
    if page is None:
        return _answer(request, None)
    async with runtime.db.read() as conn:
        held = await subscriptions.by_token(conn, page.id, token)
    if held is None:
        return _message(request, url, "Not subscribed", "This address is not subscribed.", 404)
    return _message(
        request,
        url,
        "Unsubscribe",
        f"Stop mail about {page.config['name']}?",
        form={"token": token},
    )


@router.post("/status/{url}/subscriptions/unsubscribe")
async def unsubscribe(url: str, request: Request, runtime: RuntimeDep) -> Response:
    """The page's button, and RFC 8058's one-click POST from the mail client (token in the
    query string, `List-Unsubscribe=One-Click` in the body)."""
    page = await _page(runtime, url)
    if page is None:
        return _answer(request, None)
    token = request.query_params.get("token") or (await _form(request)).get("token", "")
    async with runtime.db.write() as conn:
        await subscriptions.unsubscribe(conn, page.id, token)
    return _message(request, url, "Unsubscribed", "You will get no more mail from this page.")


# custom domains


class CustomDomains:
    """Serves a status page or a dashboard at its `customDomain`: a request whose Host is not the
    server's own is looked up (cached, found or not, for a few seconds) and, when a page has that
    domain, its path is served from under `/status/{url}` (or `/dashboards/{slug}`). Only the
    public page's paths; never the API or the UI."""

    PATHS = ("/", "/index.json", "/feed.atom", "/style.css", "/subscribe", "/login")

    def __init__(self, app: ASGIApp, runtime_of: Any, own_host: str) -> None:
        self.app = app
        self.runtime_of = runtime_of
        self.own_host = own_host
        self.known: dict[str, tuple[float, str | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path in self.PATHS or path.startswith(("/subscriptions/", "/runs/")):
                host = self._host(scope)
                if host and host != self.own_host:
                    prefix = await self._prefix(scope, host)
                    if prefix is not None:
                        suffix = "" if path == "/" else path
                        scope = dict(scope)
                        scope["path"] = f"{prefix}{suffix}"
                        scope["raw_path"] = scope["path"].encode()
                        scope["state"] = {
                            **scope.get("state", {}),
                            "status_base": "",
                            "public_base": "",
                        }
        await self.app(scope, receive, send)

    @staticmethod
    def _host(scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"host":
                text: str = value.decode("latin-1")
                return text.rsplit(":", 1)[0].strip().lower().rstrip(".")
        return ""

    async def _prefix(self, scope: Scope, host: str) -> str | None:
        now = time.monotonic()
        held = self.known.get(host)
        if held is not None and held[0] > now:
            return held[1]
        # imported here: dashboards build on this module (its headers, its cache)
        from vantage.dashboards.public import find_by_domain

        runtime: Runtime = self.runtime_of(scope)
        prefix = None
        async with runtime.db.read() as conn:
            page = await repo.public_page(conn, domain=host)
            if page is not None:
                prefix = f"/status/{page.url}"  # a private one asks for its key there
            else:
                slug = await find_by_domain(conn, host)
                prefix = None if slug is None else f"/dashboards/{slug}"
        if len(self.known) > 10_000:
            self.known.clear()
        self.known[host] = (now + MAX_AGE, prefix)
        return prefix


def own_host(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()
