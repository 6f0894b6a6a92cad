"""Test databases: a fresh SQLite file per test, and the PostgreSQL that CI starts, emptied per
test. PostgreSQL is never skipped silently: without it the suite fails and says how to start it,
unless VANTAGE_TEST_POSTGRES=skip is set on purpose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from vantage.db.engine import Database
from vantage.db.migrate import upgrade
from vantage.db.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DIALECTS = ["sqlite", "postgresql"]


def postgres_url() -> str:
    return os.environ.get("VANTAGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vantage.db'}"


async def fresh_postgres() -> str:
    """Migrate the test database to head and empty every table."""
    if os.environ.get("VANTAGE_TEST_POSTGRES") == "skip":
        pytest.skip("VANTAGE_TEST_POSTGRES=skip: PostgreSQL tests deliberately not run")
    url = postgres_url()
    db = Database(url, pool_size=1)
    try:
        await upgrade(db)
        async with db.write() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            await conn.execute(sa.text(f"TRUNCATE {names}"))
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url} ({exc}). Start it (see .ci/run) or set "
            "VANTAGE_TEST_POSTGRES_URL; VANTAGE_TEST_POSTGRES=skip skips these tests on purpose."
        )
    finally:
        await db.dispose()
    return url


async def database_url_for(dialect: str, tmp_path: Path) -> str:
    if dialect == "postgresql":
        return await fresh_postgres()
    return sqlite_url(tmp_path)
