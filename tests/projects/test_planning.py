"""What a deploy changes, worked out without a database (vantage.projects.planning)."""

from __future__ import annotations

import pytest

from vantage.errors import BadRequest
from vantage.projects.planning import (
    Mapped,
    Resource,
    fold,
    parse_resources,
    payload_hash,
    plan,
    resolve_refs,
)


def check(logical_id: str, **payload: object) -> Resource:
    return Resource("check", logical_id, {"checkType": "API", **payload})


def test_new_constructs_are_created_and_known_ones_updated() -> None:
    known = check("a", name="A")
    mapped = [Mapped("check", "a", "id-a", payload_hash(known.payload))]

    changes = plan([known, check("b", name="B")], mapped).changes

    assert [(c.logical_id, c.action, c.changed) for c in changes] == [
        ("a", "UPDATE", False),
        ("b", "CREATE", True),
    ]


def test_an_edited_construct_is_an_update_that_changes_its_object() -> None:
    mapped = [Mapped("check", "a", "id-a", payload_hash(check("a", name="A").payload))]

    [change] = plan([check("a", name="A2")], mapped).changes

    assert (change.action, change.changed, change.physical_id) == ("UPDATE", True, "id-a")


def test_a_construct_gone_from_the_body_is_deleted_or_detached_when_preserved() -> None:
    mapped = [Mapped("check", "gone", "id-g", "h")]

    assert [c.action for c in plan([], mapped).changes] == ["DELETE"]
    assert [c.action for c in plan([], mapped, preserve=True).changes] == ["DETACHED"]
    # a detached object is left alone
    assert plan([], mapped, preserve=True).applied() == []


def test_groups_are_written_before_their_checks_and_deleted_after_them() -> None:
    group = Resource("check-group", "g", {"name": "G"})
    mapped = [Mapped("check-group", "old-g", "1", "h"), Mapped("check", "old-c", "c", "h")]

    applied = plan([check("c1", groupId={"ref": "g"}), group], mapped).applied()

    assert [(c.type, c.logical_id, c.action) for c in applied] == [
        ("check-group", "g", "CREATE"),
        ("check", "c1", "CREATE"),
        ("check", "old-c", "DELETE"),
        ("check-group", "old-g", "DELETE"),
    ]


def test_subscriptions_and_assignments_are_folded_into_their_check() -> None:
    resources = [
        check("c", name="C"),
        Resource("private-location", "pl", {"name": "PL", "slugName": "my-pl"}),
        Resource(
            "alert-channel-subscription",
            "sub",
            {"alertChannelId": {"ref": "ch"}, "checkId": {"ref": "c"}, "activated": True},
        ),
        Resource(
            "private-location-check-assignment",
            "asg",
            {"privateLocationId": {"ref": "pl"}, "checkId": {"ref": "c"}},
        ),
    ]

    folded = {r.logical_id: r for r in fold(resources)}

    assert folded["c"].payload["alertChannelSubscriptions"] == [
        {"alertChannelId": {"ref": "ch"}, "activated": True}
    ]
    assert folded["c"].payload["privateLocations"] == ["my-pl"]


def test_references_resolve_to_the_ids_of_the_objects() -> None:
    resolved = resolve_refs(
        {"groupId": {"ref": "g"}, "subs": [{"id": {"ref": "ch"}}]}, {"g": 7, "ch": 3}
    )

    assert resolved == {"groupId": 7, "subs": [{"id": 3}]}
    with pytest.raises(BadRequest, match="'nope', which is not part of this project"):
        resolve_refs({"groupId": {"ref": "nope"}}, {})


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("status-page", {"name": "Shop", "url": "shop", "version": 3}),
        ("status-page-component", {"statusPageId": {"ref": "page"}, "type": "SERVICE"}),
        ("status-page-automation-rule", {"statusPageId": {"ref": "page"}, "tags": ["web"]}),
    ],
)
def test_a_status_page_v3_or_its_parts_are_refused_saying_what_deploys_instead(
    kind: str, payload: dict[str, object]
) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_resources([{"type": kind, "logicalId": "v3", "member": True, "payload": payload}])
    assert refused.value.keys == ["resources[0].type"]
    assert "use StatusPage with StatusPageService" in refused.value.message


def test_the_body_names_the_first_bad_resource() -> None:
    with pytest.raises(BadRequest) as unknown:
        parse_resources([{"type": "teleporter", "logicalId": "d", "payload": {}}])
    assert unknown.value.keys == ["resources[0].type"]
    assert "Vantage does not deploy 'teleporter' constructs" in unknown.value.message
    twice = {"type": "check", "logicalId": "c", "payload": {}}
    reference = {"type": "check-group", "logicalId": "g", "member": False, "physicalId": 7}
    assert parse_resources([twice, reference]).references == {"g": 7}
    with pytest.raises(BadRequest) as duplicate:
        parse_resources([twice, twice])
    assert duplicate.value.keys == ["resources[1].logicalId"]


def test_a_checks_dependencies_become_the_shared_files_they_name() -> None:
    shop = {"path": "__checks__/shop.ts", "content": "export const SHOP = 'a'"}
    check = {"type": "check", "logicalId": "b", "payload": {"script": "s", "dependencies": [0]}}

    [resource] = parse_resources([check], [shop]).resources
    edited = parse_resources([check], [{**shop, "content": "export const SHOP = 'b'"}])

    assert resource.payload["dependencies"] == [shop]
    # Editing the imported file changes the construct, so a redeploy updates its check.
    assert payload_hash(edited.resources[0].payload) != payload_hash(resource.payload)
    with pytest.raises(BadRequest) as missing:
        parse_resources([check], [])
    assert missing.value.keys == ["resources[0].payload", "dependencies", "0"]
