"""TCP and DNS checks through the API: created with Checkly's JSON, run by the embedded agent
against real loopback servers, read back with Vantage's tcpCheckResult / dnsCheckResult."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Persona
from tests.targets.dns_target import dns_target
from tests.targets.tcp_target import tcp_target


async def run_session(persona: Persona, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    created = await persona.post(path, json=payload)
    assert created.status_code == 201, created.text
    check_id = created.json()["id"]
    trig = await persona.post(
        "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
    )
    session_id = trig.json()["sessions"][0]["checkSessionId"]
    done = await persona.get(
        f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 10}
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    result = await persona.get(
        f"/v1/check-results/{check_id}/{body['results'][0]['checkResultId']}"
    )
    body["result"] = result.json()
    return body


async def test_a_tcp_check_gets_checklys_defaults(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/tcp", json={"name": "db port", "request": {"hostname": "db", "port": 5432}}
    )
    assert response.status_code == 201, response.text
    check = response.json()
    assert check["checkType"] == "TCP"
    assert (check["degradedResponseTime"], check["maxResponseTime"]) == (3000, 5000)
    assert check["request"] == {
        "hostname": "db",
        "port": 5432,
        "data": None,
        "ipFamily": "IPv4",
        "assertions": [],
    }


async def test_a_tcp_check_passes_against_an_echo_server(alice: Persona) -> None:
    async with tcp_target("echo") as target:
        session = await run_session(
            alice,
            "/v1/checks/tcp",
            {
                "name": "echo",
                "request": {
                    "hostname": "127.0.0.1",
                    "port": target.port,
                    "data": "ping",
                    "assertions": [
                        {"source": "RESPONSE_DATA", "comparison": "CONTAINS", "target": "ping"}
                    ],
                },
            },
        )
    assert session["status"] == "PASSED"
    detail = session["result"]["tcpCheckResult"]
    assert detail["response"]["data"] == "ping"
    assert detail["assertions"][0]["passed"] is True
    assert session["result"]["apiCheckResult"] is None


async def test_a_tcp_check_fails_on_a_closed_port(alice: Persona) -> None:
    from tests.targets.tcp_target import refusing_port

    with refusing_port() as port:
        session = await run_session(
            alice,
            "/v1/checks/tcp",
            {"name": "closed", "request": {"hostname": "127.0.0.1", "port": port}},
        )
    assert session["status"] == "FAILED"
    assert "ECONNREFUSED" in session["result"]["tcpCheckResult"]["requestError"]


async def test_a_tcp_check_rejects_a_port_out_of_range(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/tcp", json={"name": "x", "request": {"hostname": "db", "port": 70000}}
    )
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["request.port"]


async def test_a_dns_check_gets_checklys_defaults(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/dns",
        json={"name": "www", "request": {"query": "www.example.com", "recordType": "A"}},
    )
    assert response.status_code == 201, response.text
    check = response.json()
    assert (check["degradedResponseTime"], check["maxResponseTime"]) == (500, 1000)
    assert check["request"]["protocol"] == "UDP"
    assert check["request"]["nameServer"] is None


async def test_a_dns_check_resolves_against_a_local_name_server(alice: Persona) -> None:
    async with dns_target() as server:
        session = await run_session(
            alice,
            "/v1/checks/dns",
            {
                "name": "www A",
                "request": {
                    "query": "www.vantage.test",
                    "recordType": "A",
                    "nameServer": "127.0.0.1",
                    "port": server.port,
                    "protocol": "TCP",
                    "assertions": [
                        {"source": "RESPONSE_CODE", "comparison": "EQUALS", "target": "NOERROR"},
                        {"source": "TEXT_ANSWER", "comparison": "CONTAINS", "target": "192.0.2.10"},
                    ],
                },
            },
        )
    assert session["status"] == "PASSED", session
    detail = session["result"]["dnsCheckResult"]
    assert {a["data"] for a in detail["response"]["answers"]} == {"192.0.2.10", "192.0.2.11"}


async def test_a_dns_check_fails_on_nxdomain_when_it_expects_noerror(alice: Persona) -> None:
    async with dns_target() as server:
        session = await run_session(
            alice,
            "/v1/checks/dns",
            {
                "name": "missing",
                "request": {
                    "query": "nope.vantage.test",
                    "recordType": "A",
                    "nameServer": "127.0.0.1",
                    "port": server.port,
                    "assertions": [
                        {"source": "RESPONSE_CODE", "comparison": "EQUALS", "target": "NOERROR"}
                    ],
                },
            },
        )
    assert session["status"] == "FAILED"
    assert session["result"]["dnsCheckResult"]["response"]["rcode"] == "NXDOMAIN"


async def test_a_dns_check_cannot_run_every_few_seconds(alice: Persona) -> None:
    response = await alice.post(
        "/v1/checks/dns",
        json={
            "name": "x",
            "frequency": 0,
            "frequencyOffset": 10,
            "request": {"query": "a.b", "recordType": "A"},
        },
    )
    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["frequency"]
