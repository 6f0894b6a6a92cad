"""Wake-ups across server replicas, over PostgreSQL LISTEN/NOTIFY.

Each replica keeps its own in-process `Signals`. With PostgreSQL, what one replica signals (a
session finished, work queued for a location) is also sent as a notification, and every other
replica replays it into its own `Signals`: an agent long-polling on replica B wakes for a session
triggered on replica A, and a /completion waiter on A wakes when B stores the result.

NOTIFY is best-effort (a dropped listener connection misses what was sent meanwhile), so waiters
keep a periodic fallback read; see `Runtime.recheck_seconds`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import structlog
from sqlalchemy.engine import make_url

from vantage.runtime import Signals

log = structlog.get_logger(__name__)

CHANNEL = "vantage_events"
# PostgreSQL caps a payload at 8000 bytes; ids are 36 characters.
MAX_IDS_PER_NOTIFY = 150
RECONNECT_SECONDS = 1.0


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgEventBus:
    def __init__(self, url: str, signals: Signals) -> None:
        self.dsn = _dsn(url)
        self.signals = signals
        self.replica = uuid.uuid4().hex[:12]
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def publish(self, kind: str, ident: str) -> None:
        self._outbox.put_nowait((kind, ident))

    async def start(self) -> None:
        self.signals.broadcast = self.publish
        self._tasks = [
            asyncio.create_task(self._listen_forever(), name="events-listen"),
            asyncio.create_task(self._send_forever(), name="events-send"),
        ]

    async def stop(self) -> None:
        self.signals.broadcast = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            return
        if message.get("r") == self.replica:
            return
        for kind, ident in message.get("e", []):
            if kind == "session":
                self.signals.session_finished(ident, remote=True)
            elif kind == "work":
                self.signals.work_queued(ident, remote=True)

    async def _listen_forever(self) -> None:
        while True:
            try:
                conn = await asyncpg.connect(self.dsn)
                try:
                    await conn.add_listener(CHANNEL, self._received)
                    log.info("listening for replica events", replica=self.replica)
                    # A closed connection ends the wait; reconnect then.
                    closed = asyncio.Event()
                    conn.add_termination_listener(lambda _c, ended=closed: ended.set())
                    await closed.wait()
                finally:
                    # Abrupt on purpose: a LISTEN connection has nothing to finish, and a close
                    # awaited during cancellation can be cut off half-way.
                    conn.terminate()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("replica event listener failed, reconnecting")
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _send_forever(self) -> None:
        conn: Any = None
        try:
            while True:
                first = await self._outbox.get()
                batch = [first]
                while not self._outbox.empty() and len(batch) < MAX_IDS_PER_NOTIFY:
                    batch.append(self._outbox.get_nowait())
                payload = json.dumps({"r": self.replica, "e": list(dict.fromkeys(batch))})
                try:
                    if conn is None or conn.is_closed():
                        conn = await asyncpg.connect(self.dsn)
                    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Best effort: the waiters' periodic fallback covers a lost notification.
                    log.exception("replica event not sent", events=len(batch))
                    conn = None
        finally:
            if conn is not None:
                conn.terminate()
