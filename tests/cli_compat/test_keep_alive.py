"""The CLI never writes a request on a connection the server is closing ("socket hang up"): after
each response, the CLI's own HTTP stack (its axios on Node's global agent) keeps the idle socket for
less time than `vantage server` keeps it open."""

from __future__ import annotations

import json
import subprocess

import pytest

from vantage.api.keep_alive import KEEP_ALIVE_SECONDS

from .conftest import CLI_PREFIX, NODE_BIN, Account, VantageServer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("describe_server")]

AXIOS = CLI_PREFIX / "node_modules" / "axios" / "dist" / "node" / "axios.cjs"

# Prints, for each response, how long Node's agent will keep the socket idle in its pool. The
# agent's own 'free' listener (registered when it is made) has set that timeout when this one runs.
IDLE_TIMEOUTS = """
const http = require('node:http')
const axios = require(process.argv[1])
const [url, accountId, apiKey] = process.argv.slice(2)
http.globalAgent.on('free', (socket) => console.log(JSON.stringify(socket.timeout ?? null)))
const headers = { Authorization: `Bearer ${apiKey}`, 'x-checkly-account': accountId }
;(async () => {
  await axios.get(`${url}/next/accounts/${accountId}`, { headers })
  await axios.get(`${url}/v1/runtimes`, { headers })
})().catch((err) => { console.error(err.message); process.exitCode = 1 })
"""


def test_the_clis_idle_sockets_expire_before_the_server_closes_them(
    checkly_cli_installed: str, vantage_server: VantageServer, account: Account
) -> None:
    proc = subprocess.run(
        [
            str(NODE_BIN),
            "-e",
            IDLE_TIMEOUTS,
            str(AXIOS),
            vantage_server.base_url,
            account.account_id,
            account.api_key,
        ],
        capture_output=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_PROXY": "*"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    idle_ms = [json.loads(line) for line in proc.stdout.decode().split()]

    assert len(idle_ms) == 2
    # Still reused (a 0 would mean a new connection per request), never past the server's close.
    assert all(0 < ms < KEEP_ALIVE_SECONDS * 1000 for ms in idle_ms), idle_ms
