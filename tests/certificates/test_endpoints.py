"""Client certificates: stored per host, the key sealed at rest and never returned; what is not a
certificate, or a key that does not belong to it, is a 400 naming the field."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import trustme
from cryptography.hazmat.primitives import serialization

from tests.support.harness import Harness, Persona
from vantage.db.tables import client_certificates


def material(passphrase: str | None = None) -> dict[str, Any]:
    ca = trustme.CA()
    leaf = ca.issue_cert("client.example.test")
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()
    return {
        "host": "*.example.test",
        "cert": leaf.cert_chain_pems[0].bytes().decode(),
        "key": key_pem,
        "ca": ca.cert_pem.bytes().decode(),
        **({"passphrase": passphrase} if passphrase else {}),
    }


async def test_a_certificate_is_stored_and_its_key_never_returned(
    vantage: Harness, alice: Persona, charlie: Persona
) -> None:
    body = material(passphrase="open sesame")
    created = await alice.post(
        "/v1/client-certificates", json={**body, "created_at": "0001-01-01T00:00:00Z"}
    )
    assert created.status_code == 201, created.text
    cert = created.json()
    assert set(cert) == {"id", "host", "cert", "ca", "created_at"}
    assert cert["host"] == "*.example.test" and cert["cert"] == body["cert"]
    assert (await alice.get(f"/v1/client-certificates/{cert['id']}")).json() == cert
    assert [c["id"] for c in (await alice.get("/v1/client-certificates")).json()] == [cert["id"]]
    assert (await charlie.get(f"/v1/client-certificates/{cert['id']}")).status_code == 404
    assert (await charlie.get("/v1/client-certificates")).json() == []
    async with vantage.runtime.db.read() as conn:
        row = (await conn.execute(sa.select(client_certificates))).one()
    # The test server has no secrets_key: the key is kept, marked, and opens as sent.
    assert vantage.runtime.sealer.open(row.sealed_key) == body["key"]
    assert vantage.runtime.sealer.open(row.sealed_passphrase) == "open sesame"
    assert (await charlie.delete(f"/v1/client-certificates/{cert['id']}")).status_code == 404
    assert (await alice.delete(f"/v1/client-certificates/{cert['id']}")).status_code == 204
    assert (await alice.get(f"/v1/client-certificates/{cert['id']}")).status_code == 404


async def test_bad_material_is_a_400_naming_the_field(alice: Persona) -> None:
    good = material()
    other = material()
    cases = [
        ({**good, "cert": "not a certificate"}, "cert"),
        ({**good, "ca": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "ca"),
        ({**good, "key": other["key"]}, "key"),
        ({**material(passphrase="right"), "passphrase": "wrong"}, "passphrase"),
        ({k: v for k, v in good.items() if k != "host"}, "host"),
    ]
    for body, key in cases:
        response = await alice.post("/v1/client-certificates", json=body)
        assert response.status_code == 400, (key, response.text)
        assert response.json()["validation"]["keys"] == [key], key
