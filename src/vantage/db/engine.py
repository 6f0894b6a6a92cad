"""The database handle: one seam for SQLite and PostgreSQL.

SQLite allows one writer at a time. A transaction that reads and then writes under a plain
(deferred) BEGIN can fail with "database is locked" instead of waiting, so every write transaction
starts with BEGIN IMMEDIATE on a dedicated write engine, and the writers of this process queue on
one asyncio lock instead of spinning in SQLite's busy handler. Other processes (the CLI) wait in
busy_timeout.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from vantage.db import sqlite_driver
from vantage.errors import VantageError
from vantage.wakeups import LocalBus, PgEventBus, Signals, WakeupBus

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_WAL_LIMIT_BYTES = 64 * 1024 * 1024
# Free pages one `reclaim_space` transaction gives back (4 MiB of 4 KiB pages): the writer lock is
# held for one such step at a time.
SQLITE_VACUUM_STEP_PAGES = 1024
INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL


class DatabaseUrlError(VantageError):
    pass


def async_url(url: str) -> sa.URL:
    """Map a user's URL (`sqlite:///file.db`, `postgresql://user@host/db`) to its async driver."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseUrlError(
            f"cannot parse database URL {url!r}: use sqlite:///path/to/file.db "
            "or postgresql://user@host:port/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseUrlError(
        f"unsupported database {backend!r}: use sqlite:///path/to/file.db "
        "or postgresql://user@host:port/db"
    )


def _sqlite_engine(url: sa.URL, *, begin: str, pool_size: int, inline: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            # SQLAlchemy's aiosqlite dialect opens connections with this instead of
            # aiosqlite.connect, keeping the URL's arguments (vantage.db.sqlite_driver).
            "async_creator_fn": functools.partial(sqlite_driver.connect, inline=inline),
        },
    )

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First: the pragmas below read the file, and without a busy timeout a second process
        # (a `vantage` command beside the server) is refused at once while the server writes.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Takes effect only in a file that has no table yet (a new database): pages that
        # retention frees are then given back to the file system by `reclaim_space`. An existing
        # file keeps its mode until a VACUUM (docs/retention.md).
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Truncate the WAL back to this size after a checkpoint: a burst of deletes must not leave
        # a large -wal file behind for good.
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_LIMIT_BYTES}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


def check_database_url(url: str) -> None:
    """Raise DatabaseUrlError now for a URL that cannot work, before anything starts."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_path(parsed)


def _check_sqlite_path(url: sa.URL) -> None:
    # Said up front: SQLite's own "unable to open database file" does not say which part is wrong.
    if url.database and url.database != ":memory:":
        parent = Path(url.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise DatabaseUrlError(
                f"cannot open the SQLite file {url.database}: the directory {parent} does not exist"
            )


def _create_private(url: sa.URL) -> None:
    """Create a new SQLite file readable by its owner only: it holds check secrets (headers,
    basic-auth passwords, environment variables) in plaintext. SQLite gives the -wal and -shm files
    the main file's mode. An existing file keeps the mode its operator gave it."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(Path(path).expanduser(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class Database:
    """Read and write transactions over one database, whichever its dialect."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        self._write_lock = asyncio.Lock()
        if self.is_sqlite:
            _check_sqlite_path(self.url)
            _create_private(self.url)
            self.read_engine = _sqlite_engine(
                self.url, begin="BEGIN", pool_size=pool_size, inline=False
            )
            self.write_engine = _sqlite_engine(
                # The writer's statements skip the thread trip (vantage.db.sqlite_driver).
                self.url,
                begin="BEGIN IMMEDIATE",
                pool_size=1,
                inline=True,
            )
        else:
            self.read_engine = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size
            )
            self.write_engine = self.read_engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read whose statements all see one committed state, for a page built from several
        queries (a session and its results) that must agree. SQLite's read transaction already
        is one; PostgreSQL's default READ COMMITTED lets a commit land between two statements."""
        async with self.read_engine.connect() as conn:
            if not self.is_sqlite:
                await conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends and rolls back on an exception. What
        the block puts in `after_commit(conn)` runs once it has committed."""
        hooks: list[Callable[[], None]] = []
        if self.is_sqlite:
            async with (
                self._write_lock,
                self.write_engine.begin() as conn,
                _hooked(conn, hooks),
            ):
                yield conn
        else:
            async with self.write_engine.begin() as conn, _hooked(conn, hooks):
                yield conn
        for hook in hooks:
            hook()

    @asynccontextmanager
    async def exclusive(self, key: int) -> AsyncIterator[bool]:
        """Whether this process may do the work named `key` alone: on PostgreSQL, a session-level
        advisory lock taken without waiting (False while another replica holds it) and held on a
        connection of its own, outside any transaction, until the block ends. SQLite is one
        process's file, so there it is always True."""
        if self.is_sqlite:
            yield True
            return
        async with self.read_engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(await conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            try:
                yield held
            finally:
                if held:
                    await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    async def shrinks_after_deletes(self) -> bool:
        """Whether deleted rows give their space back: always on PostgreSQL (autovacuum reuses
        it); on SQLite only in a file with incremental auto-vacuum (every file this version
        creates; an older one needs a VACUUM once, see docs/retention.md)."""
        if not self.is_sqlite:
            return True
        async with self.read() as conn:
            return bool(await conn.scalar(sa.text("PRAGMA auto_vacuum")) == INCREMENTAL)

    async def reclaim_space(self) -> int:
        """Give the SQLite file's free pages back to the file system (incremental vacuum), a few
        at a time so that writers wait at most one step; return how many pages were freed.
        Nothing to do on PostgreSQL (autovacuum) or in a file without incremental auto-vacuum."""
        if not self.is_sqlite:
            return 0
        freed = 0
        while True:
            async with self.write() as conn:
                mode = await conn.scalar(sa.text("PRAGMA auto_vacuum"))
                free = int(await conn.scalar(sa.text("PRAGMA freelist_count")) or 0)
                if mode != INCREMENTAL or free == 0:
                    return freed
                step = min(free, SQLITE_VACUUM_STEP_PAGES)
                # The pragma frees one page per step of its statement, and Python's sqlite3 steps
                # an execute() once (whatever is fetched): only executescript runs it to the end.
                # That first commits the (empty) BEGIN IMMEDIATE, so the pragma is a transaction
                # of its own, still under this process's write lock.
                driver: Any = (await conn.get_raw_connection()).driver_connection
                await driver.executescript(f"PRAGMA incremental_vacuum({step});")
                left = int(await conn.scalar(sa.text("PRAGMA freelist_count")) or 0)
            freed += free - left
            if left >= free:
                return freed
            await asyncio.sleep(0)

    def wakeup_bus(self, signals: Signals) -> WakeupBus:
        """How replicas sharing this database wake each other: LISTEN/NOTIFY on PostgreSQL, and
        nothing on SQLite, where one process holds the database."""
        if self.is_sqlite:
            return LocalBus()
        return PgEventBus(self.url.render_as_string(hide_password=False), signals)

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()


# The hooks of each open write transaction, by its connection's identity. Not in `conn.info`:
# after a cancellation mid-statement the connection is invalidated, and touching `info` then
# raises instead of the CancelledError, so the transaction was never rolled back and its locks
# were held until the process ended.
_HOOKS: dict[int, list[Callable[[], None]]] = {}


@asynccontextmanager
async def _hooked(conn: AsyncConnection, hooks: list[Callable[[], None]]) -> AsyncIterator[None]:
    key = id(conn)
    _HOOKS[key] = hooks
    try:
        yield
    finally:
        _HOOKS.pop(key, None)


def after_commit(conn: AsyncConnection) -> list[Callable[[], None]] | None:
    """The calls to make once `conn`'s transaction from `Database.write` has committed; None on
    another connection (a read, or a test's own)."""
    return _HOOKS.get(id(conn))
