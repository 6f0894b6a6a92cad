"""`vantage agent`: the agent loop (vantage.agent.loop) for a server it reaches over HTTP(S),
with results it cannot deliver kept in the on-disk outbox. Runs until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import secrets
import signal
import socket
from pathlib import Path

from vantage.agent.client import AgentClient
from vantage.agent.loop import Agent, AgentOptions
from vantage.agent.outbox import Outbox
from vantage.config import AgentSettings


def new_agent_id() -> str:
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40].strip("-.") or "agent"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


def options_of(settings: AgentSettings) -> AgentOptions:
    return AgentOptions(
        concurrency=settings.concurrency,
        browser_concurrency=settings.browser_concurrency,
        wait_seconds=settings.wait_seconds,
        lease_seconds=settings.lease_seconds,
        heartbeat_seconds=settings.heartbeat_seconds,
        drain_seconds=settings.drain_seconds,
        flush_seconds=settings.flush_seconds,
        batch=settings.batch,
        max_backoff_seconds=settings.max_backoff_seconds,
        policy=settings.probe_policy(),
        sensitive_names=settings.sensitive_names,
    )


def outbox_directory(settings: AgentSettings) -> Path:
    return Path(settings.outbox) if settings.outbox else Path("vantage-outbox") / settings.location


async def run_agent(settings: AgentSettings, *, agent_id: str | None = None) -> int:
    """Run until SIGTERM/SIGINT; the exit code (0 after a clean stop)."""
    # The agent logs its own events; a line per HTTP request would drown them.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    outbox = Outbox(outbox_directory(settings))
    client = AgentClient(
        settings.server,
        key=settings.key,
        location=settings.location,
        agent_id=agent_id or new_agent_id(),
    )
    agent = Agent(client, outbox, options_of(settings))
    # Everything built so far lives as long as the agent: keep it out of every collection.
    gc.freeze()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.stop, sig.name)
    try:
        return await agent.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await client.aclose()
        outbox.close()
