"""Logging in to the web UI: sessions, cookies, CSRF, Origin, throttling, roles and accounts."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create, run
from tests.support.ui import ORIGIN, PASSWORD, add_user, browser, hidden, log_in, logged_in
from tests.targets.http_target import HttpTarget
from vantage.db.tables import ui_sessions
from vantage.ui import endpoints
from vantage.users.service import token_hash


async def test_a_page_of_an_account_sends_a_stranger_to_the_login_page_and_back(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "alice@example.com")
    client = browser(vantage)
    page = f"/accounts/{alice.account_id}/locations"
    answer = await client.get(page)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={page}"
    back = await log_in(client, user.email, next_=page)
    assert back.status_code == 303
    assert back.headers["location"] == page
    assert (await client.get(page)).status_code == 200


async def test_the_session_cookie_is_http_only_and_same_site_and_only_its_hash_is_stored(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "alice@example.com")
    answer = await log_in(browser(vantage), user.email)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("vantage_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    async with vantage.runtime.db.read() as conn:
        stored = (await conn.scalars(sa.select(ui_sessions.c.token_hash))).all()
    assert stored == [token_hash(token)]


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "alice@example.com")
    wrong = await log_in(browser(vantage), user.email, password="not the password")
    unknown = await log_in(browser(vantage), "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert "set-cookie" not in wrong.headers or "vantage_session" not in wrong.headers["set-cookie"]


async def test_logins_are_throttled_after_ten_failures_even_with_the_right_password(
    vantage: Harness, alice: Persona
) -> None:
    endpoints.throttle()._failures.clear()
    user = await add_user(vantage, alice, "alice@example.com")
    try:
        for _ in range(10):
            assert (await log_in(browser(vantage), user.email, "guess")).status_code == 401
        assert (await log_in(browser(vantage), user.email, PASSWORD)).status_code == 429
    finally:
        endpoints.throttle()._failures.clear()


async def test_a_login_without_the_form_token_or_from_another_origin_is_refused(
    vantage: Harness, alice: Persona
) -> None:
    user = await add_user(vantage, alice, "alice@example.com")
    client = browser(vantage)
    token = hidden((await client.get("/login")).text, "csrf")
    fields = {"email": user.email, "password": PASSWORD}
    no_token = await client.post("/login", data=fields, headers=ORIGIN)
    foreign = await client.post(
        "/login", data={**fields, "csrf": token}, headers={"Origin": "https://evil.example"}
    )
    no_origin = await client.post("/login", data={**fields, "csrf": token})
    assert [no_token.status_code, foreign.status_code, no_origin.status_code] == [403, 403, 403]


async def test_logging_out_ends_the_session_for_good(vantage: Harness, alice: Persona) -> None:
    client = await logged_in(vantage, alice)
    home = f"/accounts/{alice.account_id}"
    page = await client.get(home)
    cookie = client.cookies.get("vantage_session")
    assert page.status_code == 200 and cookie
    out = await client.post("/logout", data={"csrf": hidden(page.text, "csrf")}, headers=ORIGIN)
    assert out.status_code == 303
    replay = browser(vantage)
    replay.cookies.set("vantage_session", cookie)
    assert (await replay.get(home)).status_code == 303


async def test_another_accounts_pages_are_not_found(
    vantage: Harness, alice: Persona, charlie: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    session = await run(alice, check_id)
    link = session["checkSessionLink"].removeprefix("http://vantage.test")
    result_link = session["results"][0]["checkResultLink"].removeprefix("http://vantage.test")
    client = await logged_in(vantage, charlie)
    own_url_elsewhere = f"/accounts/{charlie.account_id}/checks/{check_id}"
    for path in (
        link,
        result_link,
        f"/accounts/{alice.account_id}",
        own_url_elsewhere,
        own_url_elsewhere + ".json",
        link.replace(alice.account_id, charlie.account_id),
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_a_read_only_user_sees_no_run_button_and_cannot_run(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    reader = await logged_in(vantage, alice, role="read-only")
    page = await reader.get(overview)
    assert page.status_code == 200 and "Run now" not in page.text
    csrf = hidden(page.text, "csrf")
    refused = await reader.post(f"{overview}/run", data={"csrf": csrf}, headers=ORIGIN)
    assert refused.status_code == 403


async def test_run_now_needs_the_csrf_token_and_then_opens_the_new_session(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    writer = await logged_in(vantage, alice, role="read-write")
    page = await writer.get(overview)
    assert "Run now" in page.text
    assert (await writer.post(f"{overview}/run", headers=ORIGIN)).status_code == 403
    wrong = await writer.post(f"{overview}/run", data={"csrf": "x" * 64}, headers=ORIGIN)
    assert wrong.status_code == 403
    started = await writer.post(
        f"{overview}/run", data={"csrf": hidden(page.text, "csrf")}, headers=ORIGIN
    )
    assert started.status_code == 303
    assert started.headers["location"].startswith(f"{overview}/check-sessions/")
    session = await writer.get(started.headers["location"] + ".json")
    assert session.json()["session"]["runSource"] == "SCHEDULE_NOW"


async def test_every_ui_answer_carries_a_strict_content_security_policy(
    vantage: Harness, alice: Persona
) -> None:
    client = await logged_in(vantage, alice)
    for path in ("/login", f"/accounts/{alice.account_id}", "/ui/static/app.css"):
        answer = await client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
    api = await client.get("/v1/checks")
    assert "content-security-policy" not in api.headers
