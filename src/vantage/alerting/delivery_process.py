"""The delivery worker in a process of its own, a child of the server.

In the server's process the sends share the event loop and the core that take results in: 1,000
webhooks going out cost the intake 10-15 % of its throughput (docs/benchmarks.md, alert latency).
In a child they run beside it, on another core when there is one (docs/benchmarks.md has the
figures for both databases).

The server (`DeliveryProcess`, one of its background loops) starts `python -m
vantage.alerting.delivery_process` once an alert channel exists, and talks to it over the
child's standard input only: the first line is the server's settings as JSON (so nothing secret is
in the child's arguments or environment), then one byte per wake-up (alerts were raised:
`Signals.alerts_queued`, this replica's or, through PostgreSQL's notifications, another's). The
child runs the same `Deliverer` as an in-process server would, with its own connections to the
database. When the server stops it closes the pipe, and the child records what it sent and exits;
when the server dies, Linux ends the child with it (PR_SET_PDEATHSIG), as the worker ended with the
server before: its leases run out and another replica, or the next start, sends what it held. A
child that exits on its own is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import sys

import sqlalchemy as sa
import structlog

from vantage.config import Settings
from vantage.db.engine import Database
from vantage.db.tables import alert_channels

log = structlog.get_logger("vantage.alerting")

# How long the server waits for its child to record its outcomes and exit, once told to stop.
STOP_SECONDS = 5.0
# How long after an unexpected exit the server starts a new child.
RESTART_SECONDS = 1.0
WAKE = b"\n"
PR_SET_PDEATHSIG = 1


class DeliveryProcess:
    """The server's side: start the child, hand it the settings and every wake-up, restart it if
    it dies, stop it when cancelled."""

    def __init__(self, settings: Settings, db: Database, *, wake: asyncio.Event) -> None:
        self.settings = settings
        self.db = db
        self.wake = wake

    async def run_forever(self) -> None:
        await self._until_needed()
        while True:
            try:
                code = await self._run_child()
            except Exception:
                # could not start one (no memory, no file descriptors): try again, never give up
                log.exception("alert delivery process failed, starting another")
            else:
                log.warning(
                    "alert delivery process exited, starting another",
                    exit_code=code,
                    in_seconds=RESTART_SECONDS,
                )
            await asyncio.sleep(RESTART_SECONDS)

    async def _until_needed(self) -> None:
        """Start no process (about a CPU second of imports, tens of MB) on a server that has no
        alert channel: it has nothing to deliver. A channel created through the API wakes this
        (on every replica), as an alert raised does; one created otherwise (`checkly deploy`) is
        seen by the read every `alert_poll_seconds`, or its first alert wakes this."""
        while not self.wake.is_set():
            try:
                if await self._any_channel():
                    return
            except Exception:
                log.exception("alert delivery could not read the alert channels")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.alert_poll_seconds):
                    await self.wake.wait()

    async def _any_channel(self) -> bool:
        async with self.db.read() as conn:
            return await conn.scalar(sa.select(alert_channels.c.id).limit(1)) is not None

    async def _run_child(self) -> int:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "vantage.alerting.delivery_process",
            stdin=asyncio.subprocess.PIPE,
        )
        assert child.stdin is not None
        try:
            child.stdin.write(self.settings.model_dump_json().encode() + b"\n")
            exited = asyncio.ensure_future(child.wait())
            while True:
                woken = asyncio.ensure_future(self.wake.wait())
                try:
                    await asyncio.wait({woken, exited}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
                if exited.done():
                    return exited.result()
                self.wake.clear()
                child.stdin.write(WAKE)
                await child.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            return await child.wait()
        finally:
            if child.returncode is None:
                await _stop(child)


async def _stop(child: asyncio.subprocess.Process) -> None:
    """Close the child's input (it records its outcomes and exits), then kill it if it lingers."""
    assert child.stdin is not None
    with contextlib.suppress(OSError):
        child.stdin.close()
    try:
        async with asyncio.timeout(STOP_SECONDS):
            await child.wait()
    except TimeoutError:
        log.warning("alert delivery process did not stop in time, killed", pid=child.pid)
        child.kill()
        await child.wait()


def _die_with_parent() -> None:
    """Ask Linux to end this process when the server does; elsewhere the closed pipe does."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def serve(reader: asyncio.StreamReader) -> None:
    """The child's side: the settings line, then deliver until the pipe closes."""
    from vantage.alerting.delivery import Deliverer
    from vantage.logs import configure

    first = await reader.readline()
    if not first:
        return  # the server went before it said anything
    settings = Settings.model_validate_json(first)
    configure(settings.log_format)
    db = Database(settings.database_url, pool_size=2)
    wake = asyncio.Event()
    deliverer = Deliverer(settings, db, wake=wake)
    task = asyncio.create_task(deliverer.run_forever(), name="alert-delivery")
    log.info("alert delivery process started", database=db.dialect)
    try:
        while chunk := await reader.read(4096):
            del chunk
            wake.set()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()


async def _main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await serve(reader)


def main() -> None:
    _die_with_parent()
    # Ctrl-C reaches the whole process group, and a service manager may signal every process of
    # the service: the server decides when its worker stops (it closes the pipe).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        import uvloop

        uvloop.run(_main())
    except ImportError:  # pragma: no cover - uvloop is a dependency of the server
        asyncio.run(_main())


if __name__ == "__main__":
    main()
