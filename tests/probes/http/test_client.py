from __future__ import annotations

import asyncio
import json
import socket
import ssl

import pytest
import uvloop

from tests.targets.http_target import HttpTarget
from vantage.probes.http import client
from vantage.probes.http.client import HttpRequestSpec, HttpResponse, RawHttpProbe
from vantage.probes.http.errors import (
    ConnectionReset,
    ConnectRefused,
    DnsError,
    InvalidRequest,
    ProbeTimeout,
    ProtocolError,
    TlsError,
    TooManyRedirects,
)

probe = RawHttpProbe()


async def get(url: str, **kwargs: object) -> HttpResponse:
    return await probe.request(HttpRequestSpec(url=url, **kwargs))  # type: ignore[arg-type]


async def test_it_gets_a_json_response(base_url: str) -> None:
    resp = await get(f"{base_url}/ok")
    assert resp.status == 200
    assert resp.reason == "OK"
    assert json.loads(resp.body) == {"ok": True}
    assert resp.header("Content-Type") == "application/json"
    assert resp.truncated is False
    assert resp.remote_address.startswith("127.0.0.1:")


async def test_timings_are_present_and_ordered(base_url: str) -> None:
    resp = await get(f"{base_url}/slow-body?ms=50")
    t = resp.timings.node_timings()
    assert 0 <= t["socket"] <= t["lookup"] <= t["connect"] <= t["response"] <= t["end"]
    phases = resp.timings.node_phases()
    assert set(phases) == {"wait", "dns", "tcp", "tls", "firstByte", "download", "total"}
    assert phases["download"] >= 45
    assert phases["total"] == t["end"]
    assert phases["tls"] == 0.0


async def test_first_and_last_byte_come_from_kernel_timestamps(base_url: str) -> None:
    resp = await get(f"{base_url}/hold?ms=40")
    timings = resp.timings
    assert timings.kernel_stamped
    held_ms = float(resp.header("X-Held-Ms") or "nan")
    assert resp.header("X-Held-Clock") == "kernel"
    # the target held the request ~40 ms between its kernel receive and its send; what we
    # measure from our send to our kernel receive can only be a little longer
    first_byte = timings.node_phases()["firstByte"]
    assert held_ms <= first_byte < held_ms + 20
    # the user-space clock is recorded too, and is never earlier than the kernel's
    user_first = timings.first_byte(user=True)
    kernel_first = timings.first_byte()
    assert user_first is not None and kernel_first is not None
    assert user_first >= kernel_first - 0.001


async def test_it_sends_method_headers_query_and_body(base_url: str) -> None:
    resp = await get(
        f"{base_url}/echo?fixed=1",
        method="POST",
        headers=[("X-Trace", "abc"), ("Content-Type", "application/json")],
        params=[("q", "a b"), ("n", "2")],
        body=b'{"hello":"world"}',
    )
    echo = json.loads(resp.body)
    assert echo["method"] == "POST"
    assert echo["body"] == '{"hello":"world"}'
    assert echo["contentType"] == "application/json"
    assert echo["query"] == {"fixed": "1", "q": "a b", "n": "2"}
    assert echo["headers"]["x-trace"] == "abc"
    assert echo["headers"]["connection"] == "close"
    assert echo["headers"]["host"] == base_url.removeprefix("http://")


async def test_it_sends_basic_auth(base_url: str) -> None:
    resp = await get(f"{base_url}/echo", basic_auth=("alice", "s3cret"))
    assert json.loads(resp.body)["auth"] == {"username": "alice", "password": "s3cret"}


async def test_head_requests_do_not_wait_for_a_body(base_url: str) -> None:
    resp = await get(f"{base_url}/ok", method="HEAD", timeout_s=2.0)
    assert resp.status == 200
    assert resp.body == b""


async def test_it_reads_chunked_and_close_delimited_bodies(base_url: str) -> None:
    assert (await get(f"{base_url}/chunked")).body == b'{"chunked":true}'
    assert (await get(f"{base_url}/close-delimited")).body == b"until close"


async def test_it_follows_redirects_and_times_each_hop(base_url: str) -> None:
    resp = await get(f"{base_url}/redirect/3")
    assert resp.status == 200
    assert resp.url == f"{base_url}/redirect/0"
    assert [hop.status for hop in resp.hops] == [302, 302, 302]
    assert [hop.location for hop in resp.hops] == ["/redirect/2", "/redirect/1", "/redirect/0"]
    assert all(hop.timings.total_s() > 0 for hop in resp.hops)


async def test_it_does_not_follow_redirects_when_told_not_to(base_url: str) -> None:
    resp = await get(f"{base_url}/redirect/3", follow_redirects=False)
    assert resp.status == 302
    assert resp.header("location") == "/redirect/2"
    assert resp.hops == []


async def test_it_gives_up_after_ten_redirects(base_url: str) -> None:
    with pytest.raises(TooManyRedirects, match="Redirected 10 times"):
        await get(f"{base_url}/redirect/11")
    assert (await get(f"{base_url}/redirect/10")).status == 200


async def test_a_303_turns_a_post_into_a_get(base_url: str) -> None:
    resp = await get(f"{base_url}/redirect-to?status=303&url=/echo", method="POST", body=b"payload")
    echo = json.loads(resp.body)
    assert echo["method"] == "GET"
    assert echo["body"] == ""


async def test_a_307_keeps_the_method_and_body(base_url: str) -> None:
    resp = await get(f"{base_url}/redirect-to?status=307&url=/echo", method="PUT", body=b"payload")
    echo = json.loads(resp.body)
    assert (echo["method"], echo["body"]) == ("PUT", "payload")


async def test_credentials_are_not_sent_to_another_origin(
    base_url: str, http_target: HttpTarget
) -> None:
    other = f"http://localhost:{http_target.port}/echo"
    resp = await get(f"{base_url}/redirect-to?url={other}", basic_auth=("alice", "s3cret"))
    assert json.loads(resp.body)["auth"] is None


async def test_it_caps_the_body_and_says_it_was_truncated(base_url: str) -> None:
    resp = await get(f"{base_url}/big?size=2000000")
    assert len(resp.body) == 1024 * 1024
    assert resp.truncated is True
    small = await get(f"{base_url}/big?size=1000", max_body_bytes=100)
    assert (len(small.body), small.truncated) == (100, True)


async def test_it_times_out_waiting_for_the_response(base_url: str) -> None:
    with pytest.raises(ProbeTimeout) as info:
        await get(f"{base_url}/slow?ms=2000", timeout_s=0.2)
    assert str(info.value) == "Timeout awaiting 'response' for 200ms"
    assert info.value.phase == "response"
    timings = info.value.timings
    assert timings is not None and timings.connect is not None
    assert 190 <= timings.total_s() * 1000 < 1000


async def test_it_times_out_while_reading_a_slow_body(base_url: str) -> None:
    with pytest.raises(ProbeTimeout, match="Timeout awaiting 'read' for 150ms"):
        await get(f"{base_url}/slow-body?ms=2000", timeout_s=0.15)


async def test_a_cancellation_landing_with_the_timeout_is_not_taken_for_it(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The agent stops (cancels the run) in the very loop turn the probe's own timer fires.
    def expire_and_stop(task: asyncio.Task[HttpResponse], state: client._Exchange) -> None:
        expire(task, state)
        task.cancel()

    expire = client._expire
    monkeypatch.setattr(client, "_expire", expire_and_stop)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(get(f"{base_url}/slow?ms=1000", timeout_s=0.05))


async def test_a_timeout_leaves_the_calling_task_usable(base_url: str) -> None:
    with pytest.raises(ProbeTimeout):
        await get(f"{base_url}/slow?ms=1000", timeout_s=0.05)
    await asyncio.sleep(0.01)  # would raise CancelledError if the cancel leaked
    assert (await get(f"{base_url}/ok")).status == 200


async def test_it_fails_on_refused_connection() -> None:
    with pytest.raises(ConnectRefused, match=r"^connect ECONNREFUSED 127\.0\.0\.1:1$") as info:
        await get("http://127.0.0.1:1/")
    assert info.value.code == "ECONNREFUSED"
    assert info.value.network is True


async def test_it_fails_on_an_unknown_host() -> None:
    with pytest.raises(DnsError) as info:
        await get("http://nosuch.invalid/")
    assert str(info.value) in (
        "getaddrinfo ENOTFOUND nosuch.invalid",
        "getaddrinfo EAI_AGAIN nosuch.invalid",
    )


async def test_it_resolves_host_names(http_target: HttpTarget) -> None:
    resp = await get(f"http://localhost:{http_target.port}/ok")
    assert resp.status == 200
    assert resp.timings.lookup is not None


async def test_it_fails_when_the_server_resets_the_connection(base_url: str) -> None:
    with pytest.raises(ConnectionReset, match="ECONNRESET|socket hang up"):
        await get(f"{base_url}/reset")


async def test_it_fails_on_a_response_that_is_not_http(base_url: str) -> None:
    with pytest.raises(ProtocolError, match="Parse Error"):
        await get(f"{base_url}/garbage")


async def test_it_refuses_urls_it_cannot_request() -> None:
    with pytest.raises(InvalidRequest, match="Invalid URL"):
        await get("ftp://example.invalid/")
    with pytest.raises(InvalidRequest):
        await get("http://127.0.0.1:1/", headers=[("X-Evil", "a\r\nInjected: 1")])


async def test_it_speaks_tls_to_a_server_the_given_ca_trusts(
    http_target: HttpTarget, ca_context: ssl.SSLContext
) -> None:
    resp = await get(f"{http_target.https_url}/json", ssl_context=ca_context)
    assert resp.status == 200
    assert json.loads(resp.body)["status"] == "up"
    phases = resp.timings.node_phases()
    assert phases["tls"] > 0
    assert resp.timings.kernel_stamped


async def test_it_checks_the_host_name_on_the_certificate(
    http_target: HttpTarget, ca_context: ssl.SSLContext
) -> None:
    url = http_target.https_url.replace("127.0.0.1", "localhost")
    assert (await get(f"{url}/ok", ssl_context=ca_context)).status == 200


async def test_an_untrusted_certificate_fails_with_a_tls_error(
    http_target: HttpTarget, ca_context: ssl.SSLContext
) -> None:
    with pytest.raises(TlsError, match="unable to get local issuer certificate") as info:
        await get(f"{http_target.untrusted_url}/ok", ssl_context=ca_context)
    assert info.value.timings is not None
    assert info.value.timings.node_phases()["tls"] is None


async def test_a_self_signed_certificate_fails_with_a_tls_error(http_target: HttpTarget) -> None:
    with pytest.raises(TlsError, match="self.signed certificate"):
        await get(f"{http_target.self_signed_url}/ok")


async def test_skip_ssl_accepts_any_certificate(http_target: HttpTarget) -> None:
    for url in (http_target.self_signed_url, http_target.untrusted_url):
        assert (await get(f"{url}/ok", skip_ssl=True)).status == 200


async def test_a_stalled_handshake_times_out_in_the_tls_phase(base_url: str) -> None:
    # the plain port waits for an HTTP request that a ClientHello never completes
    with pytest.raises(ProbeTimeout, match="Timeout awaiting 'secureConnect' for 300ms"):
        await get(base_url.replace("http://", "https://") + "/ok", timeout_s=0.3)


async def test_it_speaks_ipv6(ipv6_url: str) -> None:
    resp = await get(f"{ipv6_url}/echo")
    assert resp.status == 200
    assert resp.remote_address.startswith("::1:")
    assert json.loads(resp.body)["headers"]["host"] == ipv6_url.removeprefix("http://")


def _localhost_has_ipv6() -> bool:
    try:
        return bool(socket.getaddrinfo("localhost", 80, socket.AF_INET6))
    except socket.gaierror:
        return False


async def test_the_ipv6_family_resolves_names_to_ipv6_only(ipv6_url: str) -> None:
    port = ipv6_url.rsplit(":", 1)[1]
    url = f"http://localhost:{port}/ok"
    if not _localhost_has_ipv6():
        # this machine's localhost is IPv4 only: an IPv6 check must not fall back to it
        with pytest.raises(DnsError, match="getaddrinfo ENOTFOUND localhost"):
            await get(url, ip_family="IPv6")
        return
    resp = await get(url, ip_family="IPv6")
    assert resp.remote_address.startswith("::1:")


def test_it_works_on_uvloop(base_url: str, http_target: HttpTarget) -> None:
    async def main() -> list[int]:
        ctx = http_target.client_context()
        return [
            (await get(f"{base_url}/redirect/2")).status,
            (await get(f"{http_target.https_url}/ok", ssl_context=ctx)).status,
            (await get(f"{base_url}/chunked")).status,
        ]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()) == [200, 200, 200]
        with pytest.raises(ProbeTimeout):
            runner.run(get(f"{base_url}/slow?ms=1000", timeout_s=0.05))
        with pytest.raises(ConnectRefused):
            runner.run(get("http://127.0.0.1:1/"))


async def test_a_no_content_response_has_no_body(base_url: str) -> None:
    resp = await get(f"{base_url}/status/204")
    assert (resp.status, resp.body) == (204, b"")
