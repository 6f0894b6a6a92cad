"""Status badges as SVG (pure): Checkly's `style` (flat, plastic, flat-square, for-the-badge,
social) and `theme` (default, light, dark) parameters, in the shields.io look READMEs expect.

Text widths are estimated per character (Verdana 11 px averages about 6.5 px), so the SVG needs
no font metrics; every text is XML-escaped.
"""

from __future__ import annotations

from typing import Literal
from xml.sax.saxutils import escape

Style = Literal["flat", "plastic", "flat-square", "for-the-badge", "social"]
Theme = Literal["light", "dark", "default"]
COLORS = {
    "passing": "#4c1",
    "degraded": "#dfb317",
    "failing": "#e05d44",
    "unknown": "#9f9f9f",
}
LABEL_COLORS = {
    "default": ("#555", "#fff"),
    "dark": ("#24292f", "#fff"),
    "light": ("#eee", "#24292f"),
}


def _width(text: str, per_char: float) -> int:
    return int(len(text) * per_char + 10)


def svg(
    label: str, message: str, status: str, style: Style = "flat", theme: Theme = "default"
) -> str:
    color = COLORS.get(status, COLORS["unknown"])
    label_bg, label_fg = LABEL_COLORS[theme]
    if style == "for-the-badge":
        label, message = label.upper(), message.upper()
    per_char = 7.5 if style == "for-the-badge" else 6.5
    height = 28 if style == "for-the-badge" else 20
    lw, mw = _width(label, per_char), _width(message, per_char)
    total = lw + mw
    radius = {"flat": 3, "plastic": 4, "flat-square": 0, "for-the-badge": 0, "social": 3}[style]
    if style == "social":
        color, label_bg, label_fg = "#fcfcfc", "#f5f5f5" if theme != "dark" else "#24292f", label_fg
    msg_fg = "#333" if style == "social" else "#fff"
    if style == "social" and theme != "dark":
        label_fg = "#333"
    gradient = ""
    overlay = ""
    if style in ("flat", "plastic"):
        stop = ".1" if style == "flat" else ".2"
        gradient = (
            '<linearGradient id="s" x2="0" y2="100%">'
            f'<stop offset="0" stop-color="#bbb" stop-opacity="{stop}"/>'
            '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        )
        overlay = f'<rect width="{total}" height="{height}" fill="url(#s)"/>'
    text_y = height // 2 + 4
    title = escape(f"{label}: {message}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" '
        f'role="img" aria-label="{title}"><title>{title}</title>{gradient}'
        f'<clipPath id="r"><rect width="{total}" height="{height}" rx="{radius}" fill="#fff"/>'
        f'</clipPath><g clip-path="url(#r)">'
        f'<rect width="{lw}" height="{height}" fill="{label_bg}"/>'
        f'<rect x="{lw}" width="{mw}" height="{height}" fill="{color}"/>{overlay}</g>'
        '<g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{lw / 2:.1f}" y="{text_y}" fill="{label_fg}">{escape(label)}</text>'
        f'<text x="{lw + mw / 2:.1f}" y="{text_y}" fill="{msg_fg}">{escape(message)}</text>'
        "</g></svg>"
    )


def worst(statuses: list[str]) -> str:
    order = ["unknown", "passing", "degraded", "failing"]
    known = [s for s in statuses if s != "unknown"]
    return max(known, key=order.index) if known else "unknown"
