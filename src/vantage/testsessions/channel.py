"""Publishing test sessions' progress on the MQTT result channel, on every replica.

A publication goes through `Signals.relay`: this process's listener sends it to its own MQTT
subscribers, and with PostgreSQL the other replicas' listeners do the same for theirs. A small
message (run-start) travels whole; a stored result travels as its id (a result with its response
body can exceed NOTIFY's 8000 bytes) and each replica with a subscriber reads it back and
publishes it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any

import structlog

from vantage.runtime import Runtime
from vantage.testsessions import repository
from vantage.testsessions.wire import result_message, run_entry, stream_logs_message, topic
from vantage.wakeups import AD_HOC_RESULT, SESSION_TIMED_OUT

log = structlog.get_logger(__name__)

MESSAGE = "mqtt"
TIMED_OUT_MESSAGE = (
    "No result before the run's deadline: no agent of its location ran it in time (TIMED_OUT)."
)


class ResultChannel:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._tasks: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        listeners = self.runtime.signals.listeners
        listeners[MESSAGE] = self._message
        listeners[AD_HOC_RESULT] = self._result
        listeners[SESSION_TIMED_OUT] = self._timed_out

    def publish(self, topic_name: str, payload: bytes) -> None:
        self.runtime.signals.relay(MESSAGE, json.dumps([topic_name, payload.decode()]))

    def runs_started(
        self, account_id: str, suite_id: str, runs: Iterable[Mapping[str, Any]]
    ) -> None:
        """`run-start` for each run: the CLI shows it running and stops its scheduling timer."""
        for run in runs:
            self.publish(topic(account_id, suite_id, run, "run-start"), b"{}")

    def result_stored(self, result_id: str) -> None:
        self.runtime.signals.relay(AD_HOC_RESULT, result_id)

    def _message(self, ident: str) -> None:
        try:
            topic_name, payload = json.loads(ident)
        except (ValueError, TypeError):
            return
        self.runtime.hub.publish(str(topic_name), str(payload).encode())

    def _result(self, result_id: str) -> None:
        self._spawn(self._publish_result(result_id))

    def _timed_out(self, session_id: str) -> None:
        self._spawn(self._publish_timeout(session_id))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if not self.runtime.hub.subscribed():
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_timeout(self, session_id: str) -> None:
        """An `error` for an ad-hoc run the reaper ended: the CLI fails that check at once."""
        try:
            async with self.runtime.db.read() as conn:
                row = await repository.ad_hoc_session(conn, session_id)
        except Exception:
            log.exception("timed-out ad-hoc session not read", session_id=session_id)
            return
        if row is None:
            return
        run = run_entry(list(row.runs), row.id)
        if run is None:
            return
        message = {"message": TIMED_OUT_MESSAGE}
        name = topic(row.account_id, row.suite_id, run, "error")
        self.runtime.hub.publish(name, json.dumps(message).encode())

    async def _publish_result(self, result_id: str) -> None:
        try:
            async with self.runtime.db.read() as conn:
                row = await repository.result_with_session(conn, result_id)
        except Exception:
            log.exception("ad-hoc result not read", result_id=result_id)
            return
        if row is None:
            return
        run = run_entry(list(row.runs), row.session_id)
        if run is None:
            return
        if run.get("streamLogs"):
            logs = stream_logs_message(row.detail)
            if logs is not None:
                # First: the CLI's queue handles messages in order, and a FINAL result ends the
                # check, after which its logs would be dropped.
                streamed = topic(row.account_id, row.suite_id, run, "stream-logs")
                self.runtime.hub.publish(streamed, logs)
        name = topic(row.account_id, row.suite_id, run, "result")
        self.runtime.hub.publish(name, result_message(row, run))
