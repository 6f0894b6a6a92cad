"""Keeping PostgreSQL's daily partitions of `check_results`: today's and the next days' are
created ahead, and the days wholly past the retention cutoff are dropped (`db/partitions.py`
says which). Each partition is created or dropped in a transaction of its own that gives up after
LOCK_TIMEOUT instead of queueing reads and writes behind its lock; what failed is tried again by
the next pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db import partitions
from vantage.db.engine import Database

log = structlog.get_logger(__name__)

# Dropping a partition needs the parent to itself for a moment: it waits for the statements that
# use `check_results` to end, and every statement that comes after it waits for it. Bounded so a
# long report cannot stall result intake behind the drop.
LOCK_TIMEOUT = "5s"


@dataclass(slots=True)
class Upkeep:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


async def partition_names(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": partitions.PARENT},
    )
    return [name for (name,) in rows]


async def _each(db: Database, statements: list[str]) -> bool:
    """Run `statements` in one transaction; False (logged) when it failed, e.g. on the lock."""
    try:
        async with db.write() as conn:
            await conn.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            for statement in statements:
                await conn.execute(sa.text(statement))
    except sa.exc.DBAPIError as exc:
        log.warning("partition upkeep failed; the next pass tries again", error=str(exc.orig))
        return False
    return True


async def keep(db: Database, today: date, cutoff: datetime | None) -> Upkeep:
    """Create the partitions from `today` on that are missing; drop those wholly before `cutoff`
    (None: drop nothing). Nothing on SQLite, whose one table is not partitioned."""
    done = Upkeep()
    if db.is_sqlite:
        return done
    async with db.read() as conn:
        names = await partition_names(conn)
    for new in partitions.to_create(names, today):
        if await _each(db, partitions.create_statements(new)):
            done.created.append(new.name)
    if cutoff is not None:
        for old in partitions.to_drop(names, cutoff):
            if await _each(db, [partitions.drop_statement(old)]):
                done.dropped.append(old.name)
    if done.created or done.dropped:
        log.info("partitions kept", created=done.created, dropped=done.dropped)
    return done
