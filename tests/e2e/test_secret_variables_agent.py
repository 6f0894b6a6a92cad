"""A secret environment variable reaches the request a real `vantage agent` sends, and nothing
else: the job waiting in the jobs table holds it sealed (the request as written, `{{TOKEN}}` and
all), the lease answer opens it for the agent, and neither the stored result, the API's answers
nor any log line of the server or the agent shows it. Both databases."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from tests.e2e.support import Cluster, CountingTarget, wait_for
from vantage.db.tables import check_results, jobs

# Three processes start on a machine that may be busy: their imports alone can take a minute.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

LOCATION = "vault"


async def test_an_agent_runs_with_a_secret_that_no_row_result_or_log_line_holds(
    cluster: Cluster, target: CountingTarget
) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    server = cluster.server(VANTAGE_SECRETS_KEY="the operator's key")
    api = cluster.api(server)
    cluster.location(LOCATION)
    created = await api.client.post(
        "/v1/variables", json={"key": "TOKEN", "value": secret, "secret": True}
    )
    assert created.status_code == 201, created.text
    check_id = await api.create_check(
        target.url("{{TOKEN}}", 0),
        [LOCATION],
        request={"headers": [{"key": "X-Token", "value": "{{TOKEN}}"}]},
    )

    # Triggered before any agent runs: the job waits in the jobs table as stored.
    session_id = await api.trigger(check_id)
    [waiting] = await cluster.rows(sa.select(sa.cast(jobs.c.config, sa.Text())))
    assert secret not in waiting[0]
    stored = json.loads(waiting[0])
    assert "{{TOKEN}}" in stored["request"]["url"] and stored["sealedRun"].startswith("v1:")

    agent = cluster.agent(server.url, LOCATION)
    session = await api.completion(session_id)
    assert session["status"] == "PASSED", json.dumps(session)
    # the target saw the secret in the path: the agent ran with it opened
    await wait_for(lambda: target.hits(secret) == 1, what="the run's request with the secret")

    rows = await cluster.rows(sa.select(check_results))
    assert rows and secret not in json.dumps([list(map(str, row)) for row in rows])
    jobs_now = await cluster.rows(sa.select(sa.cast(jobs.c.config, sa.Text())))
    assert all(secret not in row[0] for row in jobs_now)
    [result] = (await api.client.get(f"/v1/check-results/{check_id}")).json()
    detail = await api.result(check_id, result["id"])
    assert detail.status_code == 200 and secret not in detail.text
    assert "{{TOKEN}}" not in detail.text  # the result shows the request as sent, masked
    assert secret not in server.log.read_text()
    assert secret not in agent.output()
