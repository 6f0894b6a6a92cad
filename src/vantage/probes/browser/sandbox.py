"""One isolated subprocess per script run (reference browser.md §5-6).

- a session of its own (`setsid`), so the run's processes can be killed as a group;
- another uid when the agent may switch (root): a script must not read `/proc/<agent>/environ`
  or the agent's outbox, which a scrubbed environment alone does not prevent;
- rlimits per process: CPU (a backstop: a page's `for(;;)` burns the renderer's CPU, not
  node's), DATA (RLIMIT_AS is unusable, renderers reserve about 1.4 TiB of address space),
  FSIZE, NOFILE, CORE;
- a watchdog that enforces the wall-clock timeout and a budget on the whole tree's resident
  memory, and kills every process of the run, Chromium included (Playwright starts it in a
  session of its own), when either is passed or when the run ends;
- an environment built from an allowlist, never inherited.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

POLL_SECONDS = 0.2
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Limits:
    wall_seconds: float
    tree_rss_bytes: int
    data_bytes: int = 1536 * 1024 * 1024
    file_bytes: int = 200 * 1024 * 1024
    open_files: int = 1024
    # CPU seconds per process: twice the wall time, so that only a runaway reaches it.
    cpu_seconds: int = 0

    def cpu(self) -> int:
        return self.cpu_seconds or max(10, int(self.wall_seconds * 2))


@dataclass(frozen=True, slots=True)
class RunAs:
    uid: int
    gid: int


@dataclass(slots=True)
class Outcome:
    exit_code: int | None
    # "timeout" or "memory" when the watchdog ended the run, else None.
    killed_for: str | None
    wall_seconds: float
    peak_tree_rss_bytes: int
    cpu_seconds: float = 0.0
    pids: set[int] = field(default_factory=set)


def _child_setup(limits: Limits, run_as: RunAs | None) -> None:
    """Runs in the child between fork and exec: limits, then the run's uid (uvloop, the server's
    loop, takes no `user`/`group` arguments, so the switch happens here)."""
    _rlimits(limits)
    if run_as is not None:
        switch_user(run_as)


def switch_user(run_as: RunAs) -> None:
    """In a child before exec: drop every group, then become the run's gid and uid."""
    os.setgroups([])
    os.setgid(run_as.gid)
    os.setuid(run_as.uid)


def _rlimits(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu(), limits.cpu() + 5))
    resource.setrlimit(resource.RLIMIT_DATA, (limits.data_bytes, limits.data_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _stat(pid: int) -> tuple[int, int, int, float] | None:
    """(ppid, start time in ticks, rss in bytes, cpu seconds) of a process, None once gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    fields = raw[raw.rfind(b")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return int(fields[1]), int(fields[19]), int(fields[21]) * PAGE_BYTES, cpu


def _processes() -> dict[int, tuple[int, int, int, float]]:
    found: dict[int, tuple[int, int, int, float]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None:
                found[int(name)] = stat
    return found


class Tree:
    """The processes descended from one root, followed across polls. A process whose parent
    died is re-parented away from the tree: it stays known by (pid, start time), so a pid the
    kernel reuses for something else is never killed."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.known: dict[int, int] = {}  # pid -> start ticks
        self.cpu: dict[int, float] = {}

    def poll(self) -> int:
        """The tree's resident memory now, in bytes (RSS summed over its processes)."""
        table = _processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, *_rest) in table.items():
            children.setdefault(ppid, []).append(pid)
        alive = [pid for pid, start in self.known.items() if table.get(pid, (0, -1))[1] == start]
        stack = [self.root, *alive]
        seen: set[int] = set()
        while stack:
            pid = stack.pop()
            if pid in seen or pid not in table:
                continue
            seen.add(pid)
            self.known.setdefault(pid, table[pid][1])
            stack.extend(children.get(pid, ()))
        for pid in seen:
            self.cpu[pid] = table[pid][3]
        return sum(table[pid][2] for pid in seen)

    def kill(self) -> None:
        for pid, start in self.known.items():
            stat = _stat(pid)
            if stat is not None and stat[1] == start:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


async def run_isolated(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    limits: Limits,
    run_as: RunAs | None,
    output: IO[bytes],
) -> Outcome:
    """Run `argv` to its end, or until the watchdog ends it; every process of the run is gone
    when this returns, including when the caller is cancelled."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: _child_setup(limits, run_as),
    )
    tree = Tree(proc.pid)
    peak = 0
    killed_for: str | None = None
    try:
        while proc.returncode is None:
            peak = max(peak, tree.poll())
            if time.monotonic() - started > limits.wall_seconds:
                killed_for = "timeout"
            elif peak > limits.tree_rss_bytes:
                killed_for = "memory"
            if killed_for:
                _kill_group(proc.pid)
                tree.kill()
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await proc.wait()
        await proc.wait()
    finally:
        # Chromium outlives a driver that exits or is killed; so do a script's own children.
        tree.poll()
        _kill_group(proc.pid)
        tree.kill()
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    return Outcome(
        exit_code=proc.returncode,
        killed_for=killed_for,
        wall_seconds=time.monotonic() - started,
        peak_tree_rss_bytes=peak,
        cpu_seconds=sum(tree.cpu.values()),
        pids=set(tree.known),
    )


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
