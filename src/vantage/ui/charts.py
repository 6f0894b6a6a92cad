"""SVG chart geometry (pure): the templates draw what these return, in a fixed viewBox that CSS
scales to the page. Colours come from CSS classes, so dark mode needs no second chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

WIDTH = 600.0
HEIGHT = 120.0
PHASES = (
    ("wait", "Wait"),
    ("dns", "DNS"),
    ("tcp", "TCP"),
    ("tls", "TLS"),
    ("firstByte", "First byte"),
    ("download", "Download"),
)


def status_bars(
    buckets: Sequence[Mapping[str, Any]], width: float = WIDTH, height: float = HEIGHT
) -> list[dict[str, Any]]:
    """One stacked bar per bucket: passed at the bottom, then degraded, then failed; heights
    scaled to the busiest bucket, so an empty bucket has no bar."""
    most = max((b["finals"] for b in buckets), default=0) or 1
    step = width / max(len(buckets), 1)
    bars = []
    for i, b in enumerate(buckets):
        y = height
        segments = []
        for key in ("passed", "degraded", "failed"):
            h = height * b[key] / most
            if h > 0:
                y -= h
                segments.append({"y": round(y, 2), "h": round(h, 2), "cls": key})
        bars.append(
            {
                "x": round(i * step + step * 0.1, 2),
                "w": round(step * 0.8, 2),
                "segments": segments,
                "bucket": b,
            }
        )
    return bars


def line(
    values: Sequence[float | None], width: float = WIDTH, height: float = HEIGHT
) -> str | None:
    """A polyline's points for `values` (None leaves a gap: the line joins the known ones)."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None  # one point draws nothing: the tiles and the table say it
    top = max(known) * 1.1 or 1.0
    step = width / max(len(values), 1)
    points = [
        f"{i * step + step / 2:.1f},{height - height * v / top:.1f}"
        for i, v in enumerate(values)
        if v is not None
    ]
    return " ".join(points)


def lines(
    series: Sequence[Mapping[str, Any]], key: str, width: float = WIDTH, height: float = HEIGHT
) -> list[dict[str, Any]]:
    """Several lines on one scale (the slowest point of any): each series' `key` values as
    polyline points, and a class `line-N` (N < 6) so each has its own colour."""
    top = max((v for s in series for v in s[key] if v is not None), default=0.0) * 1.1 or 1.0
    out = []
    for n, s in enumerate(series):
        values = s[key]
        step = width / max(len(values), 1)
        points = [
            f"{i * step + step / 2:.1f},{height - height * v / top:.1f}"
            for i, v in enumerate(values)
            if v is not None
        ]
        if points:
            out.append({"series": s, "points": " ".join(points), "cls": f"line-{n % 6}"})
    return out


def mini_svg(bars: Sequence[Mapping[str, Any]], height: float = 24.0) -> Markup:
    """The dashboard's last-results bars as one SVG string: height by average response time,
    class by outcome. 50 rows x 24 bars are the page's bulk: built here in one pass they cost a
    fraction of what the template would spend escaping each attribute."""
    top = max((b["average"] or 0 for b in bars), default=0) or 1
    rects = []
    for i, b in enumerate(bars):
        finals = b["finals"]
        if not finals:
            cls, h = "none", 2.0
        else:
            cls = "failed" if b["failed"] else "degraded" if b["degraded"] else "passed"
            h = max(3.0, height * (b["average"] or 0) / top)
        average = "" if b["average"] is None else f", avg {b['average']:.0f} ms"
        tip = escape(f"{str(b['start'])[11:16]} UTC: {finals} runs, {b['failed']} failed{average}")
        rects.append(
            f'<rect class="{cls}" x="{i * 4}" y="{height - h:.2f}" width="3" height="{h:.2f}">'
            f"<title>{tip}</title></rect>"
        )
    return Markup(  # noqa: S704 - every value above is a number, a class name or escaped
        '<svg class="mini" viewBox="0 0 96 24" role="img" '
        'aria-label="Hourly results, last 24 hours">' + "".join(rects) + "</svg>"
    )


def waterfall(phases: Mapping[str, Any] | None, width: float = WIDTH) -> list[dict[str, Any]]:
    """One row per timing phase, each starting where the previous one ended (Checkly's phases,
    and TLS, which Vantage measures apart)."""
    if not phases:
        return []
    values = [(key, label, phases.get(key)) for key, label in PHASES]
    total = sum(float(v) for _, _, v in values if isinstance(v, int | float)) or 1.0
    rows = []
    at = 0.0
    for key, label, value in values:
        if not isinstance(value, int | float):
            continue
        w = width * float(value) / total
        rows.append({"key": key, "label": label, "ms": float(value), "x": at, "w": max(w, 1.0)})
        at += w
    return rows


def phase_bars(
    buckets: Sequence[Mapping[str, Any]], width: float = WIDTH, height: float = HEIGHT
) -> list[dict[str, Any]]:
    """The check overview's timing chart: per bucket, the average of each phase stacked in
    request order (Wait at the bottom, Download on top), scaled to the slowest bucket's total.
    Buckets without phases (no HTTP results that measured them) have no bar."""
    totals = [
        sum(float(b["phases"].get(key) or 0.0) for key, _ in PHASES) if b.get("phases") else 0.0
        for b in buckets
    ]
    top = max(totals, default=0.0) or 1.0
    step = width / max(len(buckets), 1)
    bars = []
    for i, b in enumerate(buckets):
        phases = b.get("phases")
        if not phases:
            continue
        y = height
        segments = []
        for key, label in PHASES:
            ms = float(phases.get(key) or 0.0)
            h = height * ms / top
            if h > 0:
                y -= h
                segments.append(
                    {"key": key, "label": label, "ms": ms, "y": round(y, 2), "h": round(h, 2)}
                )
        bars.append(
            {
                "x": round(i * step + step * 0.1, 2),
                "w": round(step * 0.8, 2),
                "total": totals[i],
                "segments": segments,
                "bucket": b,
            }
        )
    return bars
