"""Checkly's account members API over the web UI's users: listed with Checkly's filters and
pages, given another role, removed (and logged out); another account's are 404s."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.harness import Harness, Persona
from tests.support.ui import add_user
from vantage.db.tables import ui_sessions, users
from vantage.timeutil import utcnow
from vantage.users import service

MEMBER_FIELDS = {
    "type",
    "accountId",
    "userId",
    "name",
    "email",
    "role",
    "status",
    "createdAt",
    "updatedAt",
    "isSupportMembership",
    "ssoEnabled",
    "mfaEnabled",
}


async def test_it_lists_the_accounts_users_as_checkly_members(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    admin = await add_user(vantage, alice, "ada@example.com", role="admin")
    await add_user(vantage, alice, "bo@example.com", role="read-only")
    await add_user(vantage, charlie, "cy@example.com")

    for path in ("/v1/accounts/me/members", f"/v1/accounts/{alice.account_id}/members"):
        answer = await alice.get(path)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["length"], body["nextId"]) == (2, None)
        first, second = body["members"]
        assert set(first) == MEMBER_FIELDS
        assert (first["userId"], first["email"], first["role"]) == (
            admin.id,
            "ada@example.com",
            "ADMIN",
        )
        assert (first["type"], first["status"], first["accountId"]) == (
            "member",
            "ACTIVE",
            alice.account_id,
        )
        assert first["name"] is None and first["updatedAt"] == first["createdAt"]
        assert (second["email"], second["role"]) == ("bo@example.com", "READ_ONLY")


async def test_it_filters_by_search_role_type_and_status(vantage: Harness, alice: Persona) -> None:
    await add_user(vantage, alice, "ada@ops.example.com", role="admin")
    await add_user(vantage, alice, "bo@dev.example.com", role="read-write")

    async def emails(**params: str) -> list[str]:
        answer = await alice.get("/v1/accounts/me/members", params=params)
        assert answer.status_code == 200, answer.text
        return [m["email"] for m in answer.json()["members"]]

    assert await emails(search="OPS") == ["ada@ops.example.com"]
    assert await emails(search="  ") == ["ada@ops.example.com", "bo@dev.example.com"]
    assert await emails(search="%") == []  # a literal percent sign, not a wildcard
    assert await emails(role="READ_WRITE") == ["bo@dev.example.com"]
    assert await emails(role="OWNER") == []
    assert await emails(type="invite") == []
    assert await emails(status="PENDING") == []
    assert await emails(type="member", status="ACTIVE") == [
        "ada@ops.example.com",
        "bo@dev.example.com",
    ]


async def test_it_pages_with_limit_and_next_id(vantage: Harness, alice: Persona) -> None:
    for name in ("a", "b", "c"):
        await add_user(vantage, alice, f"{name}@example.com")

    first = (await alice.get("/v1/accounts/me/members", params={"limit": 2})).json()
    assert [m["email"] for m in first["members"]] == ["a@example.com", "b@example.com"]
    assert first["length"] == 2 and first["nextId"]
    rest = await alice.get(
        "/v1/accounts/me/members", params={"limit": 2, "nextId": first["nextId"]}
    )
    assert [m["email"] for m in rest.json()["members"]] == ["c@example.com"]
    assert rest.json()["nextId"] is None


async def test_it_refuses_a_bad_filter_naming_it(alice: Persona) -> None:
    for params in ({"role": "BOSS"}, {"limit": "0"}, {"limit": "101"}, {"type": "robot"}):
        answer = await alice.get("/v1/accounts/me/members", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["validation"]["keys"] == [next(iter(params))]


async def test_it_gives_a_member_another_role_and_says_when(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "bo@example.com", role="read-only")

    answer = await alice.patch(f"/v1/accounts/me/members/{user.id}", json={"role": "READ_WRITE"})

    assert answer.status_code == 200, answer.text
    member = answer.json()
    assert (member["userId"], member["role"]) == (user.id, "READ_WRITE")
    assert member["updatedAt"] > member["createdAt"]
    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(users.c.role)) == "read-write"


async def test_it_refuses_a_role_vantage_has_not_and_a_bad_body_naming_the_field(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "bo@example.com", role="read-only")
    path = f"/v1/accounts/me/members/{user.id}"

    for body in (
        {"role": "READ_RUN"},
        {"role": "OWNER"},
        {},
        {"role": 3},
        {"role": "ADMIN", "x": 1},
    ):
        answer = await alice.patch(path, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["validation"]["keys"], body
    assert (await alice.patch(path, json={"role": "READ_RUN"})).json()["validation"]["keys"] == [
        "role"
    ]
    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(users.c.role)) == "read-only"


async def test_removing_a_member_deletes_the_user_and_logs_it_out(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "bo@example.com")
    async with vantage.runtime.db.write() as conn:
        await service.start_session(conn, user.id, utcnow())

    answer = await alice.delete(f"/v1/accounts/{alice.account_id}/members/{user.id}")

    assert answer.status_code == 204 and answer.content == b""
    async with vantage.runtime.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(users)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).select_from(ui_sessions)) == 0
    again = await alice.delete(f"/v1/accounts/me/members/{user.id}")
    assert again.status_code == 404


async def test_it_rejects_another_accounts_members_and_account(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    theirs = await add_user(vantage, charlie, "cy@example.com", role="read-only")

    assert (await alice.get(f"/v1/accounts/{charlie.account_id}/members")).status_code == 404
    for path in (
        f"/v1/accounts/me/members/{theirs.id}",
        f"/v1/accounts/{charlie.account_id}/members/{theirs.id}",
    ):
        assert (await alice.patch(path, json={"role": "ADMIN"})).status_code == 404
        assert (await alice.delete(path)).status_code == 404
    async with vantage.runtime.db.read() as conn:
        row = (await conn.execute(sa.select(users.c.role))).one()
    assert row.role == "read-only"


async def test_a_disabled_user_is_not_a_member(vantage: Harness, alice: Persona) -> None:
    user = await add_user(vantage, alice, "bo@example.com")
    async with vantage.runtime.db.write() as conn:
        await conn.execute(users.update().values(disabled=True))

    assert (await alice.get("/v1/accounts/me/members")).json()["members"] == []
    answer = await alice.patch(f"/v1/accounts/me/members/{user.id}", json={"role": "ADMIN"})
    assert answer.status_code == 404
