"""What the end-to-end fault tests share: a cluster of real `vantage server` and `vantage agent`
processes on one database, a target that counts the requests it gets, a TCP proxy whose link can
be cut, and reads straight from the database.

Every wait is bounded, every process is SIGKILLed when the test ends, everything is on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import sqlalchemy as sa

from tests.agent.processes import (
    AgentProcess,
    Server,
    free_port,
    log_events,
    spawn_agent,
    vantage_cli,
)
from tests.support.checks import api_check
from vantage.db.engine import Database
from vantage.db.tables import check_results, check_sessions, checks, jobs

# A session this old that is still running has a problem; waits give up well before pytest does.
WAIT_SECONDS = 30.0


# Waiting.


async def wait_for(
    predicate: Callable[[], Awaitable[bool] | bool], *, timeout: float = 20, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.05)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# A target that counts requests.


class CountingTarget:
    """`GET /hold/<key>?ms=N` holds the request N ms, then answers 200; requests are counted per
    key when they arrive, so a test knows a run is under way (and how many runs a check got)."""

    def __init__(self) -> None:
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                key = parts.path.removeprefix("/hold/")
                with target._lock:
                    target._hits[key] += 1
                ms = float(parse_qs(parts.query).get("ms", ["0"])[0])
                time.sleep(ms / 1000)
                body = b'{"held":true}'
                with contextlib.suppress(OSError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body)
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # an agent SIGKILLed mid-request is part of the tests

        self._server = Quiet(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, key: str, ms: int) -> str:
        return f"http://127.0.0.1:{self.port}/hold/{key}?ms={ms}"

    def hits(self, key: str) -> int:
        with self._lock:
            return self._hits[key]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# A TCP proxy whose link can be cut.


class TcpProxy:
    """Forwards 127.0.0.1:port to an upstream port. `cut()` resets every connection and every new
    one until `restore()`: to the agent behind it, the server is unreachable."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._open = True
        self._live: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        self._thread.start()
        self._server = self._call(self._listen())
        return self

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _listen(self) -> asyncio.Server:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._live |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._live -= {writer, up_writer}
            writer.transport.abort()
            up_writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, RuntimeError):
            writer.transport.abort()

    async def _set(self, open_: bool) -> None:
        self._open = open_
        if not open_:
            for writer in list(self._live):
                writer.transport.abort()

    def cut(self) -> None:
        self._call(self._set(False))

    def restore(self) -> None:
        self._call(self._set(True))

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._call(self._set(False))
            if self._server is not None:
                self._loop.call_soon_threadsafe(self._server.close)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()


# The cluster.


class Api:
    """An account's view of one server, through Checkly's public API."""

    def __init__(self, url: str, account_id: str, api_key: str) -> None:
        self.client = httpx2.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {api_key}", "X-Checkly-Account": account_id},
            timeout=40,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def create_check(self, url: str, locations: list[str], **fields: Any) -> str:
        fields.setdefault("name", f"check {uuid.uuid4().hex[:6]}")
        response = await self.client.post(
            "/v1/checks/api", json=api_check(url, locations=locations, **fields)
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def trigger(self, check_id: str) -> str:
        response = await self.client.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
        )
        assert response.status_code == 201, response.text
        [session] = response.json()["sessions"]
        return str(session["checkSessionId"])

    async def session(self, session_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v2/check-sessions/{session_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def completion(self, session_id: str, wait: float = WAIT_SECONDS) -> dict[str, Any]:
        """The finished session (v2 long-poll, re-asked until `wait` runs out)."""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"session {session_id} did not finish in {wait} s"
            response = await self.client.get(
                f"/v2/check-sessions/{session_id}/completion",
                params={"maxWaitSeconds": max(1, min(10, int(left)))},
            )
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            assert response.status_code == 408, response.text

    async def result(self, check_id: str, result_id: str) -> httpx2.Response:
        return await self.client.get(f"/v1/check-results/{check_id}/{result_id}")


@dataclass
class Cluster:
    """Servers and agents on one database, for one account; `close()` SIGKILLs them all."""

    database_url: str
    tmp: Path
    account_id: str
    api_key: str
    keys: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)
    agents: list[AgentProcess] = field(default_factory=list)
    proxies: list[TcpProxy] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)

    def location(self, slug: str) -> str:
        """Create the location (`vantage locations create`); its agent key."""
        if slug not in self.keys:
            created = vantage_cli(
                "locations", "create", slug, "--name", slug, "--database-url", self.database_url
            )
            self.keys[slug] = str(created["agentKey"])
        return self.keys[slug]

    def server(self, *, local_agent: bool = False, scheduler: bool = False, **env: str) -> Server:
        """A started `vantage server`. The scheduler is off unless asked for: triggered runs are
        then the only runs (a check's first scheduled run could otherwise land mid-test)."""
        n = len(self.servers)
        settings = {"VANTAGE_SCHEDULER": "true" if scheduler else "false", **env}
        server = Server(
            self.database_url,
            free_port(),
            self.tmp / f"server-{n}.log",
            local_agent=local_agent,
            env=settings,
        )
        self.servers.append(server)
        server.start()
        return server

    def agent(self, url: str, location: str, *extra: str) -> AgentProcess:
        """A started `vantage agent` with an outbox of its own (`outbox_of`)."""
        n = len(self.agents)
        outbox = self.tmp / f"outbox-{n}"
        agent = spawn_agent(url, location, self.location(location), outbox, self.tmp, *extra)
        self.agents.append(agent)
        return agent

    def outbox_of(self, agent: AgentProcess) -> list[str]:
        outbox = self.tmp / f"outbox-{self.agents.index(agent)}"
        return sorted(p.name for p in outbox.glob("*.json"))

    def proxy(self, server: Server) -> TcpProxy:
        proxy = TcpProxy(server.port).start()
        self.proxies.append(proxy)
        return proxy

    def api(self, server: Server) -> Api:
        api = Api(server.url, self.account_id, self.api_key)
        self.apis.append(api)
        return api

    async def close(self) -> None:
        for agent in self.agents:
            with contextlib.suppress(Exception):
                agent.resume()  # a SIGSTOPped process must still die
            agent.kill()
        for server in self.servers:
            if server.process is not None and server.process.poll() is None:
                server.resume()
            server.kill()
        for proxy in self.proxies:
            proxy.stop()
        for api in self.apis:
            await api.aclose()

    # Reading the database behind the servers.

    async def rows(self, statement: Any) -> list[Any]:
        db = Database(self.database_url, pool_size=1)
        try:
            async with db.read() as conn:
                return list((await conn.execute(statement)).all())
        finally:
            await db.dispose()

    async def jobs(self) -> list[Any]:
        return await self.rows(
            sa.select(
                jobs.c.id, jobs.c.session_id, jobs.c.location, jobs.c.state, jobs.c.lease_owner
            )
        )

    async def results(self) -> list[Any]:
        return await self.rows(
            sa.select(
                check_results.c.id,
                check_results.c.job_id,
                check_results.c.session_id,
                check_results.c.check_id,
                check_results.c.run_location,
                check_results.c.result_type,
                check_results.c.started_at,
            )
        )

    async def sessions(self) -> list[Any]:
        return await self.rows(
            sa.select(
                check_sessions.c.id,
                check_sessions.c.check_id,
                check_sessions.c.status,
                check_sessions.c.run_source,
                check_sessions.c.started_at,
                check_sessions.c.stopped_at,
            )
        )

    async def next_run_at(self, check_id: str) -> datetime:
        [(moment,)] = await self.rows(
            sa.select(checks.c.next_run_at).where(checks.c.id == check_id)
        )
        assert isinstance(moment, datetime)
        return moment

    async def leased_by(self, agent_id: str, session_ids: list[str], location: str) -> bool:
        """Whether the agent holds the lease of each session's job at the location."""
        wanted = set(session_ids)
        held = {
            job.session_id
            for job in await self.jobs()
            if job.session_id in wanted
            and job.location == location
            and job.state == "LEASED"
            and str(job.lease_owner).startswith(f"{agent_id}/")
        }
        return held == wanted


@contextlib.asynccontextmanager
async def cluster_on(database_url: str, tmp: Path) -> AsyncIterator[Cluster]:
    account = vantage_cli("accounts", "create", "ops", "--database-url", database_url)
    cluster = Cluster(database_url, tmp, str(account["accountId"]), str(account["apiKey"]))
    try:
        yield cluster
    finally:
        await cluster.close()


def delivered(agent: AgentProcess, status: str, source: str | None = None) -> int:
    """How many results the agent reports with this status (`results delivered` lines)."""
    return sum(
        int(event.get(status, 0))
        for event in agent.events()
        if event.get("event") == "results delivered"
        and (source is None or event.get("source") == source)
    )


async def delivered_eventually(
    agent: AgentProcess, status: str, count: int, source: str | None = None
) -> None:
    """The agent logs `results delivered` after the server answered, so a test that saw the
    session end may read the agent's log a moment before that line is written."""
    await wait_for(
        lambda: delivered(agent, status, source) == count,
        timeout=10,
        what=f"the agent to log {count} {status} results (now {delivered(agent, status, source)})",
    )


def server_events(server: Server, name: str) -> list[dict[str, Any]]:
    return [e for e in log_events(server.log.read_text()) if e.get("event") == name]


def new_key() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def counting_target() -> Iterator[CountingTarget]:
    target = CountingTarget()
    try:
        yield target
    finally:
        target.stop()
