"""The alert HTTP client: what it writes, what it reads, and how it keeps and drops connections,
against real loopback servers that answer with scripted bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from vantage.alerting.http import (
    HttpClient,
    HttpError,
    InvalidRequest,
    encode_request,
    parse_head,
    target_of,
)

Answer = Callable[[bytes], bytes | None]


class RawServer:
    """Reads one request head (and its Content-Length body) at a time and writes what `answer`
    returns for it; None closes the connection without a word."""

    def __init__(self, answer: Answer, *, close_after: bool = False) -> None:
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                reply = self.answer(request)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: RawServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()


def ok(body: bytes = b"ok", extra: str = "") -> Answer:
    return lambda _: (
        f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body
    )


def test_the_target_keeps_the_urls_query_and_appends_the_params() -> None:
    target = target_of(
        "http://hooks.example.test:8080/a b/c?x=1", [("y", "two words"), ("z", True)]
    )
    assert target.request_target == "/a%20b/c?x=1&y=two%20words&z=true"
    assert target.host_header == "hooks.example.test:8080"
    assert target.port == 8080 and not target.secure


def test_a_default_port_is_left_out_of_the_host_header() -> None:
    assert target_of("https://hooks.example.test/x").host_header == "hooks.example.test"
    assert target_of("https://hooks.example.test/x").port == 443


def test_credentials_in_the_url_become_basic_authorization() -> None:
    target = target_of("https://user:p%40ss@hooks.example.test/")
    assert target.authorization == "Basic dXNlcjpwQHNz"


@pytest.mark.parametrize("url", ["ftp://example.test/", "http:///nohost", "http://[::1/x"])
def test_a_url_that_cannot_be_requested_is_an_invalid_request(url: str) -> None:
    with pytest.raises(InvalidRequest):
        target_of(url)


def test_a_request_is_one_block_with_its_length_and_the_channels_headers() -> None:
    target = target_of("http://127.0.0.1:9/hook")
    data = encode_request("POST", target, {"X-Team": "ops", "Content-Length": "999"}, b"{}")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hook HTTP/1.1"
    assert "Host: 127.0.0.1:9" in lines and "X-Team: ops" in lines
    assert "Content-Length: 2" in lines and "Content-Length: 999" not in lines
    assert body == b"{}"


@pytest.mark.parametrize(
    "headers",
    [{"X-Evil": "a\r\nX-Injected: 1"}, {"Bad Name": "x"}, {"X-Nul": "a\0b"}],
)
def test_a_header_that_would_break_the_request_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        encode_request("POST", target_of("http://127.0.0.1/"), headers, b"")


def test_an_answers_head_is_its_version_status_and_lower_case_headers() -> None:
    version, status, headers = parse_head(
        b"HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
    )
    assert (version, status) == ("HTTP/1.1", 429)
    assert headers == {"retry-after": "3", "x-a": "1, 2"}


def test_a_malformed_status_line_is_an_error() -> None:
    with pytest.raises(HttpError):
        parse_head(b"SMTP ready\r\n\r\n")


async def test_keep_alive_answers_reuse_one_connection() -> None:
    server = RawServer(ok())
    async with serving(server) as url:
        client = HttpClient(timeout=5)
        for _ in range(3):
            response = await client.post(url + "/hook", json={"a": 1})
            assert (response.status_code, response.text) == (200, "ok")
        await client.aclose()
    assert server.connections == 1 and len(server.requests) == 3
    assert server.requests[0].endswith(b'{"a": 1}')
    assert b"Content-Type: application/json" in server.requests[0]


async def test_an_http_1_0_answer_closes_its_connection() -> None:
    server = RawServer(lambda _: b"HTTP/1.0 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    async with serving(server) as url:
        client = HttpClient(timeout=5)
        for _ in range(2):
            assert (await client.request("POST", url, content=b"x")).status_code == 202
        await client.aclose()
    assert server.connections == 2


async def test_a_chunked_body_is_read_whole() -> None:
    chunked = (
        b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    server = RawServer(lambda _: chunked)
    async with serving(server) as url:
        client = HttpClient(timeout=5)
        first = await client.request("POST", url, content=b"x")
        second = await client.request("POST", url, content=b"y")
        await client.aclose()
    assert (first.status_code, first.text, second.text) == (500, "abcde", "abcde")
    assert server.connections == 1


async def test_a_body_without_length_is_read_to_the_end_of_the_connection() -> None:
    server = RawServer(lambda _: b"HTTP/1.1 200 OK\r\n\r\nall of it", close_after=True)
    async with serving(server) as url:
        client = HttpClient(timeout=5)
        response = await client.request("GET", url)
        await client.aclose()
    assert response.text == "all of it"


async def test_a_connection_the_server_dropped_while_idle_is_replaced() -> None:
    # Each answer looks keep-alive, but the server closes the connection after it.
    server = RawServer(ok(), close_after=True)
    async with serving(server) as url:
        client = HttpClient(timeout=5)
        for body in (b"1", b"2", b"3"):
            assert (await client.request("POST", url, content=body)).status_code == 200
        await client.aclose()
    assert server.connections == 3 and len(server.requests) == 3


async def test_a_server_that_closes_without_answering_is_an_http_error() -> None:
    server = RawServer(lambda _: None)
    async with serving(server) as url:
        client = HttpClient(timeout=5)
        with pytest.raises(HttpError, match="without an answer"):
            await client.request("POST", url, content=b"x")


async def test_a_refused_connection_is_an_http_error() -> None:
    server = RawServer(ok())
    async with serving(server) as url:
        pass  # closed: nothing listens there any more
    client = HttpClient(timeout=5)
    with pytest.raises(HttpError, match="cannot connect"):
        await client.request("POST", url, content=b"x")


async def test_a_server_that_never_answers_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    client = HttpClient(timeout=0.2)
    with pytest.raises(HttpError, match="timed out"):
        await client.request("POST", f"http://127.0.0.1:{port}/", content=b"x")
    listener.close()
