"""CPU of an idle server: `vantage server` on a fresh SQLite file, nothing to run (issue 16).

Starts the server (its embedded agent too, as `make run` does) in a temporary directory, waits
`--warmup` seconds, then reads utime+stime of the server's process (all threads) from
/proc/PID/stat at the start and the end of `--seconds` seconds. Prints CPU seconds per second per
repetition and their median. `--profile FILE` records the measured window with py-spy instead
(collapsed stacks, `.txt`) to see which loop spends it.

    python -m benchmarks.idle_cpu [--reps 2] [--warmup 10] [--seconds 60] [--profile FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import free_port, process

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / TICK


def one_run(warmup: float, seconds: float, profile: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        args = [
            sys.executable,
            "-m",
            "vantage",
            "server",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{workdir / 'vantage.db'}",
        ]
        with process(args, port=port, log=workdir / "server.log") as server:
            time.sleep(warmup)
            if profile:
                subprocess.run(
                    [
                        str(Path(sys.executable).with_name("py-spy")),
                        "record",
                        "--pid",
                        str(server.pid),
                        "--duration",
                        str(int(seconds)),
                        "--format",
                        "raw",
                        "--output",
                        profile,
                    ],
                    check=True,
                    capture_output=True,
                )
                return 0.0
            before = cpu_seconds(server.pid)
            time.sleep(seconds)
            return (cpu_seconds(server.pid) - before) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--profile")
    opts = parser.parse_args()
    if opts.profile:
        one_run(opts.warmup, opts.seconds, opts.profile)
        print(f"profile written to {opts.profile}")
        return
    figures = []
    for rep in range(opts.reps):
        figure = one_run(opts.warmup, opts.seconds, None)
        figures.append(figure)
        print(f"rep {rep + 1}: {figure:.4f} CPU s/s", flush=True)
    print(f"median: {statistics.median(figures):.4f} CPU s/s over {opts.reps} reps")


if __name__ == "__main__":
    main()
