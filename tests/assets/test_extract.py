"""Inline assets leave a script result's detail at intake: each kept `data:` URL becomes a named
asset and a link in its place; anything else is left out, and other results are untouched."""

from __future__ import annotations

import base64

from vantage.assets.extract import absolute, extract

PNG = b"\x89PNG\r\n\x1a\nfake"
ZIP = b"PK\x03\x04fake"


def data_url(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def test_screenshots_and_traces_become_named_assets_and_links() -> None:
    detail = {
        "errors": ["boom"],
        "jobAssets": [data_url("image/png", PNG), data_url("image/png", PNG + b"2")],
        "playwrightTestTraces": [data_url("application/zip", ZIP)],
        "playwrightTestVideos": [],
    }
    out, assets = extract("browserCheckResult", detail, check_id="c", result_id="r")
    assert [(a.name, a.type, a.content_type) for a in assets] == [
        ("screenshot-1.png", "screenshot", "image/png"),
        ("screenshot-2.png", "screenshot", "image/png"),
        ("trace-1.zip", "trace", "application/zip"),
    ]
    assert assets[0].data == PNG
    assert out["jobAssets"] == [
        "/v1/check-results/c/r/assets/screenshot-1.png",
        "/v1/check-results/c/r/assets/screenshot-2.png",
    ]
    assert out["playwrightTestTraces"] == ["/v1/check-results/c/r/assets/trace-1.zip"]
    assert out["errors"] == ["boom"]
    assert detail["jobAssets"][0].startswith("data:")  # the agent's detail is not changed


def test_what_a_browser_would_render_as_a_page_or_cannot_decode_is_left_out() -> None:
    detail = {
        "jobAssets": [
            data_url("text/html", b"<script>alert(1)</script>"),
            data_url("image/svg+xml", b"<svg/>"),
            "data:image/png;base64,not base64!",
            "https://elsewhere.example/shot.png",
        ]
    }
    out, assets = extract("multiStepCheckResult", detail, check_id="c", result_id="r")
    assert assets == []
    assert out["jobAssets"] == []


def test_results_of_other_checks_are_untouched() -> None:
    detail = {"jobAssets": [data_url("image/png", PNG)]}
    out, assets = extract("apiCheckResult", detail, check_id="c", result_id="r")
    assert out is detail and assets == []
    plain: dict[str, list[str]] = {"errors": [], "jobAssets": []}
    out, assets = extract("browserCheckResult", plain, check_id="c", result_id="r")
    assert out is plain and assets == []


def test_a_results_stored_links_are_read_as_absolute_urls_and_nothing_else_changes() -> None:
    detail = {
        "errors": ["see /v1/check-results/c/r/assets/screenshot-1.png"],
        "jobAssets": ["/v1/check-results/c/r/assets/screenshot-1.png"],
        "playwrightTestTraces": ["https://elsewhere.example/trace.zip"],
        "playwrightTestVideos": [],
    }
    out = absolute("browserCheckResult", detail, "https://vantage.example")
    assert out["jobAssets"] == [
        "https://vantage.example/v1/check-results/c/r/assets/screenshot-1.png"
    ]
    assert out["playwrightTestTraces"] == ["https://elsewhere.example/trace.zip"]
    assert out["errors"] == detail["errors"]
    assert detail["jobAssets"][0].startswith("/v1/")  # the stored detail is not changed
    api = {"jobAssets": ["/v1/check-results/c/r/assets/x.png"]}
    assert absolute("apiCheckResult", api, "https://vantage.example") is api
