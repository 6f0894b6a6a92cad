"""Secrets stored `plain:` while the server had no `secrets_key` are sealed when it next starts
with one (vantage.resealing), through the real startup path: every kind, in place, opening to the
value that was sent, and read back by their owner as before; values that are not secret stay as
typed, even one that begins with `plain:`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.certificates.test_endpoints import material
from tests.dashboards.test_dashboards import GO_DASHBOARD
from tests.statuspages.test_api import page, service
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from vantage.db.tables import (
    check_groups,
    checks,
    client_certificates,
    dashboards,
    locations,
    status_pages,
    variables,
)
from vantage.sealing import Sealer

KEY = "operator's key"
SECRET = "s3cret-t0ken-value"
TYPED = "plain:as typed"
PROXY = "http://probe:pr0xy-pa55@10.0.0.1:3128"


async def seed(alice: Persona) -> dict[str, Any]:
    """One of each kind of secret, and values that are not secret, written through the API."""
    answers = {
        "variable": await alice.post(
            "/v1/variables", json={"key": "TOKEN", "value": SECRET, "secret": True}
        ),
        "open variable": await alice.post("/v1/variables", json={"key": "NOTE", "value": TYPED}),
        "group": await alice.post(
            "/v1/check-groups",
            json={
                "name": "Secret group",
                "environmentVariables": [{"key": "GROUP_TOKEN", "value": SECRET, "secret": True}],
            },
        ),
        "check": await alice.post(
            "/v1/checks/api",
            json=api_check(
                "http://127.0.0.1:9/",
                activated=False,
                environmentVariables=[
                    {"key": "CHECK_TOKEN", "value": SECRET, "secret": True},
                    {"key": "SHOWN", "value": TYPED},
                ],
            ),
        ),
        "certificate": await alice.post(
            "/v1/client-certificates", json=material(passphrase=SECRET)
        ),
        "location": await alice.post(
            "/v1/private-locations",
            json={"name": "Office", "slugName": "office", "proxyUrl": PROXY},
        ),
        "dashboard": await alice.post(
            "/v1/dashboards",
            json=GO_DASHBOARD | {"customDomain": None, "customUrl": "acme", "isPrivate": True},
        ),
    }
    for name, answer in answers.items():
        assert answer.status_code == 201, (name, answer.text)
    payments = await service(alice, "Payments API")
    cards = [{"name": "Core", "services": [{"id": payments["id"]}]}]
    status_page = await page(
        alice, {"name": "Acme", "url": "acme-status", "cards": cards, "isPrivate": True}
    )
    return {
        **{name: answer.json() for name, answer in answers.items()},
        "status page": status_page,
    }


async def stored_secrets(vantage: Harness) -> list[str]:
    """Every secret as stored, wherever it is kept."""
    async with vantage.runtime.db.read() as conn:
        out = list(
            (await conn.execute(sa.select(variables.c.value).where(variables.c.secret))).scalars()
        )
        for table in (checks, check_groups):
            for config in (await conn.execute(sa.select(table.c.config))).scalars():
                out += [v["value"] for v in config["environmentVariables"] if v["secret"]]
        for row in await conn.execute(
            sa.select(client_certificates.c.sealed_key, client_certificates.c.sealed_passphrase)
        ):
            out += [row.sealed_key, row.sealed_passphrase]
        for table in (dashboards, status_pages):
            for config in (await conn.execute(sa.select(table.c.config))).scalars():
                out += [k["sealedKey"] for k in config["viewerKeys"]]
        out += [
            url for url in (await conn.execute(sa.select(locations.c.proxy_url))).scalars() if url
        ]
    return out


async def shown_values(vantage: Harness) -> list[str]:
    async with vantage.runtime.db.read() as conn:
        note = await conn.scalar(sa.select(variables.c.value).where(variables.c.key == "NOTE"))
        (config,) = (await conn.execute(sa.select(checks.c.config))).scalars()
    return [note, *[v["value"] for v in config["environmentVariables"] if not v["secret"]]]


async def test_every_plain_secret_is_sealed_at_the_first_start_with_a_key(
    database_url: str,
) -> None:
    without_key = settings_for(database_url, local_agent=False)
    async with running_vantage(without_key) as vantage:
        alice = await vantage.persona("alice")
        seeded = await seed(alice)
        before = await stored_secrets(vantage)
    assert len(before) == 8 and all(value.startswith("plain:") for value in before)

    async with running_vantage(settings_for(database_url, secrets_key=KEY, local_agent=False)) as (
        vantage
    ):
        after = await stored_secrets(vantage)
        alice = Persona(alice.account_id, alice.api_key, vantage.client)
        dashboard = await alice.get(f"/v1/dashboards/{seeded['dashboard']['dashboardId']}")
        location = await alice.get(f"/v1/private-locations/{seeded['location']['id']}")
        status_page = await alice.get(f"/v1/status-pages/{seeded['status page']['id']}")
        shown = await shown_values(vantage)

    assert len(after) == 8 and all(value.startswith("v1:") for value in after)
    opened = [Sealer(KEY).open(value) for value in after]
    assert opened == [Sealer(None).open(value) for value in before]
    assert all(SECRET not in value for value in after)
    # Their owner reads back what was sent, as before.
    assert dashboard.json()["keys"] == seeded["dashboard"]["keys"]
    assert status_page.json()["keys"] == seeded["status page"]["keys"]
    assert location.json()["proxyUrl"] == PROXY
    # Values that are not secret are left as typed.
    assert shown == [TYPED, TYPED]


async def test_without_a_key_plain_secrets_stay_as_they_are(database_url: str) -> None:
    settings = settings_for(database_url, local_agent=False)
    async with running_vantage(settings) as vantage:
        await seed(await vantage.persona("alice"))
        before = await stored_secrets(vantage)

    async with running_vantage(settings) as vantage:
        assert await stored_secrets(vantage) == before
