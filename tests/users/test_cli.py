"""`vantage users create`, as an operator types it."""

from __future__ import annotations

import subprocess
import sys

from tests.support.harness import Harness, Persona
from tests.support.ui import browser, log_in


def users_create(database_url: str, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vantage", "users", "create", *args, "--database-url", database_url],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_user_made_on_the_command_line_can_log_in(
    vantage: Harness, alice: Persona, database_url: str
) -> None:
    password = "a long enough password"
    done = users_create(
        database_url,
        "Ops@Example.com",
        "--account",
        alice.account_id,
        "--role",
        "admin",
        "--password-stdin",
        password=password,
    )
    assert done.returncode == 0, done.stderr
    assert "ops@example.com (admin)" in done.stdout
    assert password not in done.stdout + done.stderr
    answer = await log_in(browser(vantage), "OPS@example.com", password)
    assert answer.status_code == 303


async def test_a_short_password_an_unknown_role_or_account_fail_in_one_line(
    vantage: Harness, alice: Persona, database_url: str
) -> None:
    cases = [
        (["a@example.com", "--account", alice.account_id, "--password-stdin"], "short"),
        (
            ["a@example.com", "--account", alice.account_id, "--role", "root", "--password-stdin"],
            "a long enough password",
        ),
        (
            [
                "a@example.com",
                "--account",
                "00000000-0000-0000-0000-000000000000",
                "--password-stdin",
            ],
            "a long enough password",
        ),
    ]
    for args, password in cases:
        done = users_create(database_url, *args, password=password)
        assert done.returncode == 1, done.stdout
        assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1
