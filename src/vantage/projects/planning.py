"""What a deploy changes, worked out without I/O: which constructs are created, updated, deleted or
detached, in which order, and how `{"ref": logicalId}` references become object ids.

The assignments and subscriptions the CLI sends as resources of their own (a check's alert channel
subscription, its private location) are folded into the check or group they name, so that a check
is written once, whole; they keep a row of their own in the diff, as Checkly reports them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from vantage.checks.constructs import construct_check
from vantage.errors import BadRequest

Action = Literal["CREATE", "UPDATE", "DELETE", "DETACHED"]

# The kinds a deploy writes, in the order they are created or updated: what is referred to
# first (a check's `triggerIncident` names a status page service, a page's cards name services).
# Deletions run in the reverse order (a group's checks before the group).
APPLIED = (
    "private-location",
    "alert-channel",
    "status-page-service",
    "check-group",
    "check",
    "maintenance-window",
    "status-page",
    "dashboard",
)
SUBSCRIPTION = "alert-channel-subscription"
CHECK_ASSIGNMENT = "private-location-check-assignment"
GROUP_ASSIGNMENT = "private-location-group-assignment"
FOLDED = (SUBSCRIPTION, CHECK_ASSIGNMENT, GROUP_ASSIGNMENT)
KINDS = (*APPLIED, *FOLDED)
# StatusPageV3 and its parts (checkly 9.5): a page of components and incident automation rules,
# which Vantage's status pages (cards of services) do not model.
V3_PAGE_PARTS = ("status-page-component", "status-page-automation-rule")
V3_REFUSED = (
    "StatusPageV3 pages, their components and automation rules are not deployed by Vantage yet; "
    "use StatusPage with StatusPageService"
)


@dataclass(frozen=True, slots=True)
class Resource:
    """One construct of the deploy body."""

    type: str
    logical_id: str
    payload: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.logical_id)


@dataclass(frozen=True, slots=True)
class Mapped:
    """A construct an earlier deploy of the project made, and the object it became."""

    type: str
    logical_id: str
    physical_id: str | None
    payload_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.logical_id)


@dataclass(frozen=True, slots=True)
class Change:
    type: str
    logical_id: str
    action: Action
    physical_id: str | None = None
    resource: Resource | None = None
    # False for an UPDATE whose construct is as last deployed: its object is left alone.
    changed: bool = True

    def wire(self, physical_id: str | int | None = None) -> dict[str, Any]:
        return {
            "type": self.type,
            "logicalId": self.logical_id,
            "physicalId": physical_id if physical_id is not None else self.physical_id,
            "action": self.action,
        }


def payload_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Parsed:
    resources: list[Resource]
    # `member: false` resources (`CheckGroupV2.fromId(7)`): objects made outside the project that
    # constructs refer to, by logicalId, with the id they have. Never written, never deleted.
    references: dict[str, str | int]


def parse_resources(raw: Any, shared: list[Any] | None = None) -> Parsed:
    """The body's `resources`, each a known kind named once; a 400 names the first bad one.
    A check's `dependencies` that name `shared` files (the body's `sharedFiles`, by index)
    become those files here, so that editing an imported file changes the check's payload."""
    if not isinstance(raw, list):
        raise BadRequest('"resources" must be an array', keys=["resources"])
    found: list[Resource] = []
    references: dict[str, str | int] = {}
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        where = f"resources[{index}]"
        if not isinstance(item, dict):
            raise BadRequest(f'"{where}" must be of type object', keys=[where])
        kind, logical_id, payload = item.get("type"), item.get("logicalId"), item.get("payload")
        v3_page = (
            kind == "status-page" and isinstance(payload, dict) and payload.get("version") == 3
        )
        if kind in V3_PAGE_PARTS or v3_page:
            # One line, as the CLI prints it: what is refused, and what deploys instead.
            raise BadRequest(f'"{where}": {V3_REFUSED}', keys=[f"{where}.type"])
        if kind not in KINDS:
            raise BadRequest(
                f'"{where}.type" must be one of [{", ".join(KINDS)}]: Vantage does not deploy '
                f"{kind!r} constructs",
                keys=[f"{where}.type"],
            )
        if not isinstance(logical_id, str) or not 1 <= len(logical_id) <= 255:
            raise BadRequest(
                f'"{where}.logicalId" must be a string of 1 to 255 characters',
                keys=[f"{where}.logicalId"],
            )
        if item.get("member") is False:
            references[logical_id] = _reference_id(item.get("physicalId"), where)
            continue
        if not isinstance(payload, dict):
            raise BadRequest(f'"{where}.payload" must be of type object', keys=[f"{where}.payload"])
        if kind == "check":
            payload = construct_check(
                payload, shared or [], f"{where}.payload", [f"{where}.payload"]
            )
        resource = Resource(str(kind), logical_id, payload)
        if resource.key in seen:
            raise BadRequest(
                f'"{where}.logicalId" {logical_id!r} is used twice for a {kind}',
                keys=[f"{where}.logicalId"],
            )
        seen.add(resource.key)
        found.append(resource)
    return Parsed(found, references)


def _reference_id(value: Any, where: str) -> str | int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise BadRequest(
            f'"{where}.physicalId" must name the object a reference stands for',
            keys=[f"{where}.physicalId"],
        )
    if isinstance(value, str) and len(value) > 64:
        raise BadRequest(f'"{where}.physicalId" is too long', keys=[f"{where}.physicalId"])
    return value


def ref_of(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {"ref"} and isinstance(value["ref"], str):
        return value["ref"]
    return None


def fold(resources: Iterable[Resource]) -> list[Resource]:
    """The resources with each subscription and private location assignment added to the payload
    of the check or group it names (`alertChannelSubscriptions`, `privateLocations`)."""
    resources = list(resources)
    slugs = {
        r.logical_id: r.payload.get("slugName") for r in resources if r.type == "private-location"
    }
    extra: dict[tuple[str, str], dict[str, list[Any]]] = {}

    def add(kind: str, target: Any, field_name: str, value: Any) -> None:
        logical_id = ref_of(target)
        if logical_id is not None:
            extra.setdefault((kind, logical_id), {}).setdefault(field_name, []).append(value)

    for r in resources:
        if r.type == SUBSCRIPTION:
            subscription = {
                "alertChannelId": r.payload.get("alertChannelId"),
                "activated": r.payload.get("activated", True),
            }
            if r.payload.get("checkId") is not None:
                add("check", r.payload["checkId"], "alertChannelSubscriptions", subscription)
            else:
                add(
                    "check-group",
                    r.payload.get("groupId"),
                    "alertChannelSubscriptions",
                    subscription,
                )
        elif r.type in (CHECK_ASSIGNMENT, GROUP_ASSIGNMENT):
            location = r.payload.get("privateLocationId")
            slug = slugs.get(ref_of(location) or "") if ref_of(location) else location
            target_kind, target = (
                ("check", r.payload.get("checkId"))
                if r.type == CHECK_ASSIGNMENT
                else ("check-group", r.payload.get("groupId"))
            )
            if slug is not None:
                add(target_kind, target, "privateLocations", slug)
    folded = []
    for r in resources:
        more = extra.get(r.key)
        if more:
            payload = dict(r.payload)
            for name, values in more.items():
                payload[name] = [*(payload.get(name) or []), *values]
            r = replace(r, payload=payload)
        folded.append(r)
    return folded


@dataclass(frozen=True, slots=True)
class Plan:
    changes: list[Change] = field(default_factory=list)

    def applied(self) -> list[Change]:
        """Writes, in order: creates and updates by kind, then deletions in reverse."""
        writes = [c for c in self.changes if c.action in ("CREATE", "UPDATE") and c.changed]
        deletes = [c for c in self.changes if c.action == "DELETE"]
        order = {kind: index for index, kind in enumerate(KINDS)}
        writes.sort(key=lambda c: order[c.type])
        deletes.sort(key=lambda c: -order.get(c.type, 0))
        return [c for c in [*writes, *deletes] if c.type in APPLIED]


def plan(
    resources: Iterable[Resource], mapped: Iterable[Mapped], *, preserve: bool = False
) -> Plan:
    """Every construct is a CREATE (new) or an UPDATE (deployed before); every construct deployed
    before and gone from the body is a DELETE, or DETACHED when the resources are preserved (the
    object stays, the project lets go of it). Nothing outside `mapped` is ever named."""
    known = {m.key: m for m in mapped}
    changes: list[Change] = []
    incoming: set[tuple[str, str]] = set()
    for r in resources:
        incoming.add(r.key)
        before = known.get(r.key)
        if before is None:
            changes.append(Change(r.type, r.logical_id, "CREATE", resource=r))
        else:
            changes.append(
                Change(
                    r.type,
                    r.logical_id,
                    "UPDATE",
                    physical_id=before.physical_id,
                    resource=r,
                    changed=before.payload_hash != payload_hash(r.payload),
                )
            )
    gone: Action = "DETACHED" if preserve else "DELETE"
    for key, before in known.items():
        if key not in incoming:
            changes.append(Change(before.type, before.logical_id, gone, before.physical_id))
    order = {kind: index for index, kind in enumerate(KINDS)}
    changes.sort(key=lambda c: (order.get(c.type, len(order)), c.logical_id))
    return Plan(changes)


def resolve_refs(value: Any, ids: Mapping[str, str | int]) -> Any:
    """`value` with each `{"ref": logicalId}` replaced by the id of the object that construct is;
    a reference to a construct the project does not have is a 400."""
    logical_id = ref_of(value)
    if logical_id is not None:
        if logical_id not in ids:
            raise BadRequest(
                f"A construct refers to {logical_id!r}, which is not part of this project",
                keys=["resources"],
            )
        return ids[logical_id]
    if isinstance(value, dict):
        return {k: resolve_refs(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, ids) for v in value]
    return value
