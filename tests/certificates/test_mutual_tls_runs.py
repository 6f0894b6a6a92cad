"""A stored client certificate is what an API check's run presents to a real loopback server that
requires one: the run passes with it, fails without it, and another account's certificate is never
presented."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.support.sessions import create, run
from tests.targets.mtls_target import MtlsTarget, mtls_target


@pytest.fixture(scope="module")
def target() -> Iterator[MtlsTarget]:
    with mtls_target() as t:
        yield t


def mutual_check(target: MtlsTarget) -> dict[str, object]:
    return api_check(
        target.url,
        request={
            "assertions": [
                {
                    "source": "JSON_BODY",
                    "property": "$.client",
                    "comparison": "EQUALS",
                    "target": "vantage-probe",
                }
            ]
        },
    )


async def test_a_run_presents_the_accounts_certificate_for_the_host(
    alice: Persona, charlie: Persona, target: MtlsTarget
) -> None:
    check_id = await create(alice, mutual_check(target))
    without = await run(alice, check_id)
    assert without["status"] == "FAILED", json.dumps(without)

    # another account's certificate for the same host is not alice's
    other = await charlie.post(
        "/v1/client-certificates", json=target.client.body("localhost", passphrase="pw")
    )
    assert other.status_code == 201, other.text
    assert (await run(alice, check_id))["status"] == "FAILED"

    created = await alice.post(
        "/v1/client-certificates", json=target.client.body("localhost", passphrase="pw")
    )
    assert created.status_code == 201, created.text
    with_cert = await run(alice, check_id)
    assert with_cert["status"] == "PASSED", json.dumps(with_cert)
    # the key is in no answer about the run
    results = await alice.get(f"/v1/check-results/{check_id}")
    for listed in results.json():
        detail = await alice.get(f"/v1/check-results/{check_id}/{listed['id']}")
        assert "PRIVATE KEY" not in detail.text and "BEGIN CERTIFICATE" not in detail.text

    assert (
        await alice.delete(f"/v1/client-certificates/{created.json()['id']}")
    ).status_code == 204
    assert (await run(alice, check_id))["status"] == "FAILED"
