"""How long one API probe holds its event loop while judging a response (issue 8, H2).

Runs `run_api_check` on uvloop, as the server's embedded agent does, against a local target that
answers a prepared body, while a ticker task on the same loop wakes every millisecond. The
longest gap between two ticks is the longest the loop could not answer anyone else. Prints the
median and maximum of that gap per scenario.

    python -m benchmarks.judge_stall [--reps 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvloop

from vantage.probes.http.probe import run_api_check

ITEMS = 18_000  # about 1 MB of JSON, under the probe's 1 MiB body cap
BODIES: dict[str, tuple[bytes, str]] = {
    "/small": (b'{"ok":true}', "application/json"),
    "/json": (
        json.dumps(
            [{"id": i, "name": f"item-{i}", "tags": ["x", "y"]} for i in range(ITEMS)]
        ).encode(),
        "application/json",
    ),
    "/aaa": (b"a" * 24 + b"!", "text/plain"),
}


def assertion(source: str, comparison: str, target: str, **more: str) -> dict[str, str]:
    return {"source": source, "comparison": comparison, "target": target, **more}


SCENARIOS: list[tuple[str, str, list[dict[str, str]]]] = [
    ("small body, status code", "/small", [assertion("STATUS_CODE", "EQUALS", "200")]),
    (
        "1 MB JSON, $[0].id",
        "/json",
        [assertion("JSON_BODY", "EQUALS", "0", property="$[0].id")],
    ),
    (
        "1 MB JSON, $..id",
        "/json",
        [assertion("JSON_BODY", "CONTAINS", "17999", property="$..id")],
    ),
    (
        "1 MB text, regex",
        "/json",
        [assertion("TEXT_BODY", "EQUALS", "17999", regex=r'"id": (\d+), "name": "item-17999"')],
    ),
    (
        "25 B text, (a+)+$ on 24 a's",
        "/aaa",
        [assertion("TEXT_BODY", "EQUALS", "x", regex="(a+)+$")],
    ),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body, content_type = BODIES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def longest_stall(url: str, assertions: list[dict[str, str]]) -> tuple[float, bool]:
    """The longest gap between ticks (ms) over one probe, and whether the check passed."""
    gaps: list[float] = []
    done = False

    async def tick() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    gaps.clear()
    check = {"checkType": "API", "request": {"method": "GET", "url": url, "assertions": assertions}}
    result = await run_api_check(check)
    done = True
    await ticker
    return max(gaps) * 1000, not result.has_failures


async def measure(base: str, reps: int) -> None:
    print(f"{'scenario':32s} {'median ms':>10s} {'max ms':>8s}  passed")
    for name, path, assertions in SCENARIOS:
        stalls = []
        passed = set()
        for _ in range(reps):
            stall, ok = await longest_stall(base + path, assertions)
            stalls.append(stall)
            passed.add(ok)
        print(f"{name:32s} {statistics.median(stalls):10.1f} {max(stalls):8.1f}  {passed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with target() as base:
        uvloop.run(measure(base, args.reps))


if __name__ == "__main__":
    main()
