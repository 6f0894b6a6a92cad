"""The database handle's own promises: a new SQLite file is private to its owner."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import sqlalchemy as sa

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
