"""`vantage server` as a process: what it prints when it starts, how `make run` starts it, and the
deadlines a slow client meets on a real socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.processes import Server, free_port, vantage_cli

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parent.parent


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Server]:
    server = Server(
        f"sqlite:///{tmp_path / 'v.db'}",
        free_port(),
        tmp_path / "server.log",
        env={"VANTAGE_HEADER_TIMEOUT_SECONDS": "1", "VANTAGE_BODY_TIMEOUT_SECONDS": "1"},
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(20)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_the_server_prints_its_docs_and_metrics_urls_when_it_starts(impatient: Server) -> None:
    output = impatient.log.read_text()
    assert f"Vantage listening on {impatient.url}" in output
    assert f"API docs:  {impatient.url}/docs" in output
    assert f"Metrics:   {impatient.url}/metrics" in output


def test_a_client_that_never_finishes_its_headers_gets_a_408_and_is_closed(
    impatient: Server,
) -> None:
    with socket.create_connection(("127.0.0.1", impatient.port)) as sock:
        sock.sendall(b"GET /v1/locations HTTP/1.1\r\nHost: vantage\r\nX-Slow: ")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "Request Time-out"


def test_a_connection_that_sends_nothing_is_closed(impatient: Server) -> None:
    with socket.create_connection(("127.0.0.1", impatient.port)) as sock:
        assert _answer(sock).startswith(b"HTTP/1.1 408 ")


def test_a_body_that_stops_arriving_gets_a_408(impatient: Server) -> None:
    account = vantage_cli("accounts", "create", "slow", "--database-url", impatient.database_url)
    head = (
        "POST /v1/checks HTTP/1.1\r\nHost: vantage\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {account['apiKey']}\r\n"
        f"X-Checkly-Account: {account['accountId']}\r\nContent-Length: 100\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", impatient.port)) as sock:
        sock.sendall(head.encode() + b'{"name": ')
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"The request body did not arrive within 1 s" in answer


def _make_run(*args: str, **env: str) -> str:
    done = subprocess.run(
        # Run from `make test`, a nested make would also print its "Leaving directory" lines.
        ["make", "--no-print-directory", "-n", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return done.stdout.splitlines()[-1].strip()


def test_make_run_passes_a_port_given_to_make() -> None:
    assert _make_run("PORT=8081").endswith("vantage server --port 8081")


def test_make_run_leaves_the_vantage_variables_to_the_server() -> None:
    command = _make_run(VANTAGE_PORT="8081", VANTAGE_HOST="0.0.0.0")
    assert command.endswith("vantage server")


def test_the_welcome_names_urls_a_browser_can_open() -> None:
    from vantage.cli import _welcome
    from vantage.config import Settings

    everywhere = _welcome(Settings(host="0.0.0.0", port=9000))
    assert "Vantage listening on http://0.0.0.0:9000" in everywhere[0]
    assert "  API docs:  http://127.0.0.1:9000/docs" in everywhere
    public = _welcome(Settings(public_url="https://vantage.example/", port=9000))
    assert "  API docs:  https://vantage.example/docs" in public
