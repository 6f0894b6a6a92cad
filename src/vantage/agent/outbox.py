"""Outboxes: results the server could not take yet, delivered in order when it can.

The rule is the agent loop's (vantage.agent.loop), the same for every agent: a result that cannot
be delivered goes to the outbox; while the outbox holds anything, newer results queue behind it
and nothing new is leased; it is delivered oldest first, and a result leaves it only once the
server has answered for it. Where it is kept differs:
- `Outbox`, on disk, for `vantage agent`: it outlives the process;
- `MemoryOutbox`, for the embedded agent: the results wait in the server's own memory until its
  database takes them again (were the process to die, their runs are leased again after expiry).

On disk: one file per result, `<sequence>.json` with a 16-digit sequence, written to a temporary
name, fsync'd, renamed into place and the directory fsync'd: a crash leaves either the whole
result or nothing, and an agent restarted on the same directory resumes where it stopped. Files
are deleted only once the server has answered for them (accepted, duplicate, fenced or rejected).
An exclusive lock on `.lock` keeps two agents from sharing one outbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections import deque
from pathlib import Path
from typing import IO, Any, Protocol

import structlog

from vantage.agent.control import Delivery

log = structlog.get_logger(__name__)

_NAME = re.compile(r"^(\d{16})\.json$")


class OutboxLocked(Exception):
    pass


class OutboxStore(Protocol):
    # True when the calls block (disk I/O): the loop runs them in a thread.
    blocking: bool
    # True when what it holds outlives the process.
    durable: bool

    def __len__(self) -> int: ...

    def append(self, deliveries: list[Delivery]) -> None:
        """Keep results, after every result already kept."""
        ...

    def peek(self, limit: int) -> list[tuple[Any, Delivery]]:
        """The oldest results, in order, each with the key `remove` takes."""
        ...

    def remove(self, keys: list[Any]) -> None: ...

    def close(self) -> None: ...


class MemoryOutbox:
    """The outbox of an agent whose results have nowhere safer to wait than its own memory."""

    blocking = False
    durable = False

    def __init__(self) -> None:
        self._items: deque[tuple[int, Delivery]] = deque()
        self._next = 0

    def __len__(self) -> int:
        return len(self._items)

    def append(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self._items.append((self._next, delivery))
            self._next += 1

    def peek(self, limit: int) -> list[tuple[Any, Delivery]]:
        return [self._items[i] for i in range(min(limit, len(self._items)))]

    def remove(self, keys: list[Any]) -> None:
        gone = set(keys)
        self._items = deque(item for item in self._items if item[0] not in gone)

    def close(self) -> None:
        pass


class Outbox:
    """The durable outbox of `vantage agent`, one file per result (see the module's docstring)."""

    blocking = True
    durable = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        # Results hold what checks saw: the scripts an agent runs (as another user) must not
        # read them.
        directory.chmod(0o700)
        self._lock: IO[bytes] | None = open(directory / ".lock", "wb")  # noqa: SIM115
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise OutboxLocked(f"outbox {directory} is in use by another agent") from None
        self._pending = self._scan()
        self._next = int(self._pending[-1].stem) + 1 if self._pending else 1

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _scan(self) -> list[Path]:
        for stale in self.directory.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        return sorted(p for p in self.directory.iterdir() if _NAME.match(p.name))

    def __len__(self) -> int:
        return len(self._pending)

    def append(self, deliveries: list[Delivery]) -> None:
        """Write results durably, after every result already in the outbox. Blocking."""
        for delivery in deliveries:
            name = f"{self._next:016d}.json"
            self._next += 1
            tmp = self.directory / f".{name}.tmp"
            with open(tmp, "wb") as handle:
                handle.write(json.dumps(delivery.wire(), separators=(",", ":")).encode())
                handle.flush()
                os.fsync(handle.fileno())
            final = self.directory / name
            os.replace(tmp, final)
            self._pending.append(final)
        if deliveries:
            self._sync_directory()

    def peek(self, limit: int) -> list[tuple[Any, Delivery]]:
        """The oldest results, in order. A file that cannot be read is set aside, not retried."""
        out: list[tuple[Any, Delivery]] = []
        for path in list(self._pending[:limit]):
            try:
                data = json.loads(path.read_bytes())
                out.append((path, Delivery(data["jobId"], data["leaseOwner"], data["result"])))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("outbox file unreadable, set aside", file=str(path), error=str(exc))
                with contextlib.suppress(OSError):
                    path.rename(path.with_suffix(".corrupt"))
                self._pending.remove(path)
        return out

    def remove(self, paths: list[Any]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
            with contextlib.suppress(ValueError):
                self._pending.remove(path)
        if paths:
            self._sync_directory()

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
