"""`checkly test` against two replicas on PostgreSQL: the CLI subscribes on replica A
(`CHECKLY_MQTT_URL`) and starts the run on replica B (`CHECKLY_API_URL`), whose embedded agent
runs it; every result reaches the subscriber on A through LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli_compat.conftest import CHECKLY_ENTRY, NODE_BIN
from tests.cli_compat.project import write_project
from tests.e2e.support import Cluster, CountingTarget
from tests.targets.dns_target import dns_target

pytestmark = pytest.mark.e2e


async def test_checkly_test_streams_every_result_from_the_replica_that_ran_it(
    pg_cluster: Cluster, target: CountingTarget, tmp_path: Path
) -> None:
    assert NODE_BIN.exists(), "run scripts/install-checkly-cli.sh first"
    subscribed_on = pg_cluster.server(local_agent=False)
    runs_on = pg_cluster.server(local_agent=True)
    async with dns_target() as dns:
        project = write_project(
            tmp_path / "project",
            http=target.url("replicas", 0).split("?")[0].rsplit("/", 1)[0],
            tcp_port=target.port,
            dns_port=dns.port,
            failing=False,
        )
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "NO_COLOR": "1",
            "CHECKLY_ENV": "local",
            "CHECKLY_API_URL": runs_on.url,
            "CHECKLY_MQTT_URL": subscribed_on.url.replace("http://", "ws://") + "/mqtt",
            "CHECKLY_API_KEY": pg_cluster.api_key,
            "CHECKLY_ACCOUNT_ID": pg_cluster.account_id,
            "CHECKLY_SKIP_NEW_VERSION_CHECK": "true",
            "CHECKLY_NO_DOTENV": "1",
        }
        proc = await asyncio.to_thread(
            subprocess.run,
            [str(NODE_BIN), str(CHECKLY_ENTRY), "test"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    for name in ("API check", "URL monitor", "TCP monitor", "DNS monitor"):
        assert re.search(rf"✔ {name} \(\d+ms\)", output), output
    assert "4 passed, 4 total" in output, output
