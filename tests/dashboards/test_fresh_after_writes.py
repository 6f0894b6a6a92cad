"""A write shows on the public pages at once, not when their cache's copy expires: a dashboard or
a status page edited, a check renamed or deleted. The cache's clock stands still in these tests,
so only the write can have cleared a copy. Revalidation (If-None-Match) is answered by the same
helper as the badges', weak form included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboards.test_dashboards import GO_DASHBOARD
from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.targets.http_target import HttpTarget
from vantage.statuspages import public_cache


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    public_cache.forget_pages()
    monkeypatch.setattr(public_cache, "clock", lambda: 1_000.0)
    yield
    public_cache.forget_pages()


async def _dashboard(alice: Persona, **fields: Any) -> dict[str, Any]:
    body = GO_DASHBOARD | {"customDomain": None, "customUrl": "acme", "tags": [], **fields}
    created = await alice.post("/v1/dashboards", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _page(alice: Persona, path: str, **headers: str) -> tuple[int, str, str]:
    # no API key: what any reader gets
    response = await alice.client.get(path, headers=headers)
    return response.status_code, response.text, response.headers.get("etag", "")


def _names(html: str) -> list[str]:
    return re.findall(r'<span class="name">([^<]*)</span>', html)


async def test_a_dashboard_asked_for_before_it_existed_is_served_once_created(
    alice: Persona,
) -> None:
    assert (await _page(alice, "/dashboards/acme"))[0] == 404
    await _dashboard(alice, header="Acme")
    status, html, _ = await _page(alice, "/dashboards/acme")
    assert status == 200 and "Acme" in html


async def test_an_edited_dashboard_shows_at_once_and_a_stale_etag_gets_the_new_page(
    alice: Persona,
) -> None:
    board = await _dashboard(alice, header="Acme")
    _, html, etag = await _page(alice, "/dashboards/acme")
    assert "Acme" in html
    assert (await _page(alice, "/dashboards/acme", **{"If-None-Match": f"W/{etag}"}))[0] == 304
    edited = await alice.put(f"/v1/dashboards/{board['dashboardId']}", json=board | {"header": "Q"})
    assert edited.status_code == 200, edited.text
    status, html, fresh = await _page(alice, "/dashboards/acme", **{"If-None-Match": etag})
    assert status == 200 and '<h1 class="title">Q</h1>' in html and fresh != etag
    deleted = await alice.delete(f"/v1/dashboards/{board['dashboardId']}")
    assert deleted.status_code == 204
    assert (await _page(alice, "/dashboards/acme"))[0] == 404


async def test_a_renamed_or_deleted_check_leaves_its_dashboard_at_once(
    alice: Persona, http_target: HttpTarget
) -> None:
    created = await alice.post(
        "/v1/checks/api", json=api_check(f"{http_target.base_url}/ok", name="Checkout API")
    )
    assert created.status_code == 201, created.text
    check_id = created.json()["id"]
    await _dashboard(alice)
    assert _names((await _page(alice, "/dashboards/acme"))[1]) == ["Checkout API"]
    renamed = await alice.put(f"/v1/checks/{check_id}", json={"name": "Payments API"})
    assert renamed.status_code == 200, renamed.text
    assert _names((await _page(alice, "/dashboards/acme"))[1]) == ["Payments API"]
    assert (await alice.delete(f"/v1/checks/{check_id}")).status_code == 204
    assert _names((await _page(alice, "/dashboards/acme"))[1]) == []


async def test_an_edited_status_page_shows_at_once(alice: Persona) -> None:
    body = {"name": "Acme status", "url": "acme", "cards": []}
    created = await alice.post("/v1/status-pages", json=body)
    assert created.status_code == 201, created.text
    page_id = created.json()["id"]
    assert "Acme status" in (await _page(alice, "/status/acme"))[1]
    edited = await alice.put(f"/v1/status-pages/{page_id}", json=body | {"name": "Shop status"})
    assert edited.status_code == 200, edited.text
    assert "Shop status" in (await _page(alice, "/status/acme"))[1]
    assert (await alice.delete(f"/v1/status-pages/{page_id}")).status_code == 204
    assert (await _page(alice, "/status/acme"))[0] == 404
