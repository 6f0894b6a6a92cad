"""aiosqlite with one trip to the connection's thread per statement, not three or four.

aiosqlite runs each call on a connection-owned thread, and SQLAlchemy's adapter makes one call to
create a cursor, one to execute, one to fetch the rows and one to close the cursor. Each trip wakes
that thread and then the event loop, and those wake-ups, not SQLite, were most of the CPU a
statement cost the server (about 250 µs for a `SELECT 1` that SQLite answers in 1 µs). Here a
cursor is a plain object: `execute` runs the statement, reads all its rows and closes the SQLite
cursor in a single trip, and the later fetches and the close read what that trip brought back.
SQLAlchemy's adapter buffers every row of a statement anyway, so nothing is read later than
before.

The write connection (`inline=True`) goes further: inside its transaction a statement runs on the
event loop's own thread, no trip at all. It holds SQLite's write lock from its `BEGIN IMMEDIATE`
on, so nothing it runs then can wait for another connection, and the writes of a result batch take
SQLite microseconds each, less than one trip's two wake-ups. What can wait or run long still goes
to the thread: `BEGIN` (it waits for another process's write lock, up to `busy_timeout`), `PRAGMA`
(an incremental vacuum), the commit (a WAL checkpoint) and the rollback.

A read connection runs its deferred `BEGIN` and its rollback on the event loop's thread too:
neither takes a lock nor waits, and every read transaction (an agent's key, on each of its calls)
made those two trips for nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

_Outcome = tuple[Any, list[Any], int, int | None]
# Statements an inline connection still runs on its thread: they can wait or run long.
_ON_THREAD = ("BEGIN", "begin", "PRAGMA", "pragma")
# What a read connection runs on the event loop's thread: a deferred BEGIN takes no lock, so it
# cannot wait (the first read takes the snapshot, on the thread).
_DEFERRED_BEGIN = "BEGIN"


class Cursor:
    """The part of `aiosqlite.Cursor` that SQLAlchemy's adapter uses."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        connection = self._connection
        if (connection.inline and not sql.startswith(_ON_THREAD)) or sql == _DEFERRED_BEGIN:
            outcome = _execute(connection._conn, sql, parameters)
        else:
            outcome = await connection.run(_execute, sql, parameters)
        self.description, self._rows, self.rowcount, self.lastrowid = outcome
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        connection = self._connection
        if connection.inline and not sql.startswith(_ON_THREAD):
            outcome = _executemany(connection._conn, sql, list(parameters))
        else:
            outcome = await connection.run(_executemany, sql, list(parameters))
        self.description, self._rows, self.rowcount, self.lastrowid = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


def _execute(conn: sqlite3.Connection, sql: str, parameters: Sequence[Any]) -> _Outcome:
    cursor = conn.execute(sql, parameters)
    try:
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, sql: str, parameters: list[Sequence[Any]]) -> _Outcome:
    cursor = conn.executemany(sql, parameters)
    try:
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class Connection(aiosqlite.Connection):
    inline = False

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    # Calls handed to the thread and not finished there (a cancelled caller stops waiting for
    # its statement, the thread does not stop running it): set.add and discard are atomic.
    _pending: set[object]

    async def rollback(self) -> None:
        if self.inline or self._pending:
            # A writer's rollback may undo writes; and nothing runs inline while the thread
            # still works on this connection.
            await super().rollback()
        else:
            # A read transaction (the pool rolls every connection back when it is returned): it
            # ends at once, so the two wake-ups of a trip would cost more than the rollback.
            self._conn.rollback()

    async def run(self, function: Any, *args: Any) -> Any:
        """`function(the sqlite3 connection, *args)` on the connection's thread."""
        token = object()
        pending = self._pending
        pending.add(token)

        def call(conn: sqlite3.Connection, *rest: Any) -> Any:
            try:
                return function(conn, *rest)
            finally:
                pending.discard(token)

        return await self._execute(call, self._conn, *args)  # type: ignore[no-untyped-call]


def connect(database: str | Path, *, inline: bool = False, **kwargs: Any) -> Connection:
    """What `aiosqlite.connect` does, with this module's cursor (SQLAlchemy's `async_creator`).
    `inline`: statements run on the caller's thread but for those that can wait (module doc)."""
    # Opened on the connection's thread, used from the event loop's too, never at once.
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(str(database), **kwargs)
        return connection

    proxy = Connection(connector, iter_chunk_size=64)
    proxy.inline = inline
    proxy._pending = set()
    # As SQLAlchemy does for aiosqlite's own connections: a forgotten connection must not keep
    # the interpreter from exiting.
    proxy._thread.daemon = True
    return proxy
