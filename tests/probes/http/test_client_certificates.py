"""Mutual TLS in the HTTP probe: a job's client certificate is presented to the host it matches,
against a real loopback server that requires one, and to no other host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.targets.mtls_target import Material, MtlsTarget, mtls_target
from vantage.probes.http.client_certs import JOB_KEY, host_matches
from vantage.probes.http.probe import run_api_check


@pytest.fixture(scope="module")
def target() -> Iterator[MtlsTarget]:
    with mtls_target() as t:
        yield t


def check(url: str, *certificates: dict[str, Any], **request: Any) -> dict[str, Any]:
    return {
        "checkType": "API",
        "request": {
            "method": "GET",
            "url": url,
            "assertions": [
                {
                    "source": "JSON_BODY",
                    "property": "$.client",
                    "comparison": "EQUALS",
                    "target": "vantage-probe",
                }
            ],
            **request,
        },
        JOB_KEY: list(certificates),
    }


def entry(material: Material, host: str, passphrase: str | None = None) -> dict[str, Any]:
    return material.body(host, passphrase)


async def test_the_matching_certificate_is_presented(target: MtlsTarget) -> None:
    result = await run_api_check(check(target.url, entry(target.client, "localhost")))
    assert not result.has_failures, result.error


async def test_an_encrypted_key_is_opened_with_its_passphrase(target: MtlsTarget) -> None:
    cert = entry(target.client, f"localhost:{target.port}", passphrase="open sesame")
    result = await run_api_check(check(target.url, cert))
    assert not result.has_failures, result.error


async def test_a_wildcard_or_exact_name_picks_the_certificate(target: MtlsTarget) -> None:
    # the exact name wins over the wildcard's stranger
    both = [entry(target.stranger, "*.localhost"), entry(target.client, "localhost")]
    result = await run_api_check(check(target.url, *both))
    assert not result.has_failures, result.error


async def test_without_a_certificate_for_the_host_the_server_refuses(target: MtlsTarget) -> None:
    elsewhere = entry(target.client, "api.example.test")
    result = await run_api_check(check(target.url, elsewhere))
    assert result.has_failures
    unknown = await run_api_check(check(target.url, entry(target.stranger, "localhost")))
    assert unknown.has_failures


async def test_the_certificates_ca_decides_whom_the_probe_trusts(target: MtlsTarget) -> None:
    # the server's CA is not in the system store: only `ca` (or skipSSL) makes it trusted
    cert = {**entry(target.client, "localhost"), "ca": None}
    assert (await run_api_check(check(target.url, cert))).has_failures
    skipped = await run_api_check(check(target.url, cert, skipSSL=True))
    assert not skipped.has_failures, skipped.error


@pytest.mark.parametrize(
    ("pattern", "host", "port", "matches"),
    [
        ("api.acme.com", "API.acme.com", 443, True),
        ("*.acme.com", "api.acme.com", 443, True),
        ("*.acme.com", "a.b.acme.com", 443, True),
        ("*.acme.com", "acme.com", 443, False),
        ("*.acme.com", "evilacme.com", 443, False),
        ("api.acme.com:8443", "api.acme.com", 8443, True),
        ("api.acme.com:8443", "api.acme.com", 443, False),
    ],
)
def test_host_patterns(pattern: str, host: str, port: int, matches: bool) -> None:
    assert host_matches(pattern, host, port) is matches
