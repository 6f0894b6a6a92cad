"""A running Vantage app in the test's event loop, with accounts to act as.

Personas follow Healthchecks' habit: `alice` owns what a test creates, `charlie` is another account
that must see none of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2

from vantage.accounts.service import create_account
from vantage.app import create_app
from vantage.config import Settings
from vantage.runtime import Runtime

BASE = "http://vantage.test"


@dataclass
class Persona:
    account_id: str
    api_key: str
    client: httpx2.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "X-Checkly-Account": self.account_id}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx2.Response:
        return await self.request("DELETE", path, **kwargs)


@dataclass
class Harness:
    runtime: Runtime
    client: httpx2.AsyncClient

    async def persona(self, name: str) -> Persona:
        async with self.runtime.db.write() as conn:
            new = await create_account(conn, name)
        return Persona(new.account.id, new.api_key, self.client)


@asynccontextmanager
async def running_vantage(settings: Settings, *, background: bool = True) -> AsyncIterator[Harness]:
    app = create_app(settings, background=background)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE, timeout=60) as client:
            yield Harness(runtime=app.state.runtime, client=client)


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "public_url": BASE,
        "scheduler": False,
        "local_agent": True,
        "session_deadline_slack_seconds": 5.0,
        # The targets are loopback servers (tests/targets/), which the embedded agent's default
        # policy denies; link-local and metadata stay denied as in production.
        "probe_deny": "link-local,metadata",
        # In-process: the test's own event loop delivers (tests/alerting/test_delivery_process.py
        # and the real servers of tests/e2e deliver from the child process).
        "alert_delivery_process": False,
    }
    values.update(overrides)
    return Settings(**values)
