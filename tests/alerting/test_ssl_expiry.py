"""SSL expiry alerts: which certificate a check has, when a channel with `sslExpiry` hears of it
(within its threshold, once per certificate), read from a real TLS server on loopback."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from cryptography import x509

from tests.alerting.flow import channel, outbox, settled
from tests.alerting.receiver import Receiver
from tests.alerting.test_timers_and_sources import deliver
from tests.support.checks import api_check
from tests.support.harness import Harness, Persona
from tests.targets.http_target import HttpTarget
from vantage.alerting.ssl_expiry import (
    Listener,
    Seen,
    SslWatcher,
    domain_of,
    due,
    target_of,
)
from vantage.probes.certificate import days_left

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"request": {"url": "https://api.example.test/health"}}, ("api.example.test", 443)),
        ({"request": {"url": "https://api.example.test:8443/"}}, ("api.example.test", 8443)),
        ({"request": {"url": "http://api.example.test/"}}, None),
        ({"request": {"url": "https://{{HOST}}/"}}, None),
        ({"sslCheckDomain": "shop.example.test"}, ("shop.example.test", 443)),
        (
            {"sslCheckDomain": "shop.example.test:444", "request": {"url": "http://x"}},
            ("shop.example.test", 444),
        ),
        ({"sslCheckDomain": "https://shop.example.test/path"}, ("shop.example.test", 443)),
    ],
)
def test_the_certificate_is_the_ssl_check_domains_else_the_https_urls(
    config: dict[str, object], expected: tuple[str, int] | None
) -> None:
    assert domain_of(config) == expected


RUN_SAW = Seen("internal.example.test", 8443, T0 + timedelta(days=3), T0)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # a URL made of variables: where the runs found the certificate
        ({"request": {"url": "https://{{HOST}}/"}}, ("internal.example.test", 8443)),
        ({"request": {"url": "{{BASE_URL}}/health"}}, ("internal.example.test", 8443)),
        # a host of its own: that one, whatever the runs saw
        ({"request": {"url": "https://api.example.test/"}}, ("api.example.test", 443)),
        ({"sslCheckDomain": "{{HOST}}", "request": {"url": "https://{{HOST}}/"}}, None),
        ({"request": {"url": "http://api.example.test/"}}, None),
    ],
)
def test_a_url_made_of_variables_has_its_certificate_where_the_runs_found_it(
    config: dict[str, object], expected: tuple[str, int] | None
) -> None:
    assert target_of(config, RUN_SAW) == expected
    assert target_of({"request": {"url": "https://{{HOST}}/"}}, None) is None


def test_a_runs_certificate_counts_only_for_the_host_and_port_wanted() -> None:
    assert RUN_SAW.serves(("Internal.Example.Test", 8443))
    assert not RUN_SAW.serves(("internal.example.test", 443))
    assert not RUN_SAW.serves(("other.example.test", 8443))
    assert Seen("xn--bcher-kva.example", 443, T0, T0).serves(("bücher.example", 443))


def test_a_stored_certificate_that_cannot_be_read_is_none() -> None:
    assert Seen.of(None) is None
    assert Seen.of({"host": "h", "port": 443}) is None
    assert Seen.of({"host": "h", "port": 443, "notAfter": "x", "seenAt": "y"}) is None
    stored = {"host": "h", "port": 443, "notAfter": "2027-01-01T00:00:00+00:00"}
    assert Seen.of({**stored, "seenAt": "2026-11-27T12:00:00+00:00"}) == Seen(
        "h", 443, datetime(2027, 1, 1, tzinfo=UTC), T0
    )


def test_days_left_are_whole_days_and_negative_once_expired() -> None:
    assert days_left(T0 + timedelta(days=10, hours=23), T0) == 10
    assert days_left(T0 - timedelta(hours=1), T0) == -1


def test_a_channel_hears_within_its_threshold_and_once_per_certificate() -> None:
    soon = Listener(1, "WEBHOOK", {}, 30)
    late = Listener(2, "WEBHOOK", {}, 7)
    assert due([soon, late], 20, set()) == [soon]
    assert due([soon, late], 7, {1}) == [late]
    assert due([soon, late], 40, set()) == []


def served_expiry(url: str) -> datetime:
    parts = urlsplit(url)
    pem = ssl.get_server_certificate((parts.hostname or "", parts.port or 443))
    return x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc


async def test_an_expiring_certificate_alerts_its_ssl_channels_once(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    wants = await channel(
        alice, "WEBHOOK", {"url": receiver.url + "/ssl"}, sslExpiry=True, sslExpiryThreshold=14
    )
    deaf = await channel(alice, "WEBHOOK", {"url": receiver.url + "/deaf"})
    subs = [{"alertChannelId": c, "activated": True} for c in (wants, deaf)]
    body = api_check(f"{http_target.https_url}/ok", alertChannelSubscriptions=subs)
    created = await alice.post("/v1/checks/api", json=body)
    assert created.status_code == 201, created.text
    not_after = served_expiry(http_target.https_url)
    watcher = SslWatcher(vantage.runtime)

    assert await watcher.run_once(not_after - timedelta(days=20)) == 0  # beyond 14 days
    at = not_after - timedelta(days=10, hours=1)
    assert await watcher.run_once(at) == 1
    assert await watcher.run_once(at + timedelta(hours=1)) == 0  # once per certificate
    await deliver(vantage, at)
    [row] = await settled(vantage, 1)
    assert (row.alert_channel_id, row.alert_type) == (wants, "ALERT_SSL")
    [got] = await receiver.wait_for(1)
    body = got.json()
    assert got.path == "/ssl"
    assert body["ALERT_TYPE"] == "ALERT_SSL" and body["SSL_DAYS_REMAINING"] == 10
    host = urlsplit(http_target.https_url)
    assert body["SSL_CHECK_DOMAIN"] == f"{host.hostname}:{host.port}"
    assert (
        body["ALERT_TITLE"]
        == f"The SSL certificate for {host.hostname}:{host.port} will expire in 10 days"
    )
    window = {"from": int(at.timestamp()) - 60, "to": int(at.timestamp()) + 60}
    path = f"/v1/check-alerts/{created.json()['id']}"
    alerts = (await alice.get(path, params=window)).json()
    assert [a["alertType"] for a in alerts] == ["ALERT_SSL"]


async def test_a_muted_checks_certificate_alerts_nobody(
    vantage: Harness, alice: Persona, http_target: HttpTarget, receiver: Receiver
) -> None:
    wants = await channel(alice, "WEBHOOK", {"url": receiver.url + "/ssl"}, sslExpiry=True)
    body = api_check(
        f"{http_target.https_url}/ok",
        muted=True,
        alertChannelSubscriptions=[{"alertChannelId": wants, "activated": True}],
    )
    assert (await alice.post("/v1/checks/api", json=body)).status_code == 201
    not_after = served_expiry(http_target.https_url)
    assert await SslWatcher(vantage.runtime).run_once(not_after - timedelta(days=1)) == 0
    assert await outbox(vantage) == []
