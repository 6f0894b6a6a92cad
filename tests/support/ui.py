"""Logging in to the web UI from a test, as a browser does: the login form's token, the session
cookie, and the CSRF token of the pages' forms."""

from __future__ import annotations

import re
from typing import Any

import httpx2

from tests.support.harness import BASE, Harness, Persona
from vantage.timeutil import utcnow
from vantage.users.service import User, create_user

PASSWORD = "correct horse battery staple"
ORIGIN = {"Origin": BASE}


async def add_user(
    vantage: Harness, persona: Persona, email: str, role: str = "read-write"
) -> User:
    async with vantage.runtime.db.write() as conn:
        return await create_user(conn, email, persona.account_id, role, PASSWORD, utcnow())


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name} in the page"
    return match.group(1)


def browser(vantage: Harness) -> httpx2.AsyncClient:
    """A client of its own, so its cookies are its own (the harness's client is shared)."""
    return httpx2.AsyncClient(transport=vantage.client._transport, base_url=BASE, timeout=60)


async def log_in(
    client: httpx2.AsyncClient, email: str, password: str = PASSWORD, next_: str = ""
) -> httpx2.Response:
    form_page = await client.get("/login", params={"next": next_} if next_ else None)
    token = hidden(form_page.text, "csrf")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf": token, "next": next_},
        headers=ORIGIN,
    )


async def logged_in(vantage: Harness, persona: Persona, role: str = "read-write") -> Any:
    user = await add_user(vantage, persona, f"{role}@{persona.account_id[:8]}.example", role)
    client = browser(vantage)
    answer = await log_in(client, user.email)
    assert answer.status_code == 303, answer.text
    return client
