"""`checkly deploy` and `checkly destroy`: a project's constructs written through the services of
checks, groups, alert channels, private locations and maintenance windows, each mapped to its
object by the construct's logicalId.

A deploy is one transaction: it applies every change or none. A dry run (`--preview`) applies them
too and rolls back, so the preview refuses exactly what the deploy would. Objects the project does
not map (made through the API, Terraform or another project) are never changed or deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import service as channels
from vantage.alerting import windows
from vantage.checks import service as checks
from vantage.checks.constructs import shared_files
from vantage.db.engine import Database
from vantage.errors import BadRequest, Conflict, NotFound, VantageError
from vantage.groups import service as groups
from vantage.groups.schemas import CheckGroupV2
from vantage.locations import service as locations
from vantage.projects import repository
from vantage.projects.planning import (
    Change,
    Mapped,
    Resource,
    fold,
    parse_resources,
    payload_hash,
    plan,
    resolve_refs,
)
from vantage.projects.responses import DeployBody
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request
from vantage.variables.masking import Seal

# Kinds whose objects have numeric ids (references to them resolve to numbers).
NUMERIC_IDS = frozenset({"check-group", "alert-channel", "maintenance-window"})
DEPLOYMENT_NOT_FOUND = "No such deployment."


@dataclass(frozen=True, slots=True)
class Context:
    account_id: str
    base_url: str
    reserved: frozenset[str]
    # Seals secret variable values of the checks and groups written (vantage.sealing)
    seal: Seal


@dataclass(slots=True)
class Outcome:
    project: dict[str, Any] | None
    diff: list[dict[str, Any]]
    # Sessions that ended because their check or location was deleted.
    ended_sessions: list[str] = field(default_factory=list)
    deployment: dict[str, Any] | None = None

    def result(self) -> dict[str, Any]:
        return {"project": self.project, "diff": self.diff}


class _DryRun(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


def _project_body(body: Any) -> tuple[str, str, str | None]:
    if not isinstance(body, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    project = body.get("project")
    if not isinstance(project, dict):
        raise BadRequest('"project" must be of type object', keys=["project"])
    logical_id, name = project.get("logicalId"), project.get("name")
    if not isinstance(logical_id, str) or not 1 <= len(logical_id) <= 255:
        raise BadRequest(
            '"project.logicalId" must be a string of 1 to 255 characters',
            keys=["project.logicalId"],
        )
    if not isinstance(name, str) or not 1 <= len(name) <= 500:
        raise BadRequest(
            '"project.name" must be a string of 1 to 500 characters', keys=["project.name"]
        )
    repo_url = project.get("repoUrl")
    return logical_id, name, repo_url if isinstance(repo_url, str) else None


def _check_envelope(body: dict[str, Any]) -> None:
    """What the checks above leave to the documented model (`repoInfo`, `sharedFiles`, ...)."""
    try:
        DeployBody.model_validate(body)
    except ValidationError as exc:
        raise bad_request(exc) from None


def project_wire(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "logicalId": row.logical_id,
        "name": row.name,
        "repoUrl": row.repo_url,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def deployment_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """A deployment row's columns (`row._mapping`, or the values inserted) as the CLI reads it."""
    ended = values["ended_at"]
    return {
        "id": values["id"],
        "logicalId": values["logical_id"],
        "status": values["status"],
        "dryRun": values["dry_run"],
        "progress": 100 if ended is not None else 0,
        "error": values["error"],
        "result": values["result"],
        "createdAt": iso(values["created_at"]),
        "startedAt": iso(values["created_at"]),
        "endedAt": iso(ended),
        "cancelRequestedAt": None,
    }


async def deploy(
    db: Database, ctx: Context, body: Any, *, dry_run: bool, preserve: bool
) -> Outcome:
    """Apply a deploy body; a dry run rolls back and records no deployment."""
    logical_id, name, repo_url = _project_body(body)
    parsed = parse_resources(body.get("resources"), shared_files(body.get("sharedFiles")))
    _check_envelope(body)
    try:
        async with db.write() as conn:
            row = await _project_row(conn, ctx.account_id, logical_id, name, repo_url)
            outcome = await _apply(
                conn, ctx, row, parsed.resources, preserve=preserve, references=parsed.references
            )
            if dry_run:
                raise _DryRun(outcome)
            outcome.deployment = await _record(conn, ctx.account_id, logical_id, outcome)
            return outcome
    except _DryRun as rolled_back:
        return rolled_back.outcome


async def destroy(
    db: Database, ctx: Context, logical_id: str, *, dry_run: bool, preserve: bool
) -> Outcome:
    """Delete the project and (unless preserved) every object its deploys made. A project this
    account does not have is already gone: an outcome with no project and no deployment."""
    try:
        async with db.write() as conn:
            row = await repository.project(conn, ctx.account_id, logical_id, for_update=True)
            if row is None:
                return Outcome(project=None, diff=[])
            outcome = await _apply(conn, ctx, row, [], preserve=preserve)
            await repository.delete_project(conn, row.id)
            if dry_run:
                raise _DryRun(outcome)
            outcome.deployment = await _record(conn, ctx.account_id, logical_id, outcome)
            return outcome
    except _DryRun as rolled_back:
        return rolled_back.outcome


async def get_deployment(
    conn: AsyncConnection, account_id: str, logical_id: str, deployment_id: str
) -> dict[str, Any]:
    row = await repository.deployment(conn, account_id, logical_id, deployment_id)
    if row is None:
        raise NotFound(DEPLOYMENT_NOT_FOUND)
    return deployment_wire(row._mapping)


async def get_project(conn: AsyncConnection, account_id: str, logical_id: str) -> dict[str, Any]:
    row = await repository.project(conn, account_id, logical_id)
    if row is None:
        raise NotFound(f'Project "{logical_id}" does not exist.')
    return project_wire(row)


async def _project_row(
    conn: AsyncConnection, account_id: str, logical_id: str, name: str, repo_url: str | None
) -> Any:
    row = await repository.project(conn, account_id, logical_id, for_update=True)
    now = utcnow()
    if row is None:
        try:
            await repository.insert_project(
                conn,
                {
                    "id": str(uuid.uuid4()),
                    "account_id": account_id,
                    "logical_id": logical_id,
                    "name": name,
                    "repo_url": repo_url,
                    "created_at": now,
                    "updated_at": None,
                },
            )
        except sa.exc.IntegrityError:
            # Another first deploy of the same project won the insert (PostgreSQL).
            raise Conflict(f'Project "{logical_id}" is being deployed: try again.') from None
    elif (row.name, row.repo_url) != (name, repo_url):
        await repository.update_project(
            conn, row.id, {"name": name, "repo_url": repo_url, "updated_at": now}
        )
    return await repository.project(conn, account_id, logical_id)


async def _record(
    conn: AsyncConnection, account_id: str, logical_id: str, outcome: Outcome
) -> dict[str, Any]:
    """The deployment the CLI follows. It is applied by the time the POST answers, so it is
    recorded finished; its events stream says so at once."""
    now = utcnow()
    values = {
        "id": str(uuid.uuid4()),
        "account_id": account_id,
        "logical_id": logical_id,
        "status": "SUCCEEDED",
        "dry_run": False,
        "error": None,
        "result": outcome.result(),
        "created_at": now,
        "ended_at": now,
    }
    await repository.insert_deployment(conn, values)
    return deployment_wire(values)


def _native(kind: str, physical_id: str | None) -> str | int | None:
    if physical_id is None:
        return None
    return int(physical_id) if kind in NUMERIC_IDS else physical_id


async def _apply(
    conn: AsyncConnection,
    ctx: Context,
    project: Any,
    resources: list[Resource],
    *,
    preserve: bool,
    references: dict[str, str | int] | None = None,
) -> Outcome:
    folded = fold(resources)
    before = await repository.mapped(conn, project.id)
    planned = plan(folded, before, preserve=preserve)
    # A reference is checked where it is used, as the REST API checks it: a check's `groupId`
    # must be a group of this account, a subscription's channel one of its channels.
    ids: dict[str, str | int] = dict(references or {})
    for m in before:
        native = _native(m.type, m.physical_id)
        if native is not None:
            ids[m.logical_id] = native
    physical: dict[tuple[str, str], str | None] = {m.key: m.physical_id for m in before}
    ended: list[str] = []
    for change in planned.applied():
        try:
            if change.action == "DELETE":
                ended += await _delete(conn, ctx, change)
                physical.pop((change.type, change.logical_id), None)
                continue
            assert change.resource is not None
            payload = resolve_refs(change.resource.payload, ids)
            new_id = await _write(conn, ctx, change, payload, ended)
        except VantageError as exc:
            exc.message = f"{change.type} {change.logical_id!r}: {exc.message}"
            exc.args = (exc.message,)
            raise
        physical[(change.type, change.logical_id)] = str(new_id)
        ids[change.logical_id] = new_id
    mapped = [
        Mapped(r.type, r.logical_id, physical.get(r.key), payload_hash(r.payload)) for r in folded
    ]
    await repository.replace_mapped(conn, project.id, mapped)
    diff = [
        change.wire(_native(change.type, physical.get((change.type, change.logical_id))))
        if change.action in ("CREATE", "UPDATE")
        else change.wire(_native(change.type, change.physical_id))
        for change in planned.changes
    ]
    return Outcome(project=project_wire(project), diff=diff, ended_sessions=ended)


async def _write(
    conn: AsyncConnection, ctx: Context, change: Change, payload: dict[str, Any], ended: list[str]
) -> str | int:
    """Create the construct's object, or make the mapped one what the construct now says (the
    whole object: a field dropped from the construct goes back to its default)."""
    if change.action == "UPDATE" and change.physical_id is not None:
        try:
            return await _update(conn, ctx, change.type, change.physical_id, payload)
        except NotFound:
            # Deleted outside the project since the last deploy, or a check whose type changed:
            # made anew (a check of the old type is removed first).
            if change.type == "check":
                ended += await _delete(conn, ctx, change)
    return await _create(conn, ctx, change.type, payload)


async def _create(
    conn: AsyncConnection, ctx: Context, kind: str, payload: dict[str, Any]
) -> str | int:
    account_id = ctx.account_id
    if kind == "check":
        body = dict(payload)
        check_type = body.pop("checkType", None)
        check = await checks.create(
            conn,
            account_id,
            str(check_type),
            body,
            seal=ctx.seal,
            base_url=ctx.base_url,
            auto_assign=False,
        )
        return check.id
    if kind == "check-group":
        group = await groups.create(
            conn, account_id, _group_body(payload), seal=ctx.seal, version=2
        )
        return group.id
    if kind == "alert-channel":
        channel = await channels.create(conn, account_id, payload)
        return int(channel.row.id)
    if kind == "maintenance-window":
        return int((await windows.create(conn, account_id, payload))["id"])
    if kind == "private-location":
        created = await locations.create_private(
            conn, account_id, _location_body(payload), reserved=ctx.reserved, seal=ctx.seal
        )
        return str(created["id"])
    raise BadRequest(f"Vantage does not deploy {kind} constructs", keys=["resources"])


async def _update(
    conn: AsyncConnection, ctx: Context, kind: str, physical_id: str, payload: dict[str, Any]
) -> str | int:
    account_id = ctx.account_id
    if kind == "check":
        body = dict(payload)
        check_type = str(body.pop("checkType", None))
        whole = checks.validate(check_type, body)
        await checks.update(
            conn,
            account_id,
            physical_id,
            whole,
            seal=ctx.seal,
            check_type=check_type,
            base_url=ctx.base_url,
        )
        return physical_id
    if kind == "check-group":
        whole = groups.validate(_group_body(payload), CheckGroupV2)
        await groups.update(conn, account_id, int(physical_id), whole, seal=ctx.seal, version=2)
        return int(physical_id)
    if kind == "alert-channel":
        await channels.update(conn, account_id, int(physical_id), payload)
        return int(physical_id)
    if kind == "maintenance-window":
        await windows.update(conn, account_id, int(physical_id), payload)
        return int(physical_id)
    if kind == "private-location":
        await locations.update_private(
            conn, account_id, physical_id, _location_body(payload), seal=ctx.seal
        )
        return physical_id
    raise BadRequest(f"Vantage does not deploy {kind} constructs", keys=["resources"])


async def _delete(conn: AsyncConnection, ctx: Context, change: Change) -> list[str]:
    """Delete a construct's object; one already deleted outside the project is simply gone."""
    physical_id, account_id = change.physical_id, ctx.account_id
    if physical_id is None:
        return []
    try:
        if change.type == "check":
            return await checks.delete(conn, account_id, physical_id)
        if change.type == "check-group":
            await groups.delete(conn, account_id, int(physical_id))
        elif change.type == "alert-channel":
            await channels.delete(conn, account_id, int(physical_id))
        elif change.type == "maintenance-window":
            await windows.delete(conn, account_id, int(physical_id))
        elif change.type == "private-location":
            return await locations.delete_private(conn, account_id, physical_id)
    except NotFound:
        pass
    return []


def _group_body(payload: dict[str, Any]) -> dict[str, Any]:
    # `v` is the construct's version (CheckGroupV2 is 2): not a field of the group.
    return {k: v for k, v in payload.items() if k != "v"}


def _location_body(payload: dict[str, Any]) -> dict[str, Any]:
    # The construct sends `proxyUrl` and `icon` as undefined (dropped) or a value.
    return {k: v for k, v in payload.items() if v is not None}
