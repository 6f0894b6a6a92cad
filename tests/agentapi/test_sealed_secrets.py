"""With the operator's secrets_key, a run's client-certificate key and its location's proxy
password are sealed in the locations table and in the job stored in the jobs table; the agent the
job is leased to gets them opened, the run uses them, and no log line or result shows them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support.checks import api_check
from tests.support.harness import Harness, running_vantage, settings_for
from tests.support.sessions import create, run
from tests.targets.mtls_target import MtlsTarget, mtls_target
from vantage.db.tables import jobs, locations
from vantage.probes.http.client_certs import JOB_KEY
from vantage.probes.http.probe import PROXY_KEY

PASSWORD = "pr0xy-pa55word"
PROXY = f"http://probe:{PASSWORD}@10.0.0.1:3128"
PASSPHRASE = "cert-pa55phrase"


@pytest.fixture(scope="module")
def target() -> Iterator[MtlsTarget]:
    with mtls_target() as t:
        yield t


async def stored_jobs(harness: Harness) -> str:
    async with harness.runtime.db.read() as conn:
        configs = (await conn.scalars(sa.select(jobs.c.config))).all()
    return json.dumps(configs)


def mutual_check(target: MtlsTarget, **fields: object) -> dict[str, object]:
    assertion = {
        "source": "JSON_BODY",
        "property": "$.client",
        "comparison": "EQUALS",
        "target": "vantage-probe",
    }
    return api_check(target.url, request={"assertions": [assertion]}, **fields)


async def test_a_certificate_key_is_sealed_in_the_job_and_opened_for_the_run(
    database_url: str, target: MtlsTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(database_url, secrets_key="operator's key")
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        body = target.client.body("localhost", passphrase=PASSPHRASE)
        assert (await alice.post("/v1/client-certificates", json=body)).status_code == 201

        # a run in a location no agent serves yet: its job waits in the jobs table
        office = await alice.post(
            "/v1/private-locations", json={"name": "Office", "slugName": "office"}
        )
        waiting = await create(alice, mutual_check(target, locations=["office"]))
        started = await alice.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [waiting]}}
        )
        assert started.status_code == 201, started.text
        stored = await stored_jobs(harness)
        assert JOB_KEY in stored and '"v1:' in stored
        assert "PRIVATE KEY" not in stored and PASSPHRASE not in stored
        leased = await alice.client.post(
            "/agent/v1/lease",
            json={"agentId": "a1", "location": "office", "max": 5},
            headers={"Authorization": f"Bearer {office.json()['keys'][0]['rawKey']}"},
        )
        [job] = leased.json()["jobs"]
        [certificate] = job["config"][JOB_KEY]
        assert certificate["key"] == body["key"] and certificate["passphrase"] == PASSPHRASE
        assert "PRIVATE KEY" not in await stored_jobs(harness)

        # the embedded agent's run presents it, and no answer about the run shows it
        check_id = await create(alice, mutual_check(target))
        session = await run(alice, check_id)
        assert session["status"] == "PASSED", json.dumps(session)
        results = await alice.get(f"/v1/check-results/{check_id}")
        for listed in results.json():
            detail = await alice.get(f"/v1/check-results/{check_id}/{listed['id']}")
            assert "PRIVATE KEY" not in detail.text and PASSPHRASE not in detail.text
    logged = capsys.readouterr().out
    assert "PRIVATE KEY" not in logged and PASSPHRASE not in logged


async def test_a_proxy_password_is_sealed_at_rest_and_opened_in_the_lease(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(database_url, secrets_key="operator's key")
    async with running_vantage(settings) as harness:
        alice = await harness.persona("alice")
        created = await alice.post(
            "/v1/private-locations",
            json={"name": "Office", "slugName": "office", "proxyUrl": PROXY},
        )
        assert created.status_code == 201, created.text
        # its owner reads it back as sent (Terraform compares it with its state)
        assert created.json()["proxyUrl"] == PROXY
        path = f"/v1/private-locations/{created.json()['id']}"
        assert (await alice.get(path)).json()["proxyUrl"] == PROXY
        [listed] = (await alice.get("/v1/private-locations")).json()
        assert listed["proxyUrl"] == PROXY
        async with harness.runtime.db.read() as conn:
            at_rest = await conn.scalar(
                sa.select(locations.c.proxy_url).where(locations.c.slug == "office")
            )
        assert at_rest is not None and at_rest.startswith("v1:") and PASSWORD not in at_rest

        check = await alice.post(
            "/v1/checks/api", json=api_check("http://127.0.0.1:9/ok", locations=["office"])
        )
        started = await alice.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [check.json()["id"]]}}
        )
        assert started.status_code == 201, started.text
        stored = await stored_jobs(harness)
        assert PROXY_KEY in stored and PASSWORD not in stored

        leased = await alice.client.post(
            "/agent/v1/lease",
            json={"agentId": "a1", "location": "office", "max": 5},
            headers={"Authorization": f"Bearer {created.json()['keys'][0]['rawKey']}"},
        )
        [job] = leased.json()["jobs"]
        assert job["config"][PROXY_KEY] == PROXY
        # leasing it did not write it back opened
        assert PASSWORD not in await stored_jobs(harness)

        updated = await alice.put(path, json={"name": "Office", "proxyUrl": PROXY + "/"})
        assert updated.status_code == 200 and updated.json()["proxyUrl"] == PROXY + "/"
        async with harness.runtime.db.read() as conn:
            at_rest = await conn.scalar(
                sa.select(locations.c.proxy_url).where(locations.c.slug == "office")
            )
        assert at_rest is not None and PASSWORD not in at_rest
    assert PASSWORD not in capsys.readouterr().out
