"""A `proxyUrl` stored before proxy URLs were sealed (or kept `plain:` while the server had no
`secrets_key`) is sealed when the server next starts, not left in clear until its location is
next written; its owner still reads it back as sent."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.harness import Persona, running_vantage, settings_for
from vantage.db.tables import locations

PASSWORD = "0ld-pr0xy-pa55"
PROXY = f"http://probe:{PASSWORD}@10.0.0.1:3128"
PROXY_LAB = f"http://lab:{PASSWORD}@10.0.0.2:3128"


async def stored(database_url: str, slug: str) -> str:
    settings = settings_for(database_url, local_agent=False)
    async with running_vantage(settings) as harness, harness.runtime.db.read() as conn:
        value = await conn.scalar(sa.select(locations.c.proxy_url).where(locations.c.slug == slug))
    assert isinstance(value, str)
    return value


async def test_a_proxy_url_stored_in_clear_is_sealed_at_the_next_start(database_url: str) -> None:
    settings = settings_for(database_url, secrets_key="operator's key", local_agent=False)
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        body = {"name": "Office", "slugName": "office", "proxyUrl": PROXY}
        created = await alice.post("/v1/private-locations", json=body)
        assert created.status_code == 201, created.text
        plain = {"name": "Lab", "slugName": "lab", "proxyUrl": PROXY_LAB}
        assert (await alice.post("/v1/private-locations", json=plain)).status_code == 201
        async with harness.runtime.db.write() as conn:
            # As an older Vantage stored them: in clear, and `plain:` (no key at the time).
            await conn.execute(
                sa.update(locations).where(locations.c.slug == "office").values(proxy_url=PROXY)
            )
            await conn.execute(
                sa.update(locations)
                .where(locations.c.slug == "lab")
                .values(proxy_url="plain:" + PROXY_LAB)
            )

    async with running_vantage(settings) as harness:
        async with harness.runtime.db.read() as conn:
            rows = (await conn.execute(sa.select(locations.c.proxy_url))).scalars().all()
        sealed = [value for value in rows if value]
        assert len(sealed) == 2
        assert all(value.startswith("v1:") and PASSWORD not in value for value in sealed)
        alice = Persona(alice.account_id, alice.api_key, harness.client)
        path = f"/v1/private-locations/{created.json()['id']}"
        assert (await alice.get(path)).json()["proxyUrl"] == PROXY


async def test_without_a_key_a_clear_proxy_url_is_marked_plain(database_url: str) -> None:
    async with running_vantage(settings_for(database_url, local_agent=False)) as harness:
        alice = await harness.persona("alice")
        body = {"name": "Office", "slugName": "office", "proxyUrl": PROXY}
        assert (await alice.post("/v1/private-locations", json=body)).status_code == 201
        async with harness.runtime.db.write() as conn:
            await conn.execute(sa.update(locations).values(proxy_url=PROXY))
    # Marked, so that it is sealed once a key is set; a `plain:` value is left as it is.
    assert await stored(database_url, "office") == "plain:" + PROXY
    assert await stored(database_url, "office") == "plain:" + PROXY
