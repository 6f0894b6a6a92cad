"""docs/operations.md stays true: it lists every setting, and its SQLite backup works while the
server writes."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.harness import running_vantage, settings_for
from vantage.config import Settings

DOC = Path(__file__).parent.parent / "docs" / "operations.md"


def test_operations_documents_every_setting() -> None:
    text = DOC.read_text()
    missing = [name for name in Settings.model_fields if f"`VANTAGE_{name.upper()}`" not in text]
    assert missing == []


def _documented_backup_command() -> str:
    for line in DOC.read_text().splitlines():
        if line.startswith("python3 -c") and "VACUUM INTO" in line:
            return line
    raise AssertionError("no python3 backup command in docs/operations.md")


async def test_the_documented_sqlite_backup_copies_a_running_servers_data(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'vantage.db'}", local_agent=False)
    async with running_vantage(settings, background=False) as vantage:
        alice = await vantage.persona("alice")
        created = await alice.post(
            "/v1/checks/api",
            json={"name": "kept", "request": {"method": "GET", "url": "https://example.com/"}},
        )
        assert created.status_code == 201, created.text
        # the server is running, its last writes in the WAL
        command = _documented_backup_command().removeprefix("python3 ")
        argv = [sys.executable, *shlex.split(command)]
        subprocess.run(argv, cwd=tmp_path, check=True, timeout=60)
    backup = sqlite3.connect(tmp_path / "vantage-backup.db")
    assert backup.execute("SELECT name FROM checks").fetchall() == [("kept",)]
    assert not (tmp_path / "vantage-backup.db-wal").exists()
