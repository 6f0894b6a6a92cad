"""What a running server holds: settings, the database, and in-process wake-ups."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from vantage.config import Settings
from vantage.db.engine import Database
from vantage.metrics import Metrics

if TYPE_CHECKING:
    from vantage.queue.intake import Completion


class Signals:
    """In-process wake-ups, so waiters block on an event instead of polling the database.

    Everything that changes what a waiter waits for (a session ending, work queued for a location,
    a schedule edited) happens in this process in the embedded default; across replicas the same
    calls are made from PostgreSQL notifications.
    """

    def __init__(self) -> None:
        self._session_waiters: dict[str, list[asyncio.Event]] = defaultdict(list)
        self._work: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.schedule_changed = asyncio.Event()
        # Set by vantage.events when replicas share a PostgreSQL: forwards what this replica
        # signals to the others.
        self.broadcast: Callable[[str, str], None] | None = None

    def session_finished(self, session_id: str, *, remote: bool = False) -> None:
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
            self.session_finished(completion.session_id)
        if completion.retry_location:
            self.work_queued(completion.retry_location)

    def work_queued(self, location: str, *, remote: bool = False) -> None:
        self._work[location].set()
        if self.broadcast is not None and not remote:
            self.broadcast("work", location)

    def work_event(self, location: str) -> asyncio.Event:
        return self._work[location]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    signals: Signals = field(default_factory=Signals)
    metrics: Metrics = field(default_factory=Metrics)
    # With several replicas, waiters also re-read the database this often, in case a
    # notification from another replica was lost; None when this process sees every change.
    recheck_seconds: float | None = None

    def sessions_cancelled(self, session_ids: Sequence[str]) -> None:
        """Wake the waiters of sessions a deletion ended (their check or location went)."""
        for session_id in session_ids:
            self.signals.session_finished(session_id)
        if session_ids:
            self.metrics.sessions_finished.labels("CANCELLED").inc(len(session_ids))


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
