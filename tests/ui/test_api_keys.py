"""API keys managed from the UI by admins: a new key is shown once, prefixes after."""

from __future__ import annotations

import re

from tests.support.harness import Harness, Persona
from tests.support.ui import ORIGIN, hidden, logged_in


async def test_an_admin_creates_a_key_that_is_shown_once_and_works(
    vantage: Harness, alice: Persona
) -> None:
    admin = await logged_in(vantage, alice, role="admin")
    page_url = f"/accounts/{alice.account_id}/api-keys"
    page = await admin.get(page_url)
    assert page.status_code == 200
    created = await admin.post(page_url, data={"csrf": hidden(page.text, "csrf")}, headers=ORIGIN)
    match = re.search(r'<pre class="key">(vtg_[^<]+)</pre>', created.text)
    assert created.status_code == 200 and match
    key = match.group(1)
    api = await alice.client.get(
        "/v1/checks",
        headers={"Authorization": f"Bearer {key}", "X-Checkly-Account": alice.account_id},
    )
    assert api.status_code == 200
    again = await admin.get(page_url)
    assert key not in again.text and key[:8] in again.text
    listed = (await admin.get(page_url + ".json")).json()["apiKeys"]
    assert len(listed) == 2 and all(key not in str(k) for k in listed)


async def test_a_revoked_key_stops_working(vantage: Harness, alice: Persona) -> None:
    admin = await logged_in(vantage, alice, role="admin")
    page_url = f"/accounts/{alice.account_id}/api-keys"
    page = await admin.get(page_url)
    [first] = (await admin.get(page_url + ".json")).json()["apiKeys"]
    revoked = await admin.post(
        f"{page_url}/{first['id']}/revoke", data={"csrf": hidden(page.text, "csrf")}, headers=ORIGIN
    )
    assert revoked.status_code == 200 and "Revoked" in revoked.text
    assert (await alice.get("/v1/checks")).status_code == 401


async def test_only_admins_have_the_api_keys_page(vantage: Harness, alice: Persona) -> None:
    writer = await logged_in(vantage, alice, role="read-write")
    page_url = f"/accounts/{alice.account_id}/api-keys"
    assert (await writer.get(page_url)).status_code == 404
    home = await writer.get(f"/accounts/{alice.account_id}")
    created = await writer.post(page_url, data={"csrf": hidden(home.text, "csrf")}, headers=ORIGIN)
    assert created.status_code == 404
