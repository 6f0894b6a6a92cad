"""Error groups, which `checkly checks get --error-group` and `checkly rca` read: Vantage groups
no errors, so the lists are empty and any id is a 404 (as another account's would be); a bad
page size is a 400 naming it; everything needs an API key."""

from __future__ import annotations

import uuid

import pytest

from tests.projects.support import api_check, body, deployed, physical
from tests.support.harness import Persona

LISTS = ["/v1/error-groups", "/v1/test-session-error-groups"]
ONES = ["/v1/error-groups/eg-1", "/v1/test-session-error-groups/eg-1"]


@pytest.mark.parametrize("path", LISTS)
async def test_the_lists_are_empty(alice: Persona, path: str) -> None:
    response = await alice.get(path, params={"limit": 5, "page": 1})
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.parametrize("path", LISTS)
async def test_a_limit_out_of_range_is_a_400_naming_it(alice: Persona, path: str) -> None:
    response = await alice.get(path, params={"limit": 0})
    assert response.status_code == 400, response.text
    assert "limit" in response.text


@pytest.mark.parametrize("path", ONES)
async def test_any_error_group_is_a_404_to_read_or_archive(alice: Persona, path: str) -> None:
    assert (await alice.get(path)).status_code == 404
    archive = await alice.client.patch(
        path, json={"archivedUntilNextEvent": True}, headers=alice.headers
    )
    assert archive.status_code == 404


@pytest.mark.parametrize("path", LISTS + ONES)
async def test_they_need_an_api_key(alice: Persona, path: str) -> None:
    assert (await alice.client.get(path)).status_code == 401


async def test_a_projects_list_is_empty_and_another_accounts_project_a_404(
    alice: Persona, charlie: Persona
) -> None:
    deployment = await deployed(alice, body(api_check("home", "Home page", "http://127.0.0.1:9/")))
    check_id = physical(deployment["result"]["diff"])["home"]
    check = (await alice.get(f"/v2/checks/{check_id}")).json()
    project_id = check["projectBindings"]["owner"]["project"]["id"]
    path = f"/v1/test-session-error-groups/projects/{project_id}"

    response = await alice.get(path)

    assert response.status_code == 200, response.text
    assert response.json() == []
    assert (await charlie.get(path)).status_code == 404
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        missing = await alice.get(f"/v1/test-session-error-groups/projects/{unknown}")
        assert missing.status_code == 404
        assert missing.json()["message"] == "No such project."
