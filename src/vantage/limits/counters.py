"""Where rate-limit counters live: in the process on SQLite, in PostgreSQL when replicas share it.

SQLite is the embedded default, one server process, so its counters are a dict: exact, and free
(a write per request would queue every read behind the one SQLite writer). On PostgreSQL every
replica counts in one table, one row per key and route, with one statement per request: an
`INSERT … ON CONFLICT DO UPDATE … RETURNING` in autocommit (one round trip, a row lock held for
that statement only). The row is updated in place (no indexed column changes, so PostgreSQL
makes it a HOT update) and the table holds at most keys × routes rows: nothing to sweep. A local
counter synced every few seconds would save that round trip but let N replicas each admit a
window's worth before they agree, so a limit would mean N times itself.
"""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from vantage.db.engine import Database
from vantage.db.tables import rate_limit_counters
from vantage.limits.rules import Window, count


class Counters(Protocol):
    async def hit(self, key: str, route: str, now: float, window: float) -> Window:
        """Count one request of `key` on `route` at `now`; the counter after it."""
        ...


class LocalCounters:
    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], Window] = {}
        self._next_sweep = 0.0

    async def hit(self, key: str, route: str, now: float, window: float) -> Window:
        counter = count(self._windows.get((key, route)), now, window)
        self._windows[(key, route)] = counter
        # Ended windows are forgotten once a window, so the dict holds the keys of about the
        # last two windows however many keys come and go.
        if now >= self._next_sweep:
            self._windows = {
                name: kept for name, kept in self._windows.items() if kept.started > now - window
            }
            self._next_sweep = now + window
        return counter


class SharedCounters:
    def __init__(self, db: Database) -> None:
        self._engine = db.write_engine.execution_options(isolation_level="AUTOCOMMIT")

    async def hit(self, key: str, route: str, now: float, window: float) -> Window:
        table = rate_limit_counters
        # vantage.limits.rules.count in SQL; both CASEs read the row as it was before.
        same_window = table.c.window_start > now - window
        statement = (
            pg_insert(table)
            .values(key_hash=key, route=route, window_start=now, hits=1)
            .on_conflict_do_update(
                index_elements=[table.c.key_hash, table.c.route],
                set_={
                    "hits": sa.case((same_window, table.c.hits + 1), else_=1),
                    "window_start": sa.case((same_window, table.c.window_start), else_=now),
                },
            )
            .returning(table.c.window_start, table.c.hits)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(statement)).one()
        return Window(started=row.window_start, hits=row.hits)


def counters_for(db: Database) -> Counters:
    return LocalCounters() if db.is_sqlite else SharedCounters(db)
