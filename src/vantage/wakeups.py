"""Wake-ups: everything that lets a waiter block on an event instead of polling the database.

`Signals` is the one in-process object: session ends for /completion waiters, work queued per
location for long-polling agents (through a `WorkBell` each), schedule edits for the scheduler, and
the agents that said goodbye. Everything that changes what a waiter waits for happens in this
process in the embedded default.

With PostgreSQL, what one replica signals (a session finished, work queued for a location) is also
sent as a notification, and every other replica replays it into its own `Signals`: an agent
long-polling on replica B wakes for a session triggered on replica A, and a /completion waiter on
A wakes when B stores the result. NOTIFY is best-effort (a dropped listener connection misses what
was sent meanwhile), so waiters keep a periodic fallback read; see `Runtime.recheck_seconds`.
The database seam picks the bus (`Database.wakeup_bus`); SQLite has one process, so no bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg
import structlog
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from vantage.queue.intake import Completion

# Agents that said goodbye (a shutdown release) are remembered this long: a long-poll the agent
# abandoned on its way out must not lease work after its leases were handed back. In-process:
# across replicas, such a lease simply expires.
RETIRED_FOR_SECONDS = 120.0
# The relayed kind that carries a stored ad-hoc result's id (vantage.testsessions.channel).
AD_HOC_RESULT = "adhoc-result"
# The relayed kind that carries the id of a session the reaper timed out (an ad-hoc run's
# subscriber is then told, instead of waiting for the CLI's own timeout).
SESSION_TIMED_OUT = "session-timed-out"
# The relayed kind that says alert notifications were queued outside a session's end (a missed
# heartbeat, a recovering ping, a certificate about to expire): every replica's delivery worker
# looks at once instead of at its fallback poll.
ALERTS_RAISED = "alerts-raised"
# The relayed kinds that carry a deadline just set (ISO 8601; empty: unknown, so wake anyway): a
# session started, a heartbeat pinged, created or edited. Every replica's reaper or heartbeat
# watcher, asleep until its earliest deadline, wakes if this one comes sooner.
SESSION_DEADLINE = "session-deadline"
HEARTBEAT_DEADLINE = "heartbeat-deadline"
# The relayed kind that says checks or groups were created or edited (a deadline, or empty: any):
# every replica's scheduler, asleep until its earliest due check, reads its next one again. Without
# it a check created on a replica that runs no scheduler would wait for the fallback poll.
SCHEDULE_CHANGED = "schedule-changed"
# The relayed kind that says status-page mail was queued (`statuspages.mail.queue`): every
# replica's mailer looks at once instead of at its fallback poll.
MAIL_QUEUED = "status-page-mail"


class Alarm:
    """Lets a loop sleep until the earliest deadline it read from the database, and wakes it when
    a deadline set meanwhile comes sooner.

    The loop calls `arm()` before it reads, then `sleep()`: a deadline rung between the two (the
    loop is not asleep yet, so it cannot tell whether the deadline is sooner) ends the sleep at
    once, and the loop reads again. Asleep, it is woken only by a deadline before its wake-up.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        # When the sleeping loop wakes anyway; None while it is not asleep.
        self._until: datetime | None = None

    def arm(self) -> None:
        self._event.clear()

    def ring(self, deadline: datetime | None) -> None:
        """A deadline was set (None: one that may be anything)."""
        if self._until is None or deadline is None or deadline < self._until:
            self._event.set()

    async def sleep(self, until: datetime | None, longest: float, now: datetime) -> bool:
        """Sleep until `until`, at most `longest` seconds from `now`, or until rung sooner.
        True when rung (what the loop read before may have changed), False when the time came."""
        wait = longest if until is None else min(longest, (until - now).total_seconds())
        wait = max(wait, 0.0)
        self._until = now + timedelta(seconds=wait)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._event.wait()
        finally:
            self._until = None
        return self._event.is_set()


def _deadline(ident: str) -> datetime | None:
    return datetime.fromisoformat(ident) if ident else None


class WorkBell:
    """Wake-ups for every long-poll of one location, from the runtime's single work event.

    Signals keeps one asyncio.Event per location; a waiter that cleared it could make another miss
    the work it announced. Here a waiter takes a ticket before it looks at the queue; whoever
    first sees the event set clears it and rings every ticket taken so far. A ticket rung while
    its holder was busy claiming sends that holder back to the queue instead of to sleep.
    """

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event
        self._current = asyncio.Event()

    def ticket(self) -> asyncio.Event:
        if self._event.is_set():
            self._ring()
        return self._current

    def _ring(self) -> None:
        self._event.clear()
        rung, self._current = self._current, asyncio.Event()
        rung.set()

    async def wait(self, ticket: asyncio.Event, timeout: float) -> None:
        if ticket.is_set() or timeout <= 0:
            return
        if self._event.is_set():
            self._ring()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        if self._event.is_set():
            self._ring()


class Signals:
    """In-process wake-ups; across replicas, PostgreSQL notifications make the same calls."""

    def __init__(self) -> None:
        self._session_waiters: dict[str, list[asyncio.Event]] = defaultdict(list)
        self._work: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._bells: dict[str, WorkBell] = {}
        # (location, agent id) -> monotonic time until which the agent counts as gone.
        self._retired: dict[tuple[str, str], float] = {}
        # Set at the server's first SIGTERM/SIGINT: every agent long-poll answers at once, with no
        # job, and new ones lease nothing (the agent then reconnects, to another replica).
        self.stopping = False
        # Set when a session ends (here, or on another replica): its run may have queued alert
        # notifications, which the delivery worker then claims without waiting for its poll.
        self.alerts_queued = asyncio.Event()
        # Other slices' messages by kind (the MQTT result channel's publications): called here,
        # and on every other replica through the bus.
        # Set when status-page mail was queued (here or on another replica): the mailer sends it
        # without waiting for its fallback poll.
        self.mail_queued = asyncio.Event()
        # The reaper's, the heartbeat watcher's and the scheduler's sleeps until their earliest
        # deadline (the scheduler's: its soonest due check).
        self.session_deadlines = Alarm()
        self.heartbeat_deadlines = Alarm()
        self.schedule = Alarm()
        self.listeners: dict[str, Callable[[str], None]] = {
            ALERTS_RAISED: lambda _ident: self.alerts_queued.set(),
            MAIL_QUEUED: lambda _ident: self.mail_queued.set(),
            SCHEDULE_CHANGED: lambda ident: self.schedule.ring(_deadline(ident)),
            SESSION_DEADLINE: lambda ident: self.session_deadlines.ring(_deadline(ident)),
            HEARTBEAT_DEADLINE: lambda ident: self.heartbeat_deadlines.ring(_deadline(ident)),
        }
        # Set by PgEventBus when replicas share a PostgreSQL: forwards what this replica
        # signals to the others.
        self.broadcast: Callable[[str, str], None] | None = None

    def session_finished(
        self, session_id: str, *, remote: bool = False, alerts: bool = True
    ) -> None:
        """`alerts`: its run may have queued notifications (False when the intake that ended it
        queued none, so a batch of passing runs does not send the delivery worker to look)."""
        if alerts:
            self.alerts_queued.set()
        for event in self._session_waiters.pop(session_id, []):
            event.set()
        if self.broadcast is not None and not remote:
            self.broadcast("session", session_id)

    @contextmanager
    def watch_session(self, session_id: str) -> Iterator[asyncio.Event]:
        """An event set when the session finishes. Register before reading the session, so an end
        that lands between the read and the wait is not missed."""
        event = asyncio.Event()
        self._session_waiters[session_id].append(event)
        try:
            yield event
        finally:
            waiters = self._session_waiters.get(session_id)
            if waiters is not None and event in waiters:
                waiters.remove(event)
                if not waiters:
                    del self._session_waiters[session_id]

    def result_stored(self, completion: Completion) -> None:
        """Wake who waits on what a stored result changed: its session, or its retry's location."""
        if completion.session_ended and completion.session_id:
            self.session_finished(completion.session_id, alerts=completion.alerts_queued)
        if completion.retry_location:
            self.work_queued(completion.retry_location)
        if completion.test_session_id and completion.outcome == "accepted" and completion.result_id:
            self.relay(AD_HOC_RESULT, completion.result_id)

    def alerts_raised(self) -> None:
        """Notifications were queued (not by a session's end, which says so itself): wake the
        delivery worker here and on every other replica."""
        self.relay(ALERTS_RAISED, "")

    def sessions_started(self, deadline: datetime) -> None:
        """Sessions started, the earliest of them due at `deadline`: wake the reapers (this
        replica's and the others') that sleep past it."""
        self.relay(SESSION_DEADLINE, deadline.isoformat())

    def heartbeat_deadline(self, deadline: datetime | None) -> None:
        """A heartbeat's deadline was set (None: some heartbeat checks changed, deadlines
        unknown): wake the heartbeat watchers that sleep past it."""
        self.relay(HEARTBEAT_DEADLINE, deadline.isoformat() if deadline is not None else "")

    def checks_changed(self) -> None:
        """Checks were created or edited (committed): every replica's scheduler looks at its next
        run, and the heartbeat watchers at their next deadline (a heartbeat check's may have
        moved)."""
        self.groups_changed()
        self.heartbeat_deadline(None)

    def groups_changed(self) -> None:
        """Check groups were edited (committed): what runs, and when, may have changed; every
        replica's scheduler reads its next due check again."""
        self.relay(SCHEDULE_CHANGED, "")

    def mail_queued_now(self) -> None:
        """Status-page mail was queued (committed): wake the mailers here and on every replica."""
        self.relay(MAIL_QUEUED, "")

    def relay(self, kind: str, ident: str, *, remote: bool = False) -> None:
        """Hand `ident` to this process's listener for `kind`, and (unless it came from there) to
        every other replica's."""
        listener = self.listeners.get(kind)
        if listener is not None:
            listener(ident)
        if self.broadcast is not None and not remote:
            self.broadcast(kind, ident)

    def work_queued(self, location: str, *, remote: bool = False) -> None:
        self._work[location].set()
        if self.broadcast is not None and not remote:
            self.broadcast("work", location)

    def work_event(self, location: str) -> asyncio.Event:
        return self._work[location]

    def bell(self, location: str) -> WorkBell:
        """The one bell every long-poll of this location shares."""
        bell = self._bells.get(location)
        if bell is None:
            bell = self._bells[location] = WorkBell(self.work_event(location))
        return bell

    def close_long_polls(self) -> None:
        """The server is stopping: wake every waiting long-poll (they see `stopping` and answer
        empty) instead of holding it, and uvicorn's shutdown with it, until its wait ends."""
        self.stopping = True
        for event in self._work.values():
            event.set()

    def retire(self, location: str, agent_id: str) -> None:
        now = time.monotonic()
        for key in [k for k, until in self._retired.items() if until < now]:
            del self._retired[key]
        self._retired[(location, agent_id)] = now + RETIRED_FOR_SECONDS

    def is_retired(self, location: str, agent_id: str) -> bool:
        until = self._retired.get((location, agent_id))
        return until is not None and until >= time.monotonic()


class WakeupBus(Protocol):
    """Carries wake-ups between server replicas; the app starts and stops whichever it gets."""

    @property
    def shared(self) -> bool:
        """True when other replicas signal through this bus (waiters then also re-read)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalBus:
    """No other replica can exist (SQLite): every wake-up already happens in this process."""

    shared = False

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


log = structlog.get_logger(__name__)

CHANNEL = "vantage_events"
# PostgreSQL caps a payload at 8000 bytes; ids are 36 characters, a relayed message a few hundred.
MAX_IDS_PER_NOTIFY = 150
MAX_NOTIFY_BYTES = 7000
RECONNECT_SECONDS = 1.0


def _notify_size(event: tuple[str, str]) -> int:
    """An upper bound of an event's bytes in the notification (JSON may escape each byte)."""
    return 2 * (len(event[0]) + len(event[1])) + 8


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgEventBus:
    """Forwards what this replica signals to the others, and replays theirs into its `Signals`."""

    # Other replicas signal through it, and NOTIFY is best-effort: waiters also re-read.
    shared = True

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
            else:
                self.signals.relay(kind, ident, remote=True)

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
        carried: tuple[str, str] | None = None
        try:
            while True:
                first = carried or await self._outbox.get()
                carried = None
                batch = [first]
                size = _notify_size(first)
                while not self._outbox.empty() and len(batch) < MAX_IDS_PER_NOTIFY:
                    item = self._outbox.get_nowait()
                    size += _notify_size(item)
                    if size > MAX_NOTIFY_BYTES:
                        carried = item  # over PostgreSQL's cap: it leads the next notification
                        break
                    batch.append(item)
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
