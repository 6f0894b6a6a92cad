"""`/v1/projects/deploy` and `DELETE /v1/projects/{logicalId}` on both databases: constructs become
checks, groups, alert channels, private locations and maintenance windows, mapped by logicalId;
nothing the project did not make is ever touched."""

from __future__ import annotations

import gzip
import json
from typing import Any

from tests.projects.support import (
    PROJECT,
    actions,
    api_check,
    body,
    deploy,
    deployed,
    followed,
    group,
    physical,
    resource,
)
from tests.support.harness import Harness, Persona

URL = "http://127.0.0.1:9/ok"


def full_project() -> dict[str, Any]:
    return body(
        group("shop-group", "Shop group"),
        api_check("home", "Home page", URL, groupId={"ref": "shop-group"}),
        api_check("cart", "Cart", URL + "?cart"),
        resource(
            "alert-channel",
            "ops-email",
            {
                "sendRecovery": True,
                "sendFailure": True,
                "sendDegraded": False,
                "sslExpiry": False,
                "sslExpiryThreshold": 30,
                "type": "EMAIL",
                "config": {"address": "ops@example.com"},
            },
        ),
        resource(
            "alert-channel-subscription",
            "ops-email-cart",
            {"alertChannelId": {"ref": "ops-email"}, "checkId": {"ref": "cart"}, "activated": True},
        ),
        resource("private-location", "shop-dc", {"name": "Shop DC", "slugName": "shop-dc"}),
        resource(
            "private-location-check-assignment",
            "shop-dc-cart",
            {"privateLocationId": {"ref": "shop-dc"}, "checkId": {"ref": "cart"}},
        ),
        resource(
            "maintenance-window",
            "nightly",
            {
                "name": "Nightly",
                "tags": ["shop"],
                "startsAt": "2030-01-01T00:00:00.000Z",
                "endsAt": "2030-01-01T01:00:00.000Z",
                "repeatInterval": 1,
                "repeatUnit": "DAY",
            },
        ),
    )


async def checks_by_name(persona: Persona) -> dict[str, dict[str, Any]]:
    response = await persona.get("/v1/checks", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {c["name"]: c for c in response.json()}


async def test_a_deploy_makes_each_construct_and_answers_a_deployment_to_follow(
    alice: Persona,
) -> None:
    response = await deploy(alice, full_project())

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "PENDING" and accepted["result"] is None
    deployment = await followed(alice, response)
    assert deployment["id"] == accepted["id"]
    assert deployment["status"] == "SUCCEEDED" and deployment["logicalId"] == PROJECT["logicalId"]
    assert deployment["progress"] == 100 and deployment["startedAt"] is not None
    diff = deployment["result"]["diff"]
    assert set(actions(diff).values()) == {"CREATE"}
    ids = physical(diff)
    checks = await checks_by_name(alice)
    assert {checks["Home page"]["id"], checks["Cart"]["id"]} == {ids["home"], ids["cart"]}
    assert checks["Home page"]["groupId"] == ids["shop-group"]
    assert checks["Cart"]["privateLocations"] == ["shop-dc"]
    assert checks["Cart"]["alertChannelSubscriptions"] == [
        {"alertChannelId": ids["ops-email"], "activated": True}
    ]
    shop_group = (await alice.get(f"/v1/check-groups/{ids['shop-group']}")).json()
    assert shop_group["environmentVariables"][0]["key"] == "GREETING"
    channel = (await alice.get(f"/v1/alert-channels/{ids['ops-email']}")).json()
    assert channel["config"]["address"] == "ops@example.com"
    window = await alice.get(f"/v1/maintenance-windows/{ids['nightly']}")
    assert window.json()["name"] == "Nightly"
    location = await alice.get(f"/v1/private-locations/{ids['shop-dc']}")
    assert location.json()["slugName"] == "shop-dc"
    project = await alice.get(f"/next/projects/{PROJECT['logicalId']}")
    assert project.json()["name"] == PROJECT["name"]


async def test_the_deployment_streams_its_progress_and_completion_as_server_sent_events(
    alice: Persona,
) -> None:
    accepted = (await deploy(alice, full_project())).json()
    path = f"/v1/projects/{PROJECT['logicalId']}/deployments/{accepted['id']}"

    events = await alice.get(path + "/events", headers={"Accept": "text/event-stream"})

    assert events.status_code == 200
    assert events.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in events.text.split("\n\n") if f and not f.startswith(":")]
    progress = [json.loads(f.split("data: ", 1)[1])["progress"] for f in frames[:-1]]
    assert progress == sorted(progress) and progress[-1] == 100
    assert all(f.startswith("event: progress\n") for f in frames[:-1])
    kind, data = frames[-1].split("\n", 1)
    assert kind == "event: complete"
    deployment = json.loads(data.removeprefix("data: "))
    assert deployment["status"] == "SUCCEEDED" and deployment["result"]["diff"]
    assert (await alice.get(path + "/completion", params={"maxWaitSeconds": 30})).json() == (
        deployment
    )


async def test_a_dry_run_answers_the_diff_and_changes_nothing(alice: Persona) -> None:
    response = await deploy(alice, full_project(), dry_run=True)

    assert response.status_code == 200, response.text
    assert response.json()["project"]["logicalId"] == PROJECT["logicalId"]
    assert actions(response.json()["diff"])["home"] == "CREATE"
    assert await checks_by_name(alice) == {}
    assert (await alice.get(f"/next/projects/{PROJECT['logicalId']}")).status_code == 404


async def test_a_redeploy_updates_in_place_and_rewrites_only_the_edited_construct(
    alice: Persona,
) -> None:
    first = physical((await deployed(alice, full_project()))["result"]["diff"])
    edited = full_project()
    edited["resources"][2]["payload"]["name"] = "Cart (edited)"

    second = (await deployed(alice, edited))["result"]["diff"]

    assert physical(second) == first
    assert set(actions(second).values()) == {"UPDATE"}
    checks = await checks_by_name(alice)
    assert checks["Cart (edited)"]["id"] == first["cart"]
    assert checks["Cart (edited)"]["updated_at"] is not None
    assert checks["Home page"]["updated_at"] is None
    # the folded subscription and location survive the rewrite
    assert checks["Cart (edited)"]["privateLocations"] == ["shop-dc"]
    assert len(checks["Cart (edited)"]["alertChannelSubscriptions"]) == 1


async def test_a_removed_construct_is_deleted_and_objects_made_through_the_api_are_untouched(
    alice: Persona,
) -> None:
    made_by_api = await alice.post(
        "/v1/checks/api",
        json={"name": "Cart", "locations": ["local"], "request": {"method": "GET", "url": URL}},
    )
    assert made_by_api.status_code == 201
    api_group = await alice.post("/v1/check-groups", json={"name": "Shop group", "activated": True})
    await deployed(alice, full_project())
    without_cart = full_project()
    without_cart["resources"] = [
        r for r in without_cart["resources"] if "cart" not in r["logicalId"]
    ]

    diff = (await deployed(alice, without_cart))["result"]["diff"]

    assert actions(diff)["cart"] == "DELETE"
    remaining = (await alice.get("/v1/checks", params={"limit": 100})).json()
    assert sorted(c["name"] for c in remaining) == ["Cart", "Home page"]
    untouched = (await alice.get(f"/v1/checks/{made_by_api.json()['id']}")).json()
    assert untouched == made_by_api.json()
    assert (await alice.get(f"/v1/check-groups/{api_group.json()['id']}")).status_code == 200

    await followed(alice, await alice.delete(f"/v1/projects/{PROJECT['logicalId']}"))

    remaining = (await alice.get("/v1/checks", params={"limit": 100})).json()
    assert [c["id"] for c in remaining] == [made_by_api.json()["id"]]
    assert (await alice.get(f"/v1/check-groups/{api_group.json()['id']}")).status_code == 200


async def test_preserved_resources_are_detached_and_kept(alice: Persona) -> None:
    await deployed(alice, full_project())
    only_home = body(
        group("shop-group", "Shop group"),
        api_check("home", "Home page", URL, groupId={"ref": "shop-group"}),
    )

    diff = (await deployed(alice, only_home, preserveResources="true"))["result"]["diff"]

    assert actions(diff)["cart"] == "DETACHED"
    assert "Cart" in await checks_by_name(alice)
    # the project let go of it: destroying the project leaves it too
    destroyed = await followed(alice, await alice.delete(f"/v1/projects/{PROJECT['logicalId']}"))
    assert destroyed["status"] == "SUCCEEDED"
    assert set(await checks_by_name(alice)) == {"Cart"}


async def test_destroy_deletes_everything_the_project_made(alice: Persona) -> None:
    ids = physical((await deployed(alice, full_project()))["result"]["diff"])

    preview = await alice.delete(f"/v1/projects/{PROJECT['logicalId']}", params={"dryRun": "true"})
    assert preview.status_code == 200 and "status" not in preview.json()
    assert set(actions(preview.json()["diff"]).values()) == {"DELETE"}
    assert len(await checks_by_name(alice)) == 2

    response = await alice.delete(
        f"/v1/projects/{PROJECT['logicalId']}",
        params={"preserveResources": "false", "dryRun": "false"},
    )

    assert response.status_code == 202 and response.json()["status"] == "PENDING"
    assert (await followed(alice, response))["status"] == "SUCCEEDED"
    assert await checks_by_name(alice) == {}
    for path in (
        f"/v1/check-groups/{ids['shop-group']}",
        f"/v1/alert-channels/{ids['ops-email']}",
        f"/v1/maintenance-windows/{ids['nightly']}",
        f"/v1/private-locations/{ids['shop-dc']}",
        f"/next/projects/{PROJECT['logicalId']}",
    ):
        assert (await alice.get(path)).status_code == 404, path
    # a project that is gone is already destroyed: nothing to follow
    again = await alice.delete(f"/v1/projects/{PROJECT['logicalId']}")
    assert again.status_code == 200 and again.json() == {"project": None, "diff": []}


async def test_another_accounts_project_is_a_404_and_cannot_be_destroyed(
    alice: Persona, charlie: Persona
) -> None:
    deployment = await deployed(alice, full_project())
    base = f"/v1/projects/{PROJECT['logicalId']}"
    path = f"{base}/deployments/{deployment['id']}"

    assert (await charlie.get(f"/next/projects/{PROJECT['logicalId']}")).status_code == 404
    for suffix in ("", "/events", "/completion"):
        assert (await charlie.get(path + suffix)).status_code == 404, suffix
    assert (await charlie.post(path + "/cancel")).status_code == 404
    destroyed = await charlie.delete(base)
    assert destroyed.status_code == 200 and destroyed.json()["project"] is None
    # the same logicalId in another account is another project
    charlie_diff = await deployed(charlie, body(api_check("home", "Home", URL)))
    assert actions(charlie_diff["result"]["diff"]) == {"home": "CREATE"}
    assert sorted(await checks_by_name(alice)) == ["Cart", "Home page"]
    assert sorted(await checks_by_name(charlie)) == ["Home"]


async def test_a_bad_construct_is_a_400_naming_it_and_nothing_is_applied(alice: Persona) -> None:
    bad = api_check("broken", "Broken", URL, frequency=7)

    response = await deploy(alice, body(api_check("fine", "Fine", URL), bad))

    assert response.status_code == 400
    assert response.json()["message"].startswith("check 'broken': ")
    assert "frequency" in response.json()["message"]
    assert await checks_by_name(alice) == {}
    preview = await deploy(alice, body(bad), dry_run=True)
    assert preview.status_code == 400


async def test_a_construct_vantage_does_not_deploy_is_a_400_naming_the_field(
    alice: Persona,
) -> None:
    response = await deploy(alice, body(resource("status-page-component", "web", {"name": "Web"})))

    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["resources[0].type"]


async def test_a_body_that_inflates_past_the_limit_is_a_413(
    vantage: Harness, alice: Persona
) -> None:
    limit = vantage.runtime.settings.max_body_bytes * 16
    bomb = gzip.compress(b" " * (limit + 1))

    response = await alice.post(
        "/v1/projects/deploy",
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 413
    assert len(bomb) < vantage.runtime.settings.max_body_bytes


async def test_a_reference_to_an_object_made_outside_the_project_is_used_and_never_deleted(
    alice: Persona, charlie: Persona
) -> None:
    made = await alice.post("/v1/check-groups", json={"name": "Made by API", "activated": True})
    group_id = made.json()["id"]
    reference = {
        "logicalId": f"check-group-{group_id}",
        "type": "check-group",
        "physicalId": group_id,
        "member": False,
        "payload": None,
    }
    in_group = api_check("home", "Home page", URL, groupId={"ref": f"check-group-{group_id}"})

    deployment = await deployed(alice, body(reference, in_group))

    assert actions(deployment["result"]["diff"]) == {"home": "CREATE"}
    assert (await checks_by_name(alice))["Home page"]["groupId"] == group_id
    await followed(alice, await alice.delete(f"/v1/projects/{PROJECT['logicalId']}"))
    assert (await alice.get(f"/v1/check-groups/{group_id}")).status_code == 200
    # another account's group cannot be referred to: what only the database can tell fails the
    # deployment, with Checkly's error body naming the field, and nothing is applied
    refused = await deployed(charlie, body(reference, in_group))
    assert refused["status"] == "FAILED" and refused["result"] is None
    assert refused["error"]["statusCode"] == 400
    assert refused["error"]["validation"]["keys"] == ["groupId"]
    assert await checks_by_name(charlie) == {}


async def test_an_envelope_field_of_the_wrong_type_is_a_400_naming_it(alice: Persona) -> None:
    bad = {**body(api_check("home", "Home", URL)), "repoInfo": 5}

    response = await deploy(alice, bad)

    assert response.status_code == 400
    assert response.json()["validation"]["keys"] == ["repoInfo"]


def status_constructs(header: str = "Shop") -> list[dict[str, Any]]:
    """A StatusPageService, a StatusPage whose card names it, and a Dashboard, as CLI 9.5.0
    synthesizes them (undefined fields are left out)."""
    return [
        resource("status-page-service", "web-service", {"name": "Web shop"}),
        resource(
            "status-page",
            "shop-status",
            {
                "name": "Shop status",
                "url": "shop-status",
                "defaultTheme": "AUTO",
                "cards": [{"name": "Shop", "services": [{"ref": "web-service"}]}],
            },
        ),
        resource(
            "dashboard",
            "shop-board",
            {"tags": ["shop"], "customUrl": "shop-board", "header": header, "refreshRate": 60},
        ),
    ]


async def test_status_pages_their_services_and_dashboards_deploy_update_and_destroy(
    alice: Persona,
) -> None:
    first = await deployed(alice, body(*status_constructs()))
    ids = physical(first["result"]["diff"])

    assert first["status"] == "SUCCEEDED", first["error"]
    page = (await alice.get(f"/v1/status-pages/{ids['shop-status']}")).json()
    assert [s["id"] for s in page["cards"][0]["services"]] == [ids["web-service"]]
    board = (await alice.get(f"/v1/dashboards/{ids['shop-board']}")).json()
    assert board["header"] == "Shop" and board["customUrl"] == "shop-board"

    second = await deployed(alice, body(*status_constructs(header="Shop (edited)")))

    assert physical(second["result"]["diff"]) == ids
    board = (await alice.get(f"/v1/dashboards/{ids['shop-board']}")).json()
    assert board["header"] == "Shop (edited)"
    destroyed = await followed(alice, await alice.delete(f"/v1/projects/{PROJECT['logicalId']}"))
    assert destroyed["status"] == "SUCCEEDED"
    for path in (
        f"/v1/status-pages/{ids['shop-status']}",
        f"/v1/status-pages/services/{ids['web-service']}",
        f"/v1/dashboards/{ids['shop-board']}",
    ):
        assert (await alice.get(path)).status_code == 404, path


async def test_a_status_page_naming_a_service_of_another_project_fails_the_deployment(
    alice: Persona,
) -> None:
    constructs = status_constructs()
    constructs[1]["payload"]["cards"][0]["services"] = [{"ref": "nowhere"}]

    response = await deploy(alice, body(*constructs))

    # a reference to nothing in the project is known only once applied: the deployment fails
    assert response.status_code == 202
    failed = await followed(alice, response)
    assert failed["status"] == "FAILED" and "nowhere" in failed["error"]["message"]
    assert (await alice.get("/v1/dashboards")).json() == []
