"""`/v1/static-ips…`: the lists Terraform's `checkly_static_ips` reads through the Go SDK answer
in Checkly's shapes (a region map, a list, text), empty because the server does not know its
agents' egress addresses; and only to an API key, like every `/v1` operation."""

from __future__ import annotations

import pytest

from tests.support.harness import Persona

JSON_LISTS: list[tuple[str, object]] = [
    ("/v1/static-ips-by-region", {}),
    ("/v1/static-ipv6s-by-region", {}),
    ("/v1/static-ips", []),
    ("/v1/static-ipv6s", []),
]


@pytest.mark.parametrize(("path", "empty"), JSON_LISTS)
async def test_each_list_answers_in_checklys_shape_and_empty(
    alice: Persona, path: str, empty: object
) -> None:
    response = await alice.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == empty


@pytest.mark.parametrize("path", ["/v1/static-ips.txt", "/v1/static-ipv6s.txt"])
async def test_the_text_lists_are_plain_text(alice: Persona, path: str) -> None:
    response = await alice.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain") and response.text == ""


@pytest.mark.parametrize("path", [p for p, _ in JSON_LISTS] + ["/v1/static-ips.txt"])
async def test_they_need_an_api_key(alice: Persona, path: str) -> None:
    response = await alice.client.get(path)
    assert response.status_code == 401
