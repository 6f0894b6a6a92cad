"""The deployments this process is applying: their tasks, progress and cancel requests.

A deploy is applied after its request answers (Checkly's CLI follows it over `/events`), so the
task lives here, not in the request. The database row is what every replica reads; this registry
only adds what one process knows sooner: how far its own deployments are, that a cancel for one
of them was asked, and when one ends (its waiters wake at once instead of at their next re-read).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class DeployCancelled(Exception):
    """Raised inside a deployment's transaction at its next step once a cancel was asked."""


class Deployments:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[str, int] = {}
        self._cancelled: set[str] = set()
        self._ended: dict[str, asyncio.Event] = {}

    def start(self, deployment_id: str, work: Coroutine[Any, Any, None]) -> None:
        self._progress[deployment_id] = 0
        self._ended[deployment_id] = asyncio.Event()
        task = asyncio.get_running_loop().create_task(work, name=f"deploy-{deployment_id}")
        self._tasks[deployment_id] = task
        task.add_done_callback(lambda _: self._forget(deployment_id))

    def _forget(self, deployment_id: str) -> None:
        self._tasks.pop(deployment_id, None)
        self._progress.pop(deployment_id, None)
        self._cancelled.discard(deployment_id)
        ended = self._ended.pop(deployment_id, None)
        if ended is not None:
            ended.set()

    def running_here(self, deployment_id: str) -> bool:
        return deployment_id in self._tasks

    def progress(self, deployment_id: str) -> int | None:
        return self._progress.get(deployment_id)

    def advanced(self, deployment_id: str, percent: int) -> None:
        """A step of the deployment is applied; a cancel asked meanwhile stops it here."""
        if deployment_id in self._progress:
            self._progress[deployment_id] = percent
        if deployment_id in self._cancelled:
            raise DeployCancelled()

    def cancel(self, deployment_id: str) -> None:
        if deployment_id in self._tasks:
            self._cancelled.add(deployment_id)

    def cancel_asked(self, deployment_id: str) -> bool:
        return deployment_id in self._cancelled

    async def wait(self, deployment_id: str, seconds: float) -> None:
        """Until this process's deployment ends, or `seconds` pass (one of another replica, or
        already ended: just the pause before the caller reads the row again)."""
        ended = self._ended.get(deployment_id)
        if ended is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await ended.wait()

    async def drain(self) -> None:
        """Let the deployments under way finish (each is one transaction) before the server
        stops; one cut short would stay unfinished until it is found abandoned."""
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
