"""Badges as SVG (pure): every style and theme is well-formed, texts are escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import get_args

import pytest

from vantage.dashboards import badges


@pytest.mark.parametrize("style", get_args(badges.Style))
@pytest.mark.parametrize("theme", get_args(badges.Theme))
def test_every_style_and_theme_is_well_formed_svg(style: badges.Style, theme: badges.Theme) -> None:
    # our own output, parsed to prove it well-formed
    root = ET.fromstring(badges.svg("Checkout <API> & co", "passing", "passing", style, theme))  # noqa: S314
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width", "0")) > 0


def test_a_groups_status_is_its_worst_known_checks() -> None:
    assert badges.worst([]) == "unknown"
    assert badges.worst(["unknown", "passing"]) == "passing"
    assert badges.worst(["passing", "failing", "degraded"]) == "failing"
