"""Three `vantage server` replicas on one PostgreSQL deliver alerts to a receiver that fails each
notification's first attempt and answers slowly; one replica is SIGKILLed mid-delivery (issue 12,
"Done when"). Every notification arrives, in order per check; a notification is acknowledged twice
only if the killed replica held it, and then with the same webhook-id."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.support import Cluster, CountingTarget
from vantage.db.engine import Database
from vantage.db.tables import alert_notifications

pytestmark = pytest.mark.e2e

CHECKS = 12
BATCH = 4


class FlakyReceiver:
    """Answers 503 to each notification's first attempt, 200 after; every answer takes 0.2 s."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.acknowledged: Counter[str] = Counter()
        self.order: dict[str, list[tuple[str, str]]] = defaultdict(list)
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                key = self.headers.get("webhook-id", "")
                time.sleep(0.2)
                with lock:
                    receiver.attempts[key] += 1
                    ok = receiver.attempts[key] > 1
                    if ok:
                        receiver.acknowledged[key] += 1
                        receiver.order[self.path].append((key, self.headers["x-alert"]))
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    running = FlakyReceiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


async def rows(database_url: str) -> list[Any]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            result = await conn.execute(
                sa.select(alert_notifications).order_by(alert_notifications.c.seq)
            )
            return list(result.all())
    finally:
        await db.dispose()


async def test_three_replicas_deliver_each_alert_once_in_order_through_a_sigkill(
    pg_cluster: Cluster, target: CountingTarget, receiver: FlakyReceiver
) -> None:
    cluster = pg_cluster
    env = {
        "VANTAGE_ALERT_DENY": "",
        "VANTAGE_ALERT_POLL_SECONDS": "0.2",
        "VANTAGE_ALERT_BATCH": str(BATCH),
        # A replica holds no more than it has in flight: so the killed one held at most BATCH.
        "VANTAGE_ALERT_CONCURRENCY": str(BATCH),
        "VANTAGE_ALERT_RETRY_BASE_SECONDS": "0.1",
        "VANTAGE_ALERT_SEND_TIMEOUT_SECONDS": "2",
        "VANTAGE_ALERT_LEASE_SECONDS": "4",
    }
    extra: dict[str, Any] = env
    runner = cluster.server(local_agent=True, **extra)
    doomed = cluster.server(**extra)
    cluster.server(**extra)
    api = cluster.api(runner)
    hook = await api.client.post(
        "/v1/alert-channels",
        json={
            "type": "WEBHOOK",
            "config": {
                "url": receiver.url + "/{{CHECK_ID}}",
                "headers": [{"key": "X-Alert", "value": "{{ALERT_TYPE}}"}],
            },
        },
    )
    assert hook.status_code == 201, hook.text
    check_ids = [
        await api.create_check(target.url("e2e-alert", 0), ["local"], name=f"c{n}")
        for n in range(CHECKS)
    ]
    # failing: the target answers 200, the check wants 500
    for check_id in check_ids:
        body = {
            "request": {
                "assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "500"}]
            }
        }
        assert (await api.client.put(f"/v1/checks/{check_id}", json=body)).status_code == 200
    sessions = [await api.trigger(c) for c in check_ids]
    for session in sessions:
        assert (await api.completion(session))["status"] == "FAILED"
    # recovering: the same checks pass, so each failure is followed by its recovery
    for check_id in check_ids:
        body = {
            "request": {
                "assertions": [{"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}]
            }
        }
        assert (await api.client.put(f"/v1/checks/{check_id}", json=body)).status_code == 200
    sessions = [await api.trigger(c) for c in check_ids]

    # mid-delivery, one replica dies without a word
    deadline = time.monotonic() + 30
    while sum(receiver.attempts.values()) < CHECKS // 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    doomed.kill()
    for session in sessions:
        assert (await api.completion(session))["status"] == "PASSED"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stored = await rows(cluster.database_url)
        if len(stored) == 2 * CHECKS and all(r.status == "SUCCESS" for r in stored):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError([(r.alert_type, r.status, r.attempts) for r in stored])

    assert set(receiver.acknowledged) == {r.id for r in stored}
    twice = [key for key, n in receiver.acknowledged.items() if n > 1]
    assert len(twice) <= BATCH, twice  # only what the killed replica held at most
    for check_id in check_ids:
        types = [alert for _, alert in receiver.order[f"/{check_id}"]]
        deduplicated = [t for i, t in enumerate(types) if i == 0 or t != types[i - 1]]
        assert deduplicated == ["ALERT_FAILURE", "ALERT_RECOVERY"], types
