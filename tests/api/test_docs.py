"""`/docs` and `/redoc` work offline: every script, style sheet and icon comes from the server."""

from __future__ import annotations

import re

import pytest

from tests.support.harness import Harness

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_every_asset_from_the_server_itself(
    vantage: Harness, page: str
) -> None:
    response = await vantage.client.get(page)
    assert response.status_code == 200
    assets = ASSET.findall(response.text)
    assert assets, response.text
    assert [url for url in assets if not url.startswith("/docs/assets/")] == []
    assert "://" not in response.text.replace("http://www.w3.org", "")
    for url in assets:
        served = await vantage.client.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 1000, url


async def test_swagger_ui_is_a_version_that_reads_openapi_3_1(vantage: Harness) -> None:
    # FastAPI documents the API in OpenAPI 3.1, which Swagger UI reads from version 5 on.
    assert (await vantage.client.get("/openapi.json")).json()["openapi"].startswith("3.1")
    bundle = await vantage.client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert re.search(r'"5\.\d+\.\d+"', bundle.text)


async def test_the_docs_are_not_operations_of_the_api(vantage: Harness) -> None:
    paths = (await vantage.client.get("/openapi.json")).json()["paths"]
    assert [path for path in paths if path.startswith(("/docs", "/redoc"))] == []
