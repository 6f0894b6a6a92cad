"""A check whose URL no run could use is refused when it is saved, naming `request.url`."""

from __future__ import annotations

import pytest

from tests.support.checks import api_check, url_check
from tests.support.harness import Persona
from vantage.checks.urls import url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/health",
        "http://127.0.0.1:8080",
        "HTTP://EXAMPLE.COM",
        "https://bücher.example/",
        "https://user:secret@example.com/a b?q=1",
        "{{GROUP_BASE_URL}}/health",
        "https://{{HOST}}/health",
    ],
)
def test_urls_a_run_can_use_are_accepted(url: str) -> None:
    assert url_problem(url) is None


def test_a_path_is_fine_where_a_group_base_url_completes_it() -> None:
    assert url_problem("/health", relative=True) is None
    assert url_problem("/health") is not None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "must be an http or https URL"),
        ("example.com/health", "must be an http or https URL"),
        ("ftp://example.com/", "must be an http or https URL"),
        ("ftp://{{HOST}}/", "must be an http or https URL, not ftp:"),
        ("https://", "must name a host"),
        ("https:///path", "must name a host"),
        ("http://example.com:99999/", "is not a valid URL"),
        ("http://example.com:port/", "is not a valid URL"),
        ("http://[::1/", "is not a valid URL"),
    ],
)
def test_urls_no_run_can_use_are_refused_saying_why(url: str, problem: str) -> None:
    found = url_problem(url)
    assert found is not None and found.startswith(problem), found


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/checks/api", api_check("not a url")),
        ("/v1/checks/url", url_check("not a url")),
        ("/v1/checks/url", url_check("/health")),
        ("/v1/checks", {**api_check("ftp://example.com/"), "checkType": "API"}),
    ],
)
async def test_saving_a_check_with_an_unusable_url_is_a_400_naming_the_field(
    alice: Persona, path: str, payload: dict[str, object]
) -> None:
    response = await alice.post(path, json=payload)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["validation"]["keys"] == ["request.url"]
    assert "http or https URL" in body["message"]
    assert (await alice.get("/v1/checks")).json() == []


async def test_updating_a_check_to_an_unusable_url_is_refused_too(alice: Persona) -> None:
    created = await alice.post("/v1/checks/api", json=api_check("https://example.com/"))
    check_id = created.json()["id"]
    response = await alice.put(
        f"/v1/checks/api/{check_id}", json={"request": {"method": "GET", "url": "https://"}}
    )
    assert response.status_code == 400, response.text
    assert response.json()["validation"]["keys"] == ["request.url"]
    stored = await alice.get(f"/v1/checks/{check_id}")
    assert stored.json()["request"]["url"] == "https://example.com/"
