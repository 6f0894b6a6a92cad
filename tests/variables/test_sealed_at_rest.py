"""With the operator's secrets_key, a secret variable of a check or a group is sealed in the stored
config like the account's, and a run still sends its value."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, running_vantage, settings_for
from tests.support.sessions import create, run
from tests.targets.http_target import HttpTarget
from vantage.db.tables import check_groups, checks

CHECK_SECRET = "check-secret-0451"
GROUP_SECRET = "group-secret-2187"


async def _stored(harness: Harness, table: sa.Table, key: Any) -> dict[str, Any]:
    async with harness.runtime.db.read() as conn:
        config = await conn.scalar(sa.select(table.c.config).where(table.c.id == key))
    assert config is not None
    return {v["key"]: v["value"] for v in config["environmentVariables"]}


async def test_check_and_group_secrets_are_sealed_at_rest_and_opened_for_a_run(
    database_url: str, http_target: HttpTarget
) -> None:
    settings = settings_for(database_url, secrets_key="operator's key")
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        group = await alice.post(
            "/v1/check-groups",
            json={
                "name": "g",
                "environmentVariables": [
                    {"key": "GROUP_TOKEN", "value": GROUP_SECRET, "secret": True}
                ],
            },
        )
        group_id = group.json()["id"]
        payload = api_check(
            f"{http_target.base_url}/echo",
            groupId=group_id,
            environmentVariables=[
                {"key": "CHECK_TOKEN", "value": CHECK_SECRET, "secret": True},
                {"key": "PLAIN", "value": "visible"},
            ],
            request={
                "headers": [
                    {"key": "X-Check", "value": "{{CHECK_TOKEN}}"},
                    {"key": "X-Group", "value": "{{GROUP_TOKEN}}"},
                ],
                "assertions": [
                    {
                        "source": "JSON_BODY",
                        "property": "$.headers.x-check",
                        "comparison": "CONTAINS",
                        "target": CHECK_SECRET[3:],
                    },
                    {
                        "source": "JSON_BODY",
                        "property": "$.headers.x-group",
                        "comparison": "CONTAINS",
                        "target": GROUP_SECRET[3:],
                    },
                ],
            },
        )
        check_id = await create(alice, payload)
        stored_check = await _stored(harness, checks, check_id)
        stored_group = await _stored(harness, check_groups, group_id)
        assert stored_check["PLAIN"] == "visible"
        for sealed, secret in (
            (stored_check["CHECK_TOKEN"], CHECK_SECRET),
            (stored_group["GROUP_TOKEN"], GROUP_SECRET),
        ):
            assert sealed.startswith("v1:") and secret not in sealed

        session = await run(alice, check_id)
        assert session["status"] == "PASSED", json.dumps(session)

        # An edit that leaves the variables alone, and a GET sent back as it was read, keep the
        # sealed value as it is (not sealed twice, not erased).
        path = f"/v1/checks/{check_id}"
        assert (await alice.put(path, json={"name": "renamed"})).status_code == 200
        read = (await alice.get(path)).json()
        assert (await alice.put(path, json=read)).status_code == 200
        assert await _stored(harness, checks, check_id) == stored_check
        assert (await run(alice, check_id))["status"] == "PASSED"
