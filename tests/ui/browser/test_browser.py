"""What a browser sees: the API's links open after login, pages fit a phone, errors come first,
a running session follows itself, and nothing leaves the app's origin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.targets.http_target import open_gate
from tests.ui.browser.conftest import (
    SCHEMES,
    SLOW_GATE,
    VIEWPORTS,
    Site,
    artifacts_dir,
    log_in,
    new_context,
)

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pages_of(site: Site) -> dict[str, str]:
    a = f"/accounts/{site.account_id}"
    return {
        "dashboard": a,
        "dashboard-grouped": f"{a}?tag=shop&sort=name&group=1",
        "dashboard-p95": f"{a}?sort=p95&dir=desc",
        "check": f"{a}/checks/{site.links['ok']}?range=24h",
        "check-3h": f"{a}/checks/{site.links['ok']}?range=3h",
        "check-filtered": f"{a}/checks/{site.links['ok']}?range=24h&status=passed&retry=final",
        "results": f"{a}/checks/{site.links['ok']}/results",
        "session": site.links["session"],
        "result": site.links["result"],
        "failed-result": site.links["failed_result"],
        "locations": f"{a}/locations",
        "sessions": f"{a}/check-sessions",
        "alerts": f"{a}/alerts",
        "edit": f"{a}/checks/{site.links['ok']}/edit",
    }


def axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    # Injected by evaluation, which the page's CSP does not govern (an injected <script> it would).
    page.evaluate(source)
    found: list[dict[str, Any]] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))",
        AXE_TAGS,
    )
    return found


def test_the_apis_links_lead_through_the_login_back_to_the_page(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(site.origin + site.links["session"])
    assert page.url.startswith(site.origin + "/login?next=")
    page.get_by_label("Email").fill(site.reader)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(site.origin + site.links["session"])
    expect(page.locator("#session-status")).to_have_text("PASSED")
    for name in ("result", "failed_session", "failed_result"):
        answer = page.goto(site.origin + site.links[name])
        assert answer is not None and answer.status == 200, name
    cookie = next(c for c in context.cookies() if c["name"] == "vantage_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_fits_shows_errors_first_and_stays_on_its_origin(
    browser: Browser, site: Site, axe_source: str, viewport: str, scheme: str
) -> None:
    context = new_context(browser, viewport, scheme)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    csp_reports: list[str] = []
    page = log_in(context, site, site.writer)
    page.on(
        "console",
        lambda m: csp_reports.append(m.text) if "Content Security Policy" in m.text else None,
    )
    problems: dict[str, Any] = {}
    anonymous = new_context(browser, viewport, scheme)
    anonymous.on("request", lambda request: requests.append(request.url))
    for name, path in {**pages_of(site), "login": "/login"}.items():
        target = anonymous.new_page() if name == "login" else page
        answer = target.goto(site.origin + path)
        assert answer is not None and answer.status == 200, name
        assert target.url == site.origin + path, f"{name} went to {target.url}"
        target.screenshot(
            path=str(artifacts_dir() / f"{name}-{viewport}-{scheme}.png"), full_page=True
        )
        overflow = target.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {viewport}"
        violations = axe_violations(target, axe_source)
        if violations:
            problems[name] = violations
        if name == "failed-result":
            box = target.locator(".error-message").bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= VIEWPORTS[viewport]["height"], "error below the fold"
    anonymous.close()
    assert problems == {}
    foreign = [url for url in requests if not url.startswith((site.origin + "/", "data:"))]
    assert foreign == []
    assert csp_reports == []
    context.close()


def test_the_dashboards_filters_and_sorting_work_without_javascript(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = log_in(context, site, site.reader)
    home = f"{site.origin}/accounts/{site.account_id}"
    page.goto(home)
    page.get_by_label("Search by name or URL").fill("pay")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**q=pay**")
    assert page.locator("table.checks tbody tr").count() == 1
    expect(page.locator("table.checks tbody")).to_contain_text("Payments API")
    page.goto(home)
    page.get_by_role("link", name="Name", exact=True).click()
    page.wait_for_url("**sort=name**")
    names = page.locator("table.checks tbody td:nth-child(2) > a").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    page.get_by_label("By group").check()
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**group=1**")
    expect(page.locator("details.group summary").first).to_contain_text("Storefront")
    context.close()


def test_the_dashboards_dropdowns_and_figure_sorts_work_without_javascript(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = log_in(context, site, site.reader)
    page.goto(f"{site.origin}/accounts/{site.account_id}")
    page.get_by_label("Group", exact=True).select_option(label="Storefront")
    page.get_by_label("Sort by").select_option("p95")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**sort=p95**")
    assert "groupId=" in page.url and "dir=desc" in page.url
    expect(page.locator("table.checks tbody")).to_contain_text("Shop API")
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("P95")
    page.get_by_label("Tag").select_option("shop")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**tag=shop**")
    expect(page.get_by_label("Tag")).to_have_value("shop")
    context.close()


def test_the_overviews_run_filters_work_without_javascript(browser: Browser, site: Site) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = log_in(context, site, site.reader)
    page.goto(f"{site.origin}/accounts/{site.account_id}/checks/{site.links['ok']}?range=24h")
    page.get_by_label("Status", exact=True).select_option("failed")
    page.get_by_label("Runs", exact=True).select_option("final")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**status=failed**")
    assert "retry=final" in page.url and "range=24h" in page.url
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()
    context.close()


def test_a_collapsed_group_stays_collapsed_on_the_next_visit(browser: Browser, site: Site) -> None:
    context = new_context(browser)
    page = log_in(context, site, site.reader)
    grouped = f"{site.origin}/accounts/{site.account_id}?group=1"
    page.goto(grouped)
    group = page.locator("details.group", has_text="Storefront")
    group.locator("summary").click()
    expect(group).not_to_have_attribute("open", "")
    page.goto(grouped)
    expect(page.locator("details.group", has_text="Storefront")).not_to_have_attribute("open", "")
    # a filter shows every group's matches, collapsed or not
    page.goto(grouped + "&tag=shop")
    expect(page.locator("details.group", has_text="Storefront")).to_have_attribute("open", "")
    context.close()


def test_the_overviews_custom_range_and_shift_links_work_without_javascript(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = log_in(context, site, site.reader)
    page.goto(f"{site.origin}/accounts/{site.account_id}/checks/{site.links['ok']}?range=1h")
    page.get_by_role("link", name="Earlier").click()
    page.wait_for_url("**from=**")
    expect(page.get_by_role("link", name="Later")).to_be_visible()
    # two days within the hourly roll-ups' 35 days: a bar per hour
    start = (datetime.now(UTC) - timedelta(days=4)).replace(hour=0, minute=0, second=0)
    end = start + timedelta(days=2)
    page.get_by_label("From (UTC)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("To (UTC)").fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**to={end:%Y-%m-%d}**")
    expect(page.locator("svg.chart").first.locator("a")).to_have_count(48)
    # two days whose hourly roll-ups were pruned long ago: a bar per day
    page.get_by_label("From (UTC)").fill("2026-01-01T00:00")
    page.get_by_label("To (UTC)").fill("2026-01-03T00:00")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url("**to=2026-01-03**")
    expect(page.locator("svg.chart").first.locator("a")).to_have_count(2)
    context.close()


def test_a_running_session_reaches_its_final_status_without_a_reload(
    browser: Browser, site: Site
) -> None:
    with site.api() as api:
        started = api.post(
            "/v2/check-sessions/trigger", json={"target": {"checkId": [site.links["slow"]]}}
        ).json()["sessions"][0]
    context = new_context(browser)
    try:
        page = log_in(context, site, site.reader, next_=site.path(started["checkSessionLink"]))
        expect(page.locator("#session-status")).to_have_text("STARTED")
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
    finally:
        open_gate(SLOW_GATE)  # the run ends now, whatever the machine's speed
    expect(page.locator("#session-status")).to_have_text("PASSED", timeout=20_000)
    assert navigations == []
    result_link = page.get_by_role("link", name="passed")
    assert result_link.get_attribute("href", timeout=5000)
    context.close()


def test_with_javascript_off_the_session_page_still_shows_its_session(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = log_in(context, site, site.reader, next_=site.links["failed_session"])
    expect(page.locator("#session-status")).to_have_text("FAILED")
    expect(page.get_by_role("link", name="failed")).to_be_visible()
    context.close()


def test_the_keyboard_reaches_the_controls_with_a_visible_focus(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser)
    page = log_in(context, site, site.writer)
    page.goto(site.origin + pages_of(site)["check"])
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    reached: set[str] = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.textContent.trim()"))
    assert {"Run now", "All results", "30d", "Log out"} <= reached
    page.goto(site.origin + pages_of(site)["dashboard"])
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    context.close()


FOCUSABLE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary,"
    " [tabindex]:not([tabindex='-1'])"
)


def test_tab_reaches_every_control_of_every_page_and_each_shows_its_focus(
    browser: Browser, site: Site
) -> None:
    context = new_context(browser)
    page = log_in(context, site, site.writer)
    missed: dict[str, list[str]] = {}
    unmarked: dict[str, list[str]] = {}
    for name, path in pages_of(site).items():
        page.goto(site.origin + path)
        # Number the controls a user can see; Tab must land on each, outlined.
        count = page.evaluate(
            """selector => {
                const all = [...document.querySelectorAll(selector)]
                    .filter(el => el.getClientRects().length > 0 && !el.disabled)
                    // what a closed <details> holds is reached by opening it (its summary)
                    .filter(el => el.tagName === 'SUMMARY'
                        || !el.closest('details:not([open])'));
                all.forEach((el, i) => el.setAttribute('data-kb', String(i)));
                return all.length;
            }""",
            FOCUSABLE,
        )
        reached: set[str] = set()
        for _ in range(count + 5):
            page.keyboard.press("Tab")
            mark, label, outline = page.evaluate(
                "[document.activeElement.getAttribute('data-kb'),"
                " (document.activeElement.textContent || document.activeElement.name || '')"
                ".trim().slice(0, 40), getComputedStyle(document.activeElement).outlineStyle]"
            )
            if mark is not None:
                reached.add(mark)
                if outline == "none":
                    unmarked.setdefault(name, []).append(label)
        left = sorted(set(map(str, range(count))) - reached, key=int)
        if left:
            missed[name] = [
                page.evaluate(
                    "i => document.querySelector(`[data-kb='${i}']`).outerHTML.slice(0, 80)", i
                )
                for i in left[:5]
            ]
    assert missed == {}
    assert unmarked == {}
    context.close()


def test_a_read_only_user_gets_no_run_button_and_a_writer_runs_a_check_from_the_page(
    browser: Browser, site: Site
) -> None:
    check = pages_of(site)["check"]
    reader = new_context(browser)
    page = log_in(reader, site, site.reader, next_=check)
    expect(page.get_by_role("heading", name="Shop API")).to_be_visible()
    expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    reader.close()
    writer = new_context(browser)
    page = log_in(writer, site, site.writer, next_=check)
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url("**/check-sessions/*")
    expect(page.locator("#session-status")).to_have_text("PASSED", timeout=20_000)
    # A form whose CSRF token was tampered with is refused.
    status = page.evaluate(
        """async url => (await fetch(url, {method: 'POST',
            headers: {'content-type': 'application/x-www-form-urlencoded'},
            body: 'csrf=forged'})).status""",
        site.origin + check.split("?")[0] + "/run",
    )
    assert status == 403
    writer.close()
