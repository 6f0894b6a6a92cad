"""Browser sessions expire when idle and at their absolute end; passwords are argon2id."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.harness import Harness, Persona
from tests.support.ui import PASSWORD, add_user
from vantage.db.tables import users
from vantage.timeutil import utcnow
from vantage.users import service


async def test_a_session_ends_after_its_idle_time_and_its_absolute_lifetime(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "alice@example.com")
    now = utcnow()
    async with vantage.runtime.db.write() as conn:
        token = await service.start_session(conn, user.id, now)
        assert await service.session_user(conn, token, now) == (user, False)
        idle = now + service.IDLE
        assert await service.session_user(conn, token, idle) is None
        for hour in range(1, 24 * 8):
            moment = now + hour * (service.IDLE / 24)
            if moment >= now + service.ABSOLUTE:
                break
            await service.touch_session(conn, token, moment)
        assert await service.session_user(conn, token, now + service.ABSOLUTE) is None


async def test_passwords_are_stored_as_argon2id_hashes(vantage: Harness, alice: Persona) -> None:
    await add_user(vantage, alice, "alice@example.com")
    async with vantage.runtime.db.read() as conn:
        stored = await conn.scalar(sa.select(users.c.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_a_disabled_user_cannot_log_in(vantage: Harness, alice: Persona) -> None:
    user = await add_user(vantage, alice, "alice@example.com")
    async with vantage.runtime.db.write() as conn:
        assert await service.authenticate(conn, user.email, PASSWORD) == user
        await conn.execute(users.update().values(disabled=True))
        assert await service.authenticate(conn, user.email, PASSWORD) is None
