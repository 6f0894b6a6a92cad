"""Jinja2 environment and the one way a page answers: HTML, or its `.json` twin."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

from vantage.checks.schemas import CHECK_TYPES
from vantage.ui import charts
from vantage.ui.auth import Viewer


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 10000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f} ms"


def _pct(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 99.995 or value <= 0.005:
        return f"{value:.0f} %"
    return f"{value:.2f} %"


def _when(value: str | None) -> str:
    """An ISO timestamp as the page shows it: UTC, to the second, with the offset said."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: int | None) -> str:
    if not seconds:
        return "—"
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None or before == 0:
        return ""
    delta = 100.0 * (now - before) / before
    return f"{delta:+.0f} % vs previous"


def _query(base: dict[str, Any], **changes: Any) -> str:
    merged = {**base, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return "?" + urlencode(kept) if kept else "?"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("vantage.ui", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(ms=_ms, pct=_pct, when=_when, duration=_duration, change=_change)
    env.globals.update(charts=charts, query=_query, tojson_pretty=_pretty, check_types=CHECK_TYPES)
    return env


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def page(
    template: str,
    data: dict[str, Any],
    *,
    viewer: Viewer | None,
    as_json: bool,
    title: str,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    if as_json:
        return JSONResponse(data, status_code=status_code)
    html = (
        environment()
        .get_template(template)
        .render(data=data, viewer=viewer, title=title, **(extra or {}))
    )
    return HTMLResponse(html, status_code=status_code)
