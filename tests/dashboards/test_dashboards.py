"""`/v1/dashboards` as Terraform's `checkly_dashboard` and the Go SDK send it, and the badges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from tests.alerting.flow import run
from tests.support.checks import api_check
from tests.support.harness import Persona
from tests.targets.http_target import HttpTarget

SVG = "{http://www.w3.org/2000/svg}"

# checkly-go-sdk's testDashboard, as it marshals it (no id; created_at and updated_at empty).
GO_DASHBOARD: dict[str, Any] = {
    "customUrl": "status-page",
    "customDomain": "is.checkly.online",
    "logo": "https://www.checklyhq.com/images/text_racoon_logo.svg",
    "link": "https://www.checklyhq.com",
    "description": "Checkly status page",
    "favicon": "https://www.checklyhq.com/images/text_racoon_logo.svg",
    "header": "Status",
    "showHeader": True,
    "width": "FULL",
    "refreshRate": 60,
    "checksPerPage": 15,
    "paginationRate": 30,
    "paginate": True,
    "tags": ["api"],
    "useTagsAndOperator": True,
    "enableIncidents": True,
    "expandChecks": False,
    "showCheckRunLinks": False,
    "customCSS": "",
    "showP95": True,
    "showP99": True,
    "created_at": "",
    "updated_at": "",
}


async def test_the_go_sdks_dashboard_round_trips(alice: Persona) -> None:
    created = await alice.post("/v1/dashboards", json=GO_DASHBOARD)
    assert created.status_code == 201, created.text
    body = created.json()
    for key, value in GO_DASHBOARD.items():
        if key not in ("created_at", "updated_at"):
            assert body[key] == value, key
    assert isinstance(body["id"], int) and body["dashboardId"]
    read = await alice.get(f"/v1/dashboards/{body['dashboardId']}")
    assert read.json() == body
    updated = await alice.put(
        f"/v1/dashboards/{body['dashboardId']}", json=body | {"header": "New"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["header"] == "New"
    listed = await alice.get("/v1/dashboards")
    assert [d["dashboardId"] for d in listed.json()] == [body["dashboardId"]]
    assert (await alice.delete(f"/v1/dashboards/{body['dashboardId']}")).status_code == 204
    assert (await alice.get(f"/v1/dashboards/{body['dashboardId']}")).status_code == 404


async def test_custom_css_outside_the_safe_subset_is_a_400_naming_it(alice: Persona) -> None:
    for css in (
        "@import url(https://evil.example/x.css);",
        "body { background: url(https://tracker.example/p.gif) }",
        "</style><script>alert(1)</script>",
        "a { color: red",
        "a { b\\61 ckground: red }",
    ):
        response = await alice.post("/v1/dashboards", json=GO_DASHBOARD | {"customCSS": css})
        assert response.status_code == 400, css
        assert "customCSS" in response.json()["message"]
    fine = "@media (max-width: 600px) { .header { color: #333; font-weight: 600 } }"
    response = await alice.post("/v1/dashboards", json=GO_DASHBOARD | {"customCSS": fine})
    assert response.status_code == 201, response.text


async def test_a_taken_custom_url_is_a_conflict_across_accounts(
    alice: Persona, charlie: Persona
) -> None:
    assert (await alice.post("/v1/dashboards", json=GO_DASHBOARD)).status_code == 201
    assert (await charlie.post("/v1/dashboards", json=GO_DASHBOARD)).status_code == 409


async def test_another_accounts_dashboard_is_not_found(alice: Persona, charlie: Persona) -> None:
    created = (await alice.post("/v1/dashboards", json=GO_DASHBOARD)).json()
    assert (await charlie.get(f"/v1/dashboards/{created['dashboardId']}")).status_code == 404
    assert (await charlie.delete(f"/v1/dashboards/{created['dashboardId']}")).status_code == 404


def fill(svg_text: str) -> str:
    root = ET.fromstring(svg_text)  # noqa: S314 (our own server's answer)
    assert root.tag == f"{SVG}svg"
    rects = root.findall(f".//{SVG}rect")
    # the label's rect, then the message's: its colour says the status
    return str(rects[2].get("fill"))


async def test_a_check_badge_is_valid_svg_coloured_by_its_status(
    alice: Persona, http_target: HttpTarget
) -> None:
    created = await alice.post(
        "/v1/checks/api", json=api_check(f"{http_target.base_url}/status/200")
    )
    check_id = created.json()["id"]
    unknown = await alice.get(f"/v1/badges/checks/{check_id}")
    assert unknown.status_code == 200
    assert unknown.headers["content-type"].startswith("image/svg+xml")
    assert fill(unknown.text) == "#9f9f9f"
    await run(alice, check_id)
    passing = await alice.get(f"/v1/badges/checks/{check_id}", params={"style": "flat-square"})
    assert fill(passing.text) == "#4c1" and ">passing<" in passing.text
    await alice.put(
        f"/v1/checks/{check_id}", json={"request": {"url": f"{http_target.base_url}/status/500"}}
    )
    await run(alice, check_id)
    failing = await alice.get(
        f"/v1/badges/checks/{check_id}",
        params={"style": "for-the-badge", "theme": "dark", "responseTime": "true"},
    )
    assert fill(failing.text) == "#e05d44"
    assert " MS<" in failing.text  # the response time, upper-cased by for-the-badge


async def test_badge_parameters_outside_checklys_values_are_a_400(alice: Persona) -> None:
    created = await alice.post("/v1/checks/api", json=api_check("http://127.0.0.1:9/"))
    check_id = created.json()["id"]
    response = await alice.get(f"/v1/badges/checks/{check_id}", params={"style": "round"})
    assert response.status_code == 400
    assert "style" in response.json()["message"]


async def test_a_group_badge_shows_its_worst_check_and_other_accounts_get_404(
    alice: Persona, charlie: Persona
) -> None:
    group = await alice.post("/v1/check-groups", json={"name": "Shop", "locations": ["local"]})
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    badge = await alice.get(f"/v1/badges/groups/{group_id}")
    assert badge.status_code == 200 and ">Shop<" in badge.text
    assert (await charlie.get(f"/v1/badges/groups/{group_id}")).status_code == 404
    assert (await charlie.get("/v1/badges/checks/not-a-check")).status_code == 404


async def test_a_dashboard_incident_takes_updates_and_another_account_cannot_see_it(
    alice: Persona, charlie: Persona
) -> None:
    dashboard = (await alice.post("/v1/dashboards", json=GO_DASHBOARD)).json()
    body = {
        "name": "Slow API",
        "impact": "MAJOR",
        "dashboardId": dashboard["id"],
        "incidentUpdates": [{"status": "INVESTIGATING", "description": "Looking"}],
    }
    created = await alice.post("/v1/incidents", json=body)
    assert created.status_code == 200, created.text
    incident = created.json()
    assert (
        incident["impact"] == "MAJOR" and incident["incidentUpdates"][0]["description"] == "Looking"
    )
    path = f"/v1/incidents/{incident['id']}"
    added = await alice.post(f"{path}/updates", json={"status": "RESOLVED", "description": "Fixed"})
    assert added.status_code == 201, added.text
    assert added.json()["incidentId"] == incident["id"]
    edited = await alice.put(f"{path}/updates/{added.json()['id']}", json={"description": "Fixed!"})
    assert edited.status_code == 200 and edited.json()["description"] == "Fixed!"
    read = (await alice.get(path)).json()
    assert [u["description"] for u in read["incidentUpdates"]] == ["Fixed!", "Looking"]
    assert (await charlie.get(path)).status_code == 404
    theirs = await charlie.post("/v1/incidents", json=body)
    assert theirs.status_code == 404 and "dashboardId" in theirs.json()["message"]
    assert (await alice.delete(f"{path}/updates/{added.json()['id']}")).status_code == 204
    assert (await alice.delete(path)).status_code == 204
    assert (await alice.get(path)).status_code == 404


async def test_an_incident_on_a_dashboard_id_past_32_bits_is_a_404_not_a_500(
    alice: Persona,
) -> None:
    for dashboard_id in (-(2**37) - 1, 0, 2**31, 2**53 - 1):
        body = {
            "name": "Slow API",
            "impact": "MAJOR",
            "dashboardId": dashboard_id,
            "incidentUpdates": [{"status": "INVESTIGATING", "description": "Looking"}],
        }
        answer = await alice.post("/v1/incidents", json=body)
        assert answer.status_code == 404, (dashboard_id, answer.text)
        assert "dashboardId" in answer.json()["message"]


async def test_a_dashboard_flag_of_the_wrong_type_is_refused_naming_it(alice: Persona) -> None:
    answer = await alice.post("/v1/dashboards", json={"showP99": 0})
    assert answer.status_code == 400, answer.text
    assert answer.json()["validation"]["keys"] == ["showP99"]
