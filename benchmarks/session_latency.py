"""Trigger -> completion latency of check sessions on the embedded default.

Starts a real `vantage server` (SQLite, in-process agent) and a fast local target, creates one API
check, then runs N sessions one after another: trigger, then wait on /completion. Prints the median
and p99 of the overhead beyond the probe itself (end-to-end time minus the result's responseTime).
Goal (issue 2): median <= 20 ms, p99 <= 100 ms.

    python -m benchmarks.session_latency [--sessions 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.harness import percentile, server, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with target(workdir) as target_url, server(workdir) as vantage, vantage.client() as http:
            check = (
                http.post(
                    "/v1/checks/api",
                    json={
                        "name": "latency",
                        "activated": True,
                        "frequency": 1440,
                        "request": {
                            "method": "GET",
                            "url": f"{target_url}/ok",
                            "assertions": [
                                {"source": "STATUS_CODE", "comparison": "EQUALS", "target": "200"}
                            ],
                        },
                    },
                )
                .raise_for_status()
                .json()
            )
            overheads: list[float] = []
            totals: list[float] = []
            probes: list[float] = []
            for i in range(args.warmup + args.sessions):
                start = time.perf_counter()
                trig = http.post(
                    "/v2/check-sessions/trigger", json={"target": {"checkId": [check["id"]]}}
                ).raise_for_status()
                session_id = trig.json()["sessions"][0]["checkSessionId"]
                done = (
                    http.get(
                        f"/v2/check-sessions/{session_id}/completion", params={"maxWaitSeconds": 30}
                    )
                    .raise_for_status()
                    .json()
                )
                total_ms = (time.perf_counter() - start) * 1000
                assert done["status"] == "PASSED", done
                probe_ms = float(done["results"][0]["responseTime"])
                if i >= args.warmup:
                    totals.append(total_ms)
                    probes.append(probe_ms)
                    overheads.append(total_ms - probe_ms)
    print(f"sessions: {len(overheads)} (after {args.warmup} warm-up)")
    print(
        f"end-to-end ms: median {statistics.median(totals):.1f}  p99 {percentile(totals, 99):.1f}"
    )
    print(
        f"probe ms:      median {statistics.median(probes):.1f}  p99 {percentile(probes, 99):.1f}"
    )
    print(
        f"overhead ms:   median {statistics.median(overheads):.1f}  "
        f"p99 {percentile(overheads, 99):.1f}   (goal: median <= 20, p99 <= 100)"
    )


if __name__ == "__main__":
    main()
