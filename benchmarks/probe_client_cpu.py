"""CPU seconds per 10,000 HTTP probes: Vantage's probe client vs the hand-written floor.

Same method as perf-anchors.md: `GET /ok` on a fresh TCP connection each, 50 in flight, IP-literal
target, CPU = `time.process_time()` of this process after a warm-up (imports, client and target
setup excluded). The target runs in a separate process (a minimal uvloop server, or `--url` for an
external one such as nginx), pinned to the other CPU when there are two. The raw-asyncio-streams
client is measured in the same run because absolute figures on a VM drift by 10-35%: compare the
ratio.

    .venv/bin/python benchmarks/probe_client_cpu.py [--n 10000] [--concurrency 50] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import urlsplit

import uvloop

from vantage.probes.http.client import HttpRequestSpec, RawHttpProbe

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
    b"Connection: close\r\n\r\n"
    b'{"ok":true}'
)


class _OkProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports don't subclass asyncio.Transport
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if b"\r\n\r\n" in self.buf and self.transport is not None:
            self.transport.write(RESPONSE)
            self.transport.close()


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_OkProtocol, "127.0.0.1", port, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def _start_target() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/ok"


async def _run(probe_once: Callable[[], Awaitable[int]], n: int, concurrency: int) -> float:
    failures = 0

    async def worker(count: int) -> None:
        nonlocal failures
        for _ in range(count):
            if await probe_once() != 200:
                failures += 1

    per, extra = divmod(n, concurrency)
    await asyncio.gather(*(worker(per + (i < extra)) for i in range(concurrency)))
    if failures:
        raise RuntimeError(f"{failures} of {n} probes did not get a 200")
    return 0.0


def _vantage_client(url: str) -> Callable[[], Awaitable[int]]:
    probe = RawHttpProbe()
    spec = HttpRequestSpec(url=url, timeout_s=10.0)

    async def once() -> int:
        return (await probe.request(spec)).status

    return once


def _raw_streams_client(url: str) -> Callable[[], Awaitable[int]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    payload = request.encode()

    async def once() -> int:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(payload)
        data = await reader.read(-1)
        writer.close()
        return int(data[9:12])

    return once


def _measure(
    make: Callable[[str], Callable[[], Awaitable[int]]], url: str, n: int, concurrency: int
) -> float:
    async def main() -> float:
        once = make(url)
        await _run(once, 200, concurrency)  # warm-up: imports, caches, first allocations
        t0 = time.process_time()
        await _run(once, n, concurrency)
        return time.process_time() - t0

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--url", help="external target (default: start a local uvloop server)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _pin(1)
        uvloop.install()
        asyncio.run(_serve(0))
        return
    if args.loop == "uvloop":
        uvloop.install()
    proc = None
    url = args.url
    if url is None:
        proc, url = _start_target()
    _pin(0)
    clients = {"vantage RawHttpProbe": _vantage_client, "raw asyncio streams": _raw_streams_client}
    results: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for _ in range(args.reps):
            for name, make in clients.items():  # interleaved, as drift hits both alike
                results[name].append(_measure(make, url, args.n, args.concurrency))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    scale = 10_000 / args.n
    print(
        f"target {url}, {args.n} probes x {args.reps} reps, "
        f"{args.concurrency} in flight, {args.loop}"
    )
    base = statistics.median(results["raw asyncio streams"])
    for name, runs in results.items():
        med = statistics.median(runs)
        print(
            f"{name:24s} CPU s / 10k: {med * scale:6.2f}  (min {min(runs) * scale:.2f}, "
            f"max {max(runs) * scale:.2f})  = {med / args.n * 1000:.3f} ms/probe, "
            f"x{med / base:.2f} of raw streams"
        )


if __name__ == "__main__":
    main()
