"""`vantage api-keys list` and `revoke`, run as the operator runs them (a real subprocess) against
the database a running server uses: a revoked key is refused at once."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

import pytest

from tests.support.cli import vantage
from tests.support.harness import running_vantage, settings_for

pytestmark = pytest.mark.e2e


def listed(database_url: str, account_id: str) -> list[dict[str, Any]]:
    done = vantage(
        "api-keys", "list", "--account", account_id, "--json", "--database-url", database_url
    )
    assert done.returncode == 0, done.stderr
    keys: list[dict[str, Any]] = json.loads(done.stdout)
    return keys


def assert_one_line_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.startswith("error: "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr


def create_key(database_url: str, account_id: str) -> str:
    done = vantage(
        "api-keys", "create", "--account", account_id, "--json", "--database-url", database_url
    )
    assert done.returncode == 0, done.stderr
    key: str = json.loads(done.stdout)["apiKey"]
    return key


async def test_keys_are_listed_without_the_key_and_revoked_at_once_down_to_the_last(
    database_url: str,
) -> None:
    async with running_vantage(settings_for(database_url), background=False) as server:
        alice = await server.persona("alice")
        charlie = await server.persona("charlie")
        second = create_key(database_url, alice.account_id)
        third = create_key(database_url, alice.account_id)

        keys = listed(database_url, alice.account_id)
        assert [set(k) for k in keys] == [{"id", "prefix", "created_at"}] * 3
        assert [k["prefix"] for k in keys] == [alice.api_key[:8], second[:8], third[:8]]
        text = vantage("api-keys", "list", "--account", alice.account_id,
                       "--database-url", database_url)  # fmt: skip
        for output in (json.dumps(keys), text.stdout):
            for key in (alice.api_key, second, third):
                assert key not in output
            assert charlie.api_key[:8] not in output
        assert keys[0]["id"] in text.stdout

        raw = {keys[0]["id"]: alice.api_key, keys[1]["id"]: second, keys[2]["id"]: third}
        # by the whole key, by prefix, by id; the last one too
        for ref, revoked, left in [
            (alice.api_key, keys[0], 2), (second[:8], keys[1], 1), (keys[2]["id"], keys[2], 0),
        ]:  # fmt: skip
            headers = {"Authorization": f"Bearer {raw[revoked['id']]}"}
            assert (await alice.get("/v1/checks", headers=headers)).status_code == 200
            done = vantage(
                "api-keys", "revoke", ref, "--account", alice.account_id, "--json",
                "--database-url", database_url,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout) == {**revoked, "remainingKeys": left}
            refused = await alice.get("/v1/checks", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["error"] == "Unauthorized"
            assert ("no API key left" in done.stderr) == (left == 0)
        assert listed(database_url, alice.account_id) == []
        assert (await charlie.get("/v1/checks")).status_code == 200


async def test_another_accounts_key_or_an_unknown_one_is_a_one_line_error(
    database_url: str,
) -> None:
    async with running_vantage(settings_for(database_url), background=False) as server:
        alice = await server.persona("alice")
        charlie = await server.persona("charlie")
        for ref, message in [
            (charlie.api_key[:8], "No API key"),
            (charlie.api_key, "not an API key of account"),
            (str(uuid.uuid4()), "No API key"),
        ]:
            done = vantage(
                "api-keys", "revoke", ref, "--account", alice.account_id,
                "--database-url", database_url,
            )  # fmt: skip
            assert_one_line_error(done, message)
            assert charlie.api_key not in done.stderr
        missing = str(uuid.uuid4())
        for command in (["list"], ["revoke", "x"]):
            done = vantage(
                "api-keys", *command, "--account", missing, "--database-url", database_url
            )
            assert_one_line_error(done, missing)
        # charlie's key was not touched
        assert (await charlie.get("/v1/checks")).status_code == 200
