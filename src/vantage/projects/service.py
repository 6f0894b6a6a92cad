"""`checkly deploy` and `checkly destroy`: a project's constructs written through the services of
checks, groups, alert channels, private locations and maintenance windows, each mapped to its
object by the construct's logicalId.

A deploy is one transaction: it applies every change or none. A dry run (`--preview`) applies them
too and rolls back, so the preview refuses exactly what the deploy would. Objects the project does
not map (made through the API, Terraform or another project) are never changed or deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import service as channels
from vantage.alerting import windows
from vantage.checks import repository as checks_repository
from vantage.checks import service as checks
from vantage.checks.constructs import shared_files
from vantage.dashboards import service as dashboards
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
from vantage.projects.tracking import DeployCancelled, Deployments
from vantage.statuspages import writing as status_pages
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request
from vantage.variables.masking import Seal

log = structlog.get_logger(__name__)

# Kinds whose objects have numeric ids (references to them resolve to numbers).
NUMERIC_IDS = frozenset({"check-group", "alert-channel", "maintenance-window"})
DEPLOYMENT_NOT_FOUND = "No such deployment."
# A deployment still unfinished this long after it was accepted is abandoned: the replica applying
# it stopped (its transaction rolled back, so nothing of it was applied). Deploys take seconds.
ABANDONED_AFTER = timedelta(minutes=10)
CANCELLED = "The deployment was cancelled before it was applied: nothing changed."
ABANDONED = "The server applying this deployment stopped before it finished: nothing changed."
BROKEN = "The deployment failed on the server: nothing changed."


class DeploymentInProgress(Conflict):
    """Checkly's 409 for a second deploy of a project: the CLI waits for (or cancels) the
    deployment named by `deploymentId`, then sends its deploy again."""

    def __init__(self, deployment_id: str) -> None:
        super().__init__("A deployment of this project is already in progress.")
        self.deployment_id = deployment_id

    def body(self) -> dict[str, Any]:
        return {**super().body(), "deploymentId": self.deployment_id}


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
    # Checks created or changed: due at once when the deploy says `scheduleOnDeploy`.
    written_checks: list[str] = field(default_factory=list)

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


def deployment_wire(values: Mapping[str, Any], progress: int | None = None) -> dict[str, Any]:
    """A deployment row's columns (`row._mapping`, or the values inserted) as the CLI reads it;
    `progress`: how far the process applying it is, when that is this one."""
    ended = values["ended_at"]
    return {
        "id": values["id"],
        "logicalId": values["logical_id"],
        "status": values["status"],
        "dryRun": values["dry_run"],
        "progress": 100 if ended is not None else (progress or 0),
        "error": values["error"],
        "result": values["result"],
        "createdAt": iso(values["created_at"]),
        "startedAt": iso(values.get("started_at")),
        "endedAt": iso(ended),
        "cancelRequestedAt": iso(values.get("cancel_requested_at")),
    }


def abandoned(values: Mapping[str, Any], now: datetime, *, here: bool, single: bool) -> bool:
    """Whether an unfinished deployment will never finish: no process applies it. This one would
    know (`here`); on SQLite (`single`) no other process does; otherwise it is past its time."""
    if values["ended_at"] is not None or here:
        return False
    return single or now - values["created_at"] > ABANDONED_AFTER


@dataclass(frozen=True, slots=True)
class Job:
    """An accepted deploy (or destroy, with no `resources`) that a task applies."""

    deployment_id: str
    logical_id: str
    name: str
    repo_url: str | None
    resources: list[Resource] | None
    references: dict[str, str | int]
    preserve: bool
    schedule_on_deploy: bool


def prevalidate(resources: list[Resource], references: Mapping[str, str | int]) -> None:
    """The constructs' own fields, checked before the deploy is accepted, so that a bad one is a
    400 naming it (as a preview is) rather than a deployment that fails. What needs the database
    (a group of another account, an unknown location) fails the deployment instead."""
    placeholders: dict[str, str | int] = {
        r.logical_id: 1 if r.type in NUMERIC_IDS else str(uuid.UUID(int=0)) for r in resources
    }
    ids = {**placeholders, **references}
    for r in fold(resources):
        try:
            if r.type == "check":
                body = dict(resolve_refs(r.payload, ids))
                checks.validate(str(body.pop("checkType", None)), body)
            elif r.type == "check-group":
                groups.validate(_group_body(resolve_refs(r.payload, ids)), CheckGroupV2)
        except VantageError as exc:
            exc.message = f"{r.type} {r.logical_id!r}: {exc.message}"
            exc.args = (exc.message,)
            raise


async def accept_deploy(
    db: Database,
    ctx: Context,
    body: Any,
    *,
    preserve: bool,
    schedule_on_deploy: bool,
    deployments: Deployments,
) -> tuple[dict[str, Any], Job]:
    """Check a deploy body and record its deployment, PENDING; a 409 names the project's
    deployment under way. The caller starts `run` with the job."""
    logical_id, name, repo_url = _project_body(body)
    parsed = parse_resources(body.get("resources"), shared_files(body.get("sharedFiles")))
    _check_envelope(body)
    prevalidate(parsed.resources, parsed.references)
    deployment = await _claim(db, ctx, logical_id, deployments)
    assert deployment is not None
    job = Job(
        deployment["id"],
        logical_id,
        name,
        repo_url,
        parsed.resources,
        parsed.references,
        preserve,
        schedule_on_deploy,
    )
    return deployment, job


async def accept_destroy(
    db: Database, ctx: Context, logical_id: str, *, preserve: bool, deployments: Deployments
) -> tuple[dict[str, Any], Job] | None:
    """Record a destroy's deployment, PENDING; None when the account has no such project (it is
    already gone: nothing to follow)."""
    async with db.read() as conn:
        missing = await repository.project(conn, ctx.account_id, logical_id) is None
    # A project's first deploy under way makes it: its destroy waits for it (409) like any other.
    deployment = await _claim(db, ctx, logical_id, deployments, only_if_busy=missing)
    if deployment is None:
        return None
    job = Job(deployment["id"], logical_id, "", None, None, {}, preserve, False)
    return deployment, job


async def _claim(
    db: Database,
    ctx: Context,
    logical_id: str,
    deployments: Deployments,
    *,
    only_if_busy: bool = False,
) -> dict[str, Any] | None:
    """Record a PENDING deployment of the project, or raise the 409 naming the one under way
    (`only_if_busy`: record none, only raise)."""
    now = utcnow()
    values = {
        "id": str(uuid.uuid4()),
        "account_id": ctx.account_id,
        "logical_id": logical_id,
        "status": "PENDING",
        "dry_run": False,
        "error": None,
        "result": None,
        "created_at": now,
        "ended_at": None,
        "started_at": None,
        "cancel_requested_at": None,
    }
    # Read first: a deploy refused while another is under way waits for no writer (on SQLite
    # the one under way holds the write lock for its whole transaction).
    async with db.read() as conn:
        current = await repository.unfinished(conn, ctx.account_id, logical_id)
    if current is not None:
        here = deployments.running_here(current.id)
        if not abandoned(current._mapping, now, here=here, single=db.is_sqlite):
            raise DeploymentInProgress(current.id)
    if only_if_busy:
        return None
    try:
        async with db.write() as conn:
            current = await repository.unfinished(conn, ctx.account_id, logical_id)
            if current is not None:
                here = deployments.running_here(current.id)
                if not abandoned(current._mapping, now, here=here, single=db.is_sqlite):
                    raise DeploymentInProgress(current.id)
                await repository.finish_deployment(
                    conn, current.id, status="FAILED", error=_error(ABANDONED), result=None, now=now
                )
            await repository.insert_deployment(conn, values)
    except sa.exc.IntegrityError:
        # Another replica's deploy of the project was accepted between the read and the insert.
        async with db.read() as conn:
            current = await repository.unfinished(conn, ctx.account_id, logical_id)
        raise DeploymentInProgress(current.id if current is not None else "") from None
    return deployment_wire(values)


def _error(message: str) -> dict[str, Any]:
    return {"message": message}


async def run(db: Database, ctx: Context, job: Job, deployments: Deployments) -> Outcome | None:
    """Apply an accepted deployment in one transaction and record how it ended: SUCCEEDED, or
    FAILED / CANCELLED with nothing applied. The outcome when it succeeded."""
    deployment_id = job.deployment_id

    def step(percent: int) -> None:
        deployments.advanced(deployment_id, percent)

    try:
        async with db.write() as conn:
            if not await repository.start_deployment(conn, deployment_id, utcnow()):
                raise DeployCancelled()
        async with db.write() as conn:
            outcome = await _apply_job(conn, ctx, job, step)
            if await repository.cancel_requested(conn, deployment_id):
                raise DeployCancelled()
            step(99)
            now = utcnow()
            if job.schedule_on_deploy:
                await checks_repository.due_now(conn, ctx.account_id, outcome.written_checks, now)
            await repository.finish_deployment(
                conn,
                deployment_id,
                status="SUCCEEDED",
                error=None,
                result=outcome.result(),
                now=now,
            )
            return outcome
    except DeployCancelled:
        await _finish(db, deployment_id, "CANCELLED", _error(CANCELLED))
    except VantageError as exc:
        await _finish(db, deployment_id, "FAILED", exc.body())
    except Exception:
        log.exception("deployment failed", deployment_id=deployment_id)
        await _finish(db, deployment_id, "FAILED", _error(BROKEN))
    return None


async def _finish(db: Database, deployment_id: str, status: str, error: dict[str, Any]) -> None:
    async with db.write() as conn:
        await repository.finish_deployment(
            conn, deployment_id, status=status, error=error, result=None, now=utcnow()
        )


async def _apply_job(
    conn: AsyncConnection, ctx: Context, job: Job, step: Callable[[int], None]
) -> Outcome:
    if job.resources is None:
        row = await repository.project(conn, ctx.account_id, job.logical_id, for_update=True)
        if row is None:
            return Outcome(project=None, diff=[])
        outcome = await _apply(conn, ctx, row, [], preserve=job.preserve, step=step)
        await repository.delete_project(conn, row.id)
        return outcome
    row = await _project_row(conn, ctx.account_id, job.logical_id, job.name, job.repo_url)
    return await _apply(
        conn,
        ctx,
        row,
        job.resources,
        preserve=job.preserve,
        references=job.references,
        step=step,
    )


async def cancel(
    db: Database, account_id: str, logical_id: str, deployment_id: str, deployments: Deployments
) -> dict[str, Any]:
    """Ask a deployment under way to stop: it ends CANCELLED at its next step, with nothing
    applied (or SUCCEEDED, when its transaction was already committing). Idempotent."""
    await read_deployment(db, account_id, logical_id, deployment_id, deployments)
    deployments.cancel(deployment_id)
    async with db.write() as conn:
        await repository.request_cancel(conn, deployment_id, utcnow())
    return await read_deployment(db, account_id, logical_id, deployment_id, deployments)


async def read_deployment(
    db: Database, account_id: str, logical_id: str, deployment_id: str, deployments: Deployments
) -> dict[str, Any]:
    """The deployment as the CLI reads it; one found abandoned is recorded FAILED first."""
    async with db.read() as conn:
        row = await repository.deployment(conn, account_id, logical_id, deployment_id)
    if row is None:
        raise NotFound(DEPLOYMENT_NOT_FOUND)
    here = deployments.running_here(deployment_id)
    if abandoned(row._mapping, utcnow(), here=here, single=db.is_sqlite):
        async with db.write() as conn:
            await repository.finish_deployment(
                conn,
                deployment_id,
                status="FAILED",
                error=_error(ABANDONED),
                result=None,
                now=utcnow(),
            )
            row = await repository.deployment_by_id(conn, deployment_id)
    return deployment_wire(row._mapping, deployments.progress(deployment_id))


async def preview_deploy(db: Database, ctx: Context, body: Any, *, preserve: bool) -> Outcome:
    """What a deploy body would change (`--preview`): applied, then rolled back."""
    logical_id, name, repo_url = _project_body(body)
    parsed = parse_resources(body.get("resources"), shared_files(body.get("sharedFiles")))
    _check_envelope(body)
    try:
        async with db.write() as conn:
            row = await _project_row(conn, ctx.account_id, logical_id, name, repo_url)
            outcome = await _apply(
                conn, ctx, row, parsed.resources, preserve=preserve, references=parsed.references
            )
            raise _DryRun(outcome)
    except _DryRun as rolled_back:
        return rolled_back.outcome


async def preview_destroy(
    db: Database, ctx: Context, logical_id: str, *, preserve: bool
) -> Outcome:
    """What a destroy would delete (or detach): applied, then rolled back. A project this account
    does not have is already gone: an outcome with no project."""
    try:
        async with db.write() as conn:
            row = await repository.project(conn, ctx.account_id, logical_id, for_update=True)
            if row is None:
                return Outcome(project=None, diff=[])
            outcome = await _apply(conn, ctx, row, [], preserve=preserve)
            await repository.delete_project(conn, row.id)
            raise _DryRun(outcome)
    except _DryRun as rolled_back:
        return rolled_back.outcome


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
    step: Callable[[int], None] | None = None,
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
    written: list[str] = []
    applied = planned.applied()
    for done, change in enumerate(applied):
        if step is not None:
            # A cancel asked meanwhile stops the deployment here (DeployCancelled).
            step(done * 99 // len(applied))
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
        if change.type == "check":
            written.append(str(new_id))
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
    return Outcome(
        project=project_wire(project), diff=diff, ended_sessions=ended, written_checks=written
    )


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
    if kind == "status-page-service":
        return await status_pages.create_service(conn, account_id, payload)
    if kind == "status-page":
        return await status_pages.create_page(conn, account_id, _page_body(payload), seal=ctx.seal)
    if kind == "dashboard":
        row = await dashboards.create(conn, account_id, _defined(payload), seal=ctx.seal)
        return str(row.dashboard_id)
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
    if kind == "status-page-service":
        await status_pages.update_service(conn, account_id, physical_id, payload)
        return physical_id
    if kind == "status-page":
        await status_pages.update_page(
            conn, account_id, physical_id, _page_body(payload), seal=ctx.seal
        )
        return physical_id
    if kind == "dashboard":
        await dashboards.update(conn, account_id, physical_id, _defined(payload), seal=ctx.seal)
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
        elif change.type == "status-page-service":
            await status_pages.delete_service(conn, account_id, physical_id)
        elif change.type == "status-page":
            await status_pages.delete_page(conn, account_id, physical_id)
        elif change.type == "dashboard":
            await dashboards.delete(conn, account_id, physical_id)
    except NotFound:
        pass
    return []


def _group_body(payload: dict[str, Any]) -> dict[str, Any]:
    # `v` is the construct's version (CheckGroupV2 is 2): not a field of the group.
    return {k: v for k, v in payload.items() if k != "v"}


def _defined(payload: dict[str, Any]) -> dict[str, Any]:
    """A construct's fields without those it leaves undefined (sent as null by some versions):
    they take the API's defaults."""
    return {k: v for k, v in payload.items() if v is not None}


def _page_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A StatusPage construct names its cards' services by reference (now their ids); the API
    names them as `{id}` objects."""
    body = _defined(payload)
    body["cards"] = [
        {**card, "services": [{"id": sid} for sid in card.get("services") or []]}
        for card in body.get("cards") or []
        if isinstance(card, dict)
    ]
    return body


def _location_body(payload: dict[str, Any]) -> dict[str, Any]:
    # The construct sends `proxyUrl` and `icon` as undefined (dropped) or a value.
    return {k: v for k, v in payload.items() if v is not None}
