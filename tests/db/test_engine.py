"""The database handle's own promises: a new SQLite file is private to its owner and gives freed
pages back."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import sqlalchemy as sa

from tests.support.databases import sqlite_url
from vantage.accounts.service import create_account
from vantage.db.engine import Database
from vantage.db.migrate import upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_sqlite_file_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "vantage.db"
    old_umask = os.umask(0o022)  # the usual umask, under which files are world-readable
    try:
        db = Database(f"sqlite:///{path}")
        try:
            await upgrade(db)
            async with db.write() as conn:
                await create_account(conn, "ops")
            async with db.read() as conn:
                assert await conn.scalar(sa.text("SELECT count(*) FROM accounts")) == 1
            # while connections are open, the write-ahead log and shared memory exist
            names = {p.name for p in tmp_path.iterdir()}
            assert {"vantage.db", "vantage.db-wal", "vantage.db-shm"} <= names
            for name in names:
                assert mode(tmp_path / name) == 0o600, name
        finally:
            await db.dispose()
    finally:
        os.umask(old_umask)


async def test_an_existing_sqlite_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "vantage.db"
    path.touch()
    path.chmod(0o640)  # the operator's choice, e.g. for a backup group
    db = Database(f"sqlite:///{path}")
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    assert mode(path) == 0o640


async def test_a_new_sqlite_file_gives_freed_pages_back_to_the_file_system(
    tmp_path: Path,
) -> None:
    """auto_vacuum=INCREMENTAL from the first connection, so deleting rows and then
    `reclaim_space` shrinks the file instead of leaving free pages in it for good."""
    db = Database(sqlite_url(tmp_path))
    try:
        await upgrade(db)
        async with db.write() as conn:
            assert await conn.scalar(sa.text("PRAGMA auto_vacuum")) == 2
            await conn.execute(sa.text("CREATE TABLE filler (blob)"))
            await conn.execute(
                sa.text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
                    " INSERT INTO filler SELECT randomblob(1000) FROM n"
                )
            )
        async with db.write() as conn:
            await conn.execute(sa.text("DELETE FROM filler"))
            pages = await conn.scalar(sa.text("PRAGMA page_count"))
            free = await conn.scalar(sa.text("PRAGMA freelist_count"))
        assert free > 1000

        steps: list[object] = []
        sa.event.listen(db.write_engine.sync_engine, "begin", steps.append)

        assert await db.reclaim_space() >= free
        # A step frees up to 1,024 pages, not one page per transaction.
        assert len(steps) <= free // 1024 + 2

        async with db.read() as conn:
            assert await conn.scalar(sa.text("PRAGMA freelist_count")) == 0
            assert await conn.scalar(sa.text("PRAGMA page_count")) <= pages - free
    finally:
        await db.dispose()


async def test_a_file_created_without_incremental_auto_vacuum_says_so_until_vacuumed(
    tmp_path: Path,
) -> None:
    """A file from before this version keeps its free pages; the documented VACUUM converts it."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE t (x)")
    db = Database(f"sqlite:///{path}")
    try:
        assert await db.shrinks_after_deletes() is False
    finally:
        await db.dispose()
    with sqlite3.connect(path, isolation_level=None) as old:
        old.execute("PRAGMA auto_vacuum=INCREMENTAL")
        old.execute("VACUUM")
    db = Database(f"sqlite:///{path}")
    try:
        assert await db.shrinks_after_deletes() is True
    finally:
        await db.dispose()
