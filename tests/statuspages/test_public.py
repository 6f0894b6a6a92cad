"""The public page over real HTTP from a real `vantage server`: without login, at `/status/{url}`
and at its custom domain, its JSON twin and Atom feed, cacheable, and showing nothing of the
account beyond the page."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.agent.processes import Server, free_port, vantage_cli

pytestmark = pytest.mark.e2e
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, free_port(), tmp_path / "server.log")
    running.start()
    try:
        yield running
    finally:
        running.kill()


@pytest.fixture
def api(server: Server) -> Iterator[httpx2.Client]:
    account = vantage_cli("accounts", "create", "acme", "--database-url", server.database_url)
    headers = {"Authorization": f"Bearer {account['apiKey']}"}
    with httpx2.Client(base_url=server.url, headers=headers, timeout=30) as client:
        client.account_id = account["accountId"]  # type: ignore[attr-defined]
        yield client


def _published(api: httpx2.Client, **fields: Any) -> dict[str, Any]:
    service = api.post("/v1/status-pages/services", json={"name": "Payments API"}).json()
    body = {
        "name": "Acme status",
        "url": "acme",
        "description": "How Acme is doing",
        "cards": [{"name": "Core", "services": [{"id": service["id"]}]}],
        **fields,
    }
    page = api.post("/v1/status-pages", json=body)
    assert page.status_code == 201, page.text
    incident = api.post(
        "/v1/status-pages/incidents",
        json={
            "name": "Card payments fail",
            "severity": "MAJOR",
            "services": [{"id": service["id"]}],
            "incidentUpdates": [
                {"description": "Card <b>payments</b> fail", "status": "IDENTIFIED"}
            ],
        },
    )
    assert incident.status_code == 201, incident.text
    return {"page": page.json(), "service": service, "incident": incident.json()}


def test_the_page_is_served_without_login_with_its_services_and_incident(
    server: Server, api: httpx2.Client
) -> None:
    _published(api)
    response = httpx2.get(f"{server.url}/status/acme")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Acme status" in html and "Payments API" in html and "Outage" in html
    # The update's text is escaped, never markup.
    assert "Card &lt;b&gt;payments&lt;/b&gt; fail" in html
    assert html.count('class="bar ') == 90
    assert "default-src 'none'" in response.headers["content-security-policy"]
    style = httpx2.get(f"{server.url}/status/acme/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


def test_the_json_twin_says_what_the_page_shows_and_no_more(
    server: Server, api: httpx2.Client
) -> None:
    made = _published(api)
    response = httpx2.get(f"{server.url}/status/acme/index.json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "outage"
    [card] = body["cards"]
    [service] = card["services"]
    assert service["name"] == "Payments API" and len(service["days"]) == 90
    text = json.dumps(body)
    for secret in (api.account_id, made["service"]["id"], made["page"]["id"]):  # type: ignore[attr-defined]
        assert secret not in text


def test_the_atom_feed_lists_the_incident_updates(server: Server, api: httpx2.Client) -> None:
    made = _published(api)
    response = httpx2.get(f"{server.url}/status/acme/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 (our own server's answer)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Card payments fail: Identified"
    update_id = made["incident"]["incidentUpdates"][0]["id"]
    assert entry.findtext(f"{ATOM}id") == f"urn:uuid:{update_id}"


def test_a_reader_revalidating_gets_a_304_without_a_body(
    server: Server, api: httpx2.Client
) -> None:
    _published(api)
    first = httpx2.get(f"{server.url}/status/acme")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = httpx2.get(f"{server.url}/status/acme", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_the_page_is_served_at_its_custom_domain(server: Server, api: httpx2.Client) -> None:
    _published(api, customDomain="status.acme.example")
    response = httpx2.get(f"{server.url}/", headers={"Host": "status.acme.example"})
    assert response.status_code == 200
    assert "Acme status" in response.text
    # Links stay on the domain's root.
    assert 'href="/style.css"' in response.text
    assert (
        httpx2.get(f"{server.url}/index.json", headers={"Host": "status.acme.example"}).json()[
            "name"
        ]
        == "Acme status"
    )
    # Another host name is not the page; the API is never served through the page's domain.
    other = httpx2.get(f"{server.url}/index.json", headers={"Host": "other.example"})
    assert other.status_code == 404
    checks = httpx2.get(f"{server.url}/v1/checks", headers={"Host": "status.acme.example"})
    assert checks.status_code == 401


def test_an_unknown_page_is_not_found(server: Server, api: httpx2.Client) -> None:
    assert httpx2.get(f"{server.url}/status/nobody").status_code == 404
