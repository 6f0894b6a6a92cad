"""`/next/checkly-storage/upload-code-bundle` and `peek-code-bundle`: archives stored by content
hash, each account seeing only its own."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

from tests.support.harness import Harness, Persona
from vantage.bundles import service

UPLOAD = "/next/checkly-storage/upload-code-bundle"
PEEK = "/next/checkly-storage/peek-code-bundle"


def archive(text: str) -> bytes:
    """A gzip tar as the CLI's bundler makes, with one file."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("tests/home.spec.ts")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


async def upload(persona: Persona, data: bytes) -> dict[str, object]:
    response = await persona.post(
        UPLOAD, content=data, headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_an_upload_is_stored_under_the_sha256_of_its_content(
    vantage: Harness, alice: Persona
) -> None:
    data = archive("test('home', async () => {})")

    stored = await upload(alice, data)

    digest = hashlib.sha256(data).hexdigest()
    assert stored == {"key": digest, "checksumSha256": digest, "size": len(data)}
    assert await upload(alice, data) == stored
    async with vantage.runtime.db.read() as conn:
        assert await service.content(conn, alice.account_id, digest) == data


async def test_peek_says_what_is_stored_under_a_key_without_the_content(alice: Persona) -> None:
    data = archive("one")
    key = (await upload(alice, data))["key"]

    response = await alice.post(PEEK, json={"key": key})

    assert response.status_code == 200
    peeked = response.json()
    assert (peeked["key"], peeked["checksumSha256"], peeked["size"]) == (key, key, len(data))
    assert peeked["createdAt"].endswith("Z")


async def test_another_accounts_bundle_is_a_404(alice: Persona, charlie: Persona) -> None:
    key = (await upload(alice, archive("alice's")))["key"]

    assert (await charlie.post(PEEK, json={"key": key})).status_code == 404
    assert (await alice.post(PEEK, json={"key": "0" * 64})).status_code == 404


async def test_a_bad_key_or_an_empty_bundle_is_a_400_naming_the_field(alice: Persona) -> None:
    bad_key = await alice.post(PEEK, json={"key": "../etc/passwd"})
    assert bad_key.status_code == 400
    assert bad_key.json()["validation"]["keys"] == ["key"]
    empty = await alice.post(
        UPLOAD, content=b"", headers={"Content-Type": "application/octet-stream"}
    )
    assert empty.status_code == 400
