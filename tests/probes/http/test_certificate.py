"""An HTTPS run keeps the certificate its own TLS handshake was served (host, port, expiry,
subject, issuer), read from that connection once per run; it travels with the result as an
optional field, so an agent that predates it still delivers."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509

from tests.probes.http.test_client_certificates import check as mtls_check
from tests.probes.http.test_client_certificates import entry
from tests.probes.http.test_proxy import AUTH, through, tls_proxy, with_credentials
from tests.targets.http_target import HttpTarget
from tests.targets.mtls_target import mtls_target
from tests.targets.proxy_target import ProxyTarget
from tests.targets.tls_target import expiring_target
from vantage.probes.certificate import PeerCertificate
from vantage.probes.http.probe import run_api_check
from vantage.probes.serialize import from_json, to_json

__all__ = ["tls_proxy"]  # a fixture of the proxy tests, used here too


def api(url: str, **request: Any) -> dict[str, Any]:
    return {"checkType": "API", "request": {"method": "GET", "url": url, **request}}


def served(url: str) -> x509.Certificate:
    parts = urlsplit(url)
    pem = ssl.get_server_certificate((parts.hostname or "", parts.port or 443))
    return x509.load_pem_x509_certificate(pem.encode())


async def test_an_https_run_keeps_the_certificate_it_was_served_from_its_one_connection(
    http_target: HttpTarget,
) -> None:
    with expiring_target(days=5) as target:
        result = await run_api_check(
            api(f"{target.url}/ok"), ssl_context=target.server.client_context()
        )
        assert not result.has_failures, result.error
        assert target.server.accepted == 1  # the run's own connection, no other
        cert = served(target.url)

    assert result.certificate == PeerCertificate(
        host="127.0.0.1",
        port=target.port,
        not_after=target.not_after,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
    )
    assert "trustme" in result.certificate.issuer


async def test_a_skip_ssl_run_of_a_self_signed_host_keeps_its_certificate_too(
    http_target: HttpTarget,
) -> None:
    result = await run_api_check(api(f"{http_target.self_signed_url}/ok", skipSSL=True))
    assert not result.has_failures, result.error
    assert result.certificate is not None
    assert result.certificate.not_after == served(http_target.self_signed_url).not_valid_after_utc


async def test_a_plain_http_run_has_no_certificate(http_target: HttpTarget) -> None:
    result = await run_api_check(api(f"{http_target.base_url}/ok"))
    assert not result.has_failures, result.error
    assert result.certificate is None


async def test_a_run_that_fails_after_its_handshake_still_keeps_the_certificate(
    http_target: HttpTarget,
) -> None:
    check = api(f"{http_target.self_signed_url}/slow?ms=3000", skipSSL=True)
    result = await run_api_check(check, timeout_s=0.5)
    assert result.has_failures and result.network_error
    assert result.certificate is not None


async def test_a_run_whose_handshake_fails_has_no_certificate(http_target: HttpTarget) -> None:
    result = await run_api_check(api(f"{http_target.untrusted_url}/ok"))
    assert result.has_failures
    assert result.certificate is None


async def test_through_an_https_proxy_the_certificate_is_the_targets_not_the_proxys(
    http_target: HttpTarget, tls_proxy: ProxyTarget, ca_context: ssl.SSLContext
) -> None:
    url = f"{http_target.https_url}/ok"
    result = await run_api_check(through(url, with_credentials(tls_proxy)), ssl_context=ca_context)
    assert not result.has_failures, result.error
    assert tls_proxy.seen[0][2] == AUTH
    assert result.certificate is not None
    assert result.certificate.port == urlsplit(url).port
    assert result.certificate.subject == served(url).subject.rfc4514_string()
    assert result.certificate.subject != served(tls_proxy.url).subject.rfc4514_string()


async def test_the_certificate_travels_with_the_result_and_an_older_agents_result_has_none(
    http_target: HttpTarget,
) -> None:
    result = await run_api_check(api(f"{http_target.self_signed_url}/ok", skipSSL=True))
    wire = to_json(result)
    assert wire["certificate"]["notAfter"].endswith("+00:00")
    assert from_json(wire) == result

    older = {k: v for k, v in wire.items() if k != "certificate"}
    assert from_json(older).certificate is None
    assert "certificate" not in to_json(from_json(older))


@pytest.mark.parametrize(
    ("certificate", "field"),
    [
        ("x", "certificate"),
        ({"host": "", "port": 443, "notAfter": "2030-01-01T00:00:00Z"}, "certificate.host"),
        ({"host": "h", "port": 0, "notAfter": "2030-01-01T00:00:00Z"}, "certificate.port"),
        ({"host": "h", "port": True, "notAfter": "2030-01-01T00:00:00Z"}, "certificate.port"),
        ({"host": "h", "port": 443, "notAfter": "2030-01-01T00:00:00"}, "certificate.notAfter"),
        ({"host": "h", "port": 443, "notAfter": "soon"}, "certificate.notAfter"),
        (
            {"host": "h", "port": 443, "notAfter": "2030-01-01T00:00:00Z", "subject": 1},
            "certificate.subject",
        ),
    ],
)
async def test_a_malformed_certificate_is_refused_naming_its_field(
    http_target: HttpTarget, certificate: Any, field: str
) -> None:
    wire = to_json(await run_api_check(api(f"{http_target.base_url}/ok")))
    with pytest.raises(ValueError, match=f'"{field}"'):
        from_json({**wire, "certificate": certificate})


async def test_a_run_whose_client_certificate_the_server_refuses_fails_as_before(
    http_target: HttpTarget,
) -> None:
    # TLS 1.3: the server refuses the client's certificate after the client's handshake is done;
    # the broken session may have no certificate left to give: the run is the TLS failure it
    # always was, never a crash of the probe.
    with mtls_target() as target:
        result = await run_api_check(mtls_check(target.url, entry(target.stranger, "localhost")))
    assert result.has_failures and result.error  # "unknown ca" or a reset, as timing has it
    assert not result.has_errors
