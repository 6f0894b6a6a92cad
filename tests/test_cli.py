"""The `vantage` command line, run as the operator runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from tests.support.checks import api_check
from tests.support.cli import vantage
from tests.support.databases import postgres_url
from tests.targets.http_target import HttpTarget
from vantage.db.migrate import alembic_config

pytestmark = pytest.mark.e2e


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def create_account(database_url: str, name: str = "ops") -> dict[str, Any]:
    done = vantage("accounts", "create", name, "--json", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def assert_one_line_error(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert done.stdout == ""


# accounts and keys


def test_accounts_create_prints_the_account_and_its_key_as_json(database_url: str) -> None:
    body = create_account(database_url, "my-team")
    assert set(body) == {"accountId", "apiKey"}
    assert uuid.UUID(body["accountId"])
    assert body["apiKey"].startswith("vtg_")


def test_accounts_create_prints_text_by_default(database_url: str) -> None:
    done = vantage("accounts", "create", "my-team", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    assert "my-team" in done.stdout
    assert "vtg_" in done.stdout
    assert "shown only once" in done.stderr


def test_the_database_url_may_come_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_DATABASE_URL", database_url)
    done = vantage("accounts", "create", "from-env", "--json")
    assert done.returncode == 0, done.stderr
    assert Path(database_url.removeprefix("sqlite:///")).exists()


def test_api_keys_create_adds_a_second_key(database_url: str) -> None:
    account = create_account(database_url)
    done = vantage(
        "api-keys", "create", "--account", account["accountId"], "--json",
        "--database-url", database_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["accountId"] == account["accountId"]
    assert body["apiKey"].startswith("vtg_")
    assert body["apiKey"] != account["apiKey"]


def test_api_keys_create_for_an_unknown_account_fails_in_one_line(database_url: str) -> None:
    create_account(database_url)
    missing = str(uuid.uuid4())
    done = vantage("api-keys", "create", "--account", missing, "--database-url", database_url)
    assert_one_line_error(done)
    assert missing in done.stderr


def test_accounts_alert_settings_sets_and_shows_an_accounts_alert_settings(
    database_url: str,
) -> None:
    account = create_account(database_url)["accountId"]
    shown = vantage("accounts", "alert-settings", account, "--database-url", database_url)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["runBasedEscalation"] == {"failedRunThreshold": 1}
    wanted = {"runBasedEscalation": {"failedRunThreshold": 3}, "reminders": {"amount": 2}}
    done = vantage(
        "accounts", "alert-settings", account, "--set", json.dumps(wanted),
        "--database-url", database_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = vantage("accounts", "alert-settings", account, "--database-url", database_url)
    settings = json.loads(shown.stdout)
    assert settings["runBasedEscalation"] == {"failedRunThreshold": 3}
    assert settings["reminders"] == {"amount": 2, "interval": 5}


def test_accounts_alert_settings_rejects_a_bad_field_naming_it(database_url: str) -> None:
    account = create_account(database_url)["accountId"]
    bad = json.dumps({"runBasedEscalation": {"failedRunThreshold": 9}})
    done = vantage(
        "accounts", "alert-settings", account, "--set", bad, "--database-url", database_url
    )
    assert_one_line_error(done)
    assert "runBasedEscalation.failedRunThreshold" in done.stderr


# the database


def test_db_upgrade_migrates_a_new_sqlite_file(database_url: str) -> None:
    done = vantage("db", "upgrade", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database at revision {head_revision()}"
    again = vantage("db", "upgrade", "--database-url", database_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout == done.stdout


@pytest.fixture
async def empty_postgres_url() -> AsyncIterator[str]:
    """A database of this test's own, created empty: the shared one may have been migrated by a
    newer branch, and `db upgrade` must start from nothing."""
    if os.environ.get("VANTAGE_TEST_POSTGRES") == "skip":
        pytest.skip("VANTAGE_TEST_POSTGRES=skip: PostgreSQL tests deliberately not run")
    base = make_url(postgres_url()).set(drivername="postgresql")
    name = f"vantage_cli_{os.getpid()}"
    conn = await asyncpg.connect(base.render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(False)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def test_db_upgrade_on_postgresql(empty_postgres_url: str) -> None:
    done = vantage("db", "upgrade", "--database-url", empty_postgres_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database at revision {head_revision()}"


BAD_URLS = {
    "another database": "mysql://x",
    "not a url": "not a url",
    "an unreachable server": "postgresql://postgres@127.0.0.1:1/test",
    "a sqlite file in a missing directory": "sqlite:////nonexistent-vantage-dir/x.db",
    "an unknown postgresql database": "postgresql://postgres@127.0.0.1:5432/no_such_vantage_db",
}


@pytest.mark.parametrize("url", list(BAD_URLS.values()), ids=list(BAD_URLS))
@pytest.mark.parametrize(
    "command",
    [["db", "upgrade"], ["accounts", "create", "x"], ["api-keys", "create", "--account", "x"]],
    ids=["db-upgrade", "accounts-create", "api-keys-create"],
)
def test_a_bad_database_url_is_one_line_on_stderr(command: list[str], url: str) -> None:
    assert_one_line_error(vantage(*command, "--database-url", url))


def test_the_server_refuses_a_bad_database_url_in_one_line() -> None:
    done = vantage("server", "--port", str(free_port()), "--database-url", "mysql://x")
    assert_one_line_error(done)


BAD_POLICY = "'link_local' is not a CIDR, an IP address or one of loopback, link-local, metadata"


def test_the_server_refuses_a_bad_probe_policy_in_one_line(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("VANTAGE_PROBE_DENY", "loopback,link_local")
    done = vantage("server", "--port", str(free_port()), "--database-url", database_url)
    assert_one_line_error(done)
    assert f"VANTAGE_PROBE_DENY: {BAD_POLICY}" in done.stderr


def test_an_agent_refuses_a_bad_probe_policy_in_one_line(tmp_path: Path) -> None:
    done = vantage(
        "agent", "--server", "http://127.0.0.1:1", "--location", "x", "--key", "k",
        "--outbox", str(tmp_path), "--probe-deny", "loopback,link_local",
    )  # fmt: skip
    assert_one_line_error(done)
    assert f"--probe-deny (VANTAGE_PROBE_DENY): {BAD_POLICY}" in done.stderr


@pytest.mark.parametrize("server", ["localhost:8080", "vantage.example", "http://"])
def test_an_agent_refuses_a_malformed_server_url_in_one_line_instead_of_retrying(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: str
) -> None:
    monkeypatch.setenv("VANTAGE_AGENT_KEY", "vtg_agent_k")
    done = vantage(
        "agent", "--server", server, "--location", "x", "--outbox", str(tmp_path), timeout=30,
    )  # fmt: skip
    assert_one_line_error(done)
    assert "--server (VANTAGE_SERVER):" in done.stderr
    assert "is not a server URL: give its scheme and host" in done.stderr


def test_an_agent_without_a_key_names_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VANTAGE_AGENT_KEY", raising=False)
    done = vantage(
        "agent", "--server", "http://127.0.0.1:1", "--location", "x", "--outbox", str(tmp_path)
    )
    assert_one_line_error(done)
    assert "--key (VANTAGE_AGENT_KEY): required" in done.stderr


def test_the_agent_has_a_flag_for_every_setting() -> None:
    import typer

    from vantage.cli import app
    from vantage.config import AgentSettings

    agent = typer.main.get_command(app).commands["agent"]  # type: ignore[attr-defined]
    assert {p.name for p in agent.params} == set(AgentSettings.model_fields)


# the server, end to end


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vantage", "server", "--port", str(port),
             "--database-url", database_url],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            # the check probes a loopback target, which the embedded agent denies by default
            env={**os.environ, "VANTAGE_PROBE_DENY": "link-local,metadata"},
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx2.get(f"{base}/v1/locations", timeout=1)
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield process, base, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_server_runs_a_check_for_an_account_made_while_it_runs(
    server: tuple[subprocess.Popen[str], str, Path], database_url: str, http_target: HttpTarget
) -> None:
    process, base, log = server
    account = create_account(database_url, "e2e")
    headers = {
        "Authorization": f"Bearer {account['apiKey']}",
        "X-Checkly-Account": account["accountId"],
    }
    with httpx2.Client(base_url=base, headers=headers, timeout=30) as client:
        created = client.post("/v1/checks/api", json=api_check(f"{http_target.base_url}/ok"))
        assert created.status_code == 201, created.text
        check_id = created.json()["id"]

        triggered = client.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [check_id]}}
        )
        assert triggered.status_code == 201, triggered.text
        [session] = triggered.json()["sessions"]
        assert session["checkSessionLink"].startswith(base)

        done = client.get(
            f"/v2/check-sessions/{session['checkSessionId']}/completion",
            params={"maxWaitSeconds": 20},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "PASSED"
        assert done.json()["runSource"] == "TRIGGER_API"

        assert client.get("/v1/checks", headers={"Authorization": "Bearer nope"}).status_code == 401

    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=10)
    output = log.read_text()
    assert "vantage stopped" in output  # the lifespan ran to its end
    assert "Traceback" not in output
    assert code == 0, f"exit code {code} after SIGTERM"


# One configuration surface: the server's flags are the Settings fields.


def test_the_server_has_a_flag_for_every_setting() -> None:
    import typer

    from vantage.cli import NOT_FLAGS, app
    from vantage.config import Settings

    server = typer.main.get_command(app).commands["server"]  # type: ignore[attr-defined]
    assert {p.name for p in server.params} == set(Settings.model_fields) - NOT_FLAGS


def test_the_server_refuses_a_lease_shorter_than_the_longest_run_in_one_line(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("VANTAGE_LEASE_SECONDS", "4")
    done = vantage("server", "--port", str(free_port()), "--database-url", database_url)
    assert_one_line_error(done)
    assert "VANTAGE_LEASE_SECONDS=4 is shorter than the longest run (47 s)" in done.stderr


def test_a_flag_given_wins_over_its_variable(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("VANTAGE_LEASE_SECONDS", "90")
    done = vantage(
        "server", "--port", str(free_port()), "--database-url", database_url,
        "--lease-seconds", "5",
    )  # fmt: skip
    assert_one_line_error(done)
    assert "VANTAGE_LEASE_SECONDS=5 is shorter" in done.stderr


def test_the_server_honours_vantage_local_agent_false(monkeypatch: pytest.MonkeyPatch) -> None:
    # Off, the embedded agent's lease does not matter: the refusal left is the database URL's.
    monkeypatch.setenv("VANTAGE_LOCAL_AGENT", "false")
    monkeypatch.setenv("VANTAGE_LEASE_SECONDS", "4")
    done = vantage("server", "--port", str(free_port()), "--database-url", "mysql://x")
    assert_one_line_error(done)
    assert "LEASE" not in done.stderr and "mysql" in done.stderr
