"""API keys: shown once, stored only as SHA-256 hashes, any number per account."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from tests.support.harness import Harness, Persona
from vantage.accounts.keys import KEY_PREFIX, generate_key, hash_key
from vantage.accounts.service import account_for_key, create_api_key
from vantage.db.tables import api_keys


async def stored_keys(vantage: Harness) -> list[dict[str, object]]:
    async with vantage.runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(api_keys))).mappings().all()
    return [dict(row) for row in rows]


def test_a_new_key_is_prefixed_and_long() -> None:
    key = generate_key()
    assert key.startswith(KEY_PREFIX)
    assert len(key) >= len(KEY_PREFIX) + 40
    assert generate_key() != key


def test_the_hash_is_sha256_of_the_whole_key() -> None:
    key = generate_key()
    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", hash_key(key))


async def test_no_row_of_the_keys_table_contains_the_key(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    rows = await stored_keys(vantage)
    assert len(rows) == 2
    dump = repr(rows)
    for persona in (alice, charlie):
        assert persona.api_key not in dump
        # not even the secret part without its prefix
        assert persona.api_key.removeprefix(KEY_PREFIX) not in dump
    hashes = {row["key_hash"] for row in rows}
    assert hashes == {
        hashlib.sha256(alice.api_key.encode()).hexdigest(),
        hashlib.sha256(charlie.api_key.encode()).hexdigest(),
    }


async def test_the_stored_prefix_is_too_short_to_use(vantage: Harness, alice: Persona) -> None:
    [row] = [r for r in await stored_keys(vantage) if r["account_id"] == alice.account_id]
    prefix = str(row["prefix"])
    assert alice.api_key.startswith(prefix)
    assert len(prefix) <= len(KEY_PREFIX) + 4


async def test_an_account_can_have_a_second_key_and_both_work(
    vantage: Harness, alice: Persona
) -> None:
    async with vantage.runtime.db.write() as conn:
        second = await create_api_key(conn, alice.account_id)
    assert second != alice.api_key
    for key in (alice.api_key, second):
        response = await alice.get("/v1/checks", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, key


async def test_a_key_resolves_to_its_own_account_only(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    async with vantage.runtime.db.read() as conn:
        mine = await account_for_key(conn, alice.api_key)
        theirs = await account_for_key(conn, charlie.api_key)
        nobody = await account_for_key(conn, generate_key())
    assert mine is not None and mine.id == alice.account_id
    assert theirs is not None and theirs.id == charlie.account_id
    assert nobody is None


async def test_whoami_answers_with_the_keys_account(alice: Persona) -> None:
    me = await alice.get("/next/users/me")
    assert me.status_code == 200
    assert me.json()["id"] == alice.account_id
    account = await alice.get(f"/next/accounts/{alice.account_id}")
    assert account.status_code == 200
    assert account.json()["id"] == alice.account_id
    assert account.json()["name"] == "alice"
