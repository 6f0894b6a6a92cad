"""`/v2/check-groups`: Terraform's `checkly_check_group_v2`. A null setting is inherited: the
group's checks keep their own."""

from __future__ import annotations

from typing import Any

from tests.support.checks import api_check
from tests.support.go_sdk import GO_ZERO_TIME
from tests.support.harness import Persona
from tests.support.sessions import create


def group_v2(**fields: Any) -> dict[str, Any]:
    """What `CreateGroupV2` sends for a minimal `checkly_check_group_v2` block."""
    return {
        "name": "TF group v2",
        "activated": True,
        "muted": False,
        "runParallel": None,
        "tags": None,
        "locations": None,
        "concurrency": 3,
        "apiCheckDefaults": {"url": "", "basicAuth": {"username": "", "password": ""}},
        "environmentVariables": None,
        "useGlobalAlertSettings": None,
        "alertSettings": None,
        "setupSnippetId": None,
        "tearDownSnippetId": None,
        "localSetupScript": None,
        "localTearDownScript": None,
        "runtimeId": None,
        "privateLocations": None,
        "retryStrategy": "FALLBACK",
        "createdAt": GO_ZERO_TIME,
        "updatedAt": GO_ZERO_TIME,
        **fields,
    }


async def test_a_v2_group_keeps_its_nulls_and_defaults_double_check_off(alice: Persona) -> None:
    created = await alice.post(
        "/v2/check-groups", params={"autoAssignAlerts": "false"}, json=group_v2()
    )
    assert created.status_code == 201, created.text
    group = created.json()
    assert group["runParallel"] is None
    assert group["useGlobalAlertSettings"] is None and group["alertSettings"] is None
    assert group["doubleCheck"] is False and group["retryStrategy"] == "FALLBACK"
    assert (await alice.get(f"/v1/check-groups/{group['id']}")).json() == group

    updated = await alice.put(
        f"/v2/check-groups/{group['id']}", json=group_v2(name="renamed", runParallel=True)
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "renamed" and updated.json()["runParallel"] is True


async def test_a_checks_own_setting_stands_where_its_v2_group_says_null(alice: Persona) -> None:
    group = (await alice.post("/v2/check-groups", json=group_v2())).json()
    check_id = await create(
        alice, api_check("https://example.test/", groupId=group["id"], runParallel=True)
    )

    effective = await alice.get(f"/v2/check-groups/{group['id']}/checks/{check_id}")

    assert effective.status_code == 200
    assert effective.json()["runParallel"] is True
    listed = await alice.get(f"/v2/check-groups/{group['id']}/checks")
    assert [c["id"] for c in listed.json()] == [check_id]


async def test_a_v1_group_still_decides_run_parallel_for_its_checks(alice: Persona) -> None:
    group = (await alice.post("/v1/check-groups", json={"name": "v1"})).json()
    assert group["runParallel"] is False and group["doubleCheck"] is True
    check_id = await create(
        alice, api_check("https://example.test/", groupId=group["id"], runParallel=True)
    )
    effective = await alice.get(f"/v1/check-groups/{group['id']}/checks/{check_id}")
    assert effective.json()["runParallel"] is False
