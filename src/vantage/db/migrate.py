"""Run Alembic migrations from code (server start, `vantage db upgrade`, tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from vantage.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


# Any constant: replicas starting together take turns on it instead of migrating at once.
MIGRATION_LOCK = 0x76616E74


async def upgrade(db: Database, revision: str = "head") -> None:
    # The migration runs in the write transaction so SQLite's writer lock is taken first; on
    # PostgreSQL a transaction-scoped advisory lock does the same for replicas starting together.
    async with db.write() as conn:
        if not db.is_sqlite:
            lock = sa.text("SELECT pg_advisory_xact_lock(:key)")
            await conn.execute(lock, {"key": MIGRATION_LOCK})
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with db.read() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
