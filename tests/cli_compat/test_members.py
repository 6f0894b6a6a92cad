"""The real Checkly CLI's `members`, `members update` and `members delete` against Vantage: the
account's web UI users, made with `vantage users create`, are its members."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.cli_compat.conftest import Account, ChecklyCli, VantageServer


def _add_user(server: VantageServer, account: Account, email: str, role: str) -> None:
    done = subprocess.run(
        [server.vantage_bin, "users", "create", email, "--account", account.account_id]
        + ["--role", role, "--password-stdin", "--database-url", server.database_url],
        input="a password of some length\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.timeout(300)
def test_members_lists_updates_and_removes_the_accounts_users(
    checkly: ChecklyCli, vantage_server: VantageServer, account: Account
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin, viewer = f"ada-{tag}@example.com", f"bo-{tag}@example.com"
    _add_user(vantage_server, account, admin, "admin")
    _add_user(vantage_server, account, viewer, "read-only")

    listed = checkly.run("members", "--search", tag)
    assert listed.exit_code == 0, listed.describe()
    assert admin in listed.output and viewer in listed.output, listed.describe()
    assert "READ_ONLY" in listed.output and "ACTIVE" in listed.output

    updated = checkly.run("members", "update", viewer, "-r", "read_write", "--force")
    assert updated.exit_code == 0, updated.describe()
    assert f'Account member "{viewer}" updated.' in updated.output
    assert "READ_WRITE" in updated.output

    refused = checkly.run("members", "update", viewer, "-r", "read_run", "--force")
    assert refused.exit_code == 1, refused.describe()
    assert "Vantage has no OWNER or READ_RUN role" in refused.output

    removed = checkly.run("members", "delete", viewer, "--force")
    assert removed.exit_code == 0, removed.describe()
    after = checkly.run("members", "--search", tag)
    assert admin in after.output and viewer not in after.output, after.describe()
