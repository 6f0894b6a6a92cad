"""Starting, reading and cancelling test sessions.

A test session is one ad-hoc check session per check, each with one job in the session's run
location (`--location` / `--private-location`), rendered with its variables as a scheduled run
is, and marked with the test session's id: the intake then keeps its result out of the check's
status, alerts and roll-ups (`vantage.queue.intake`). Nothing is scheduled: a check of
`checkly test` exists only in its session (its id is made up per run), and `checkly trigger`
runs a deployed check without touching its schedule. The CLI's `--grep`, `--tags` and
`--timeout` of `checkly test` act in the CLI; `--env` arrives in each check's variables.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.checks import repository as checks_repository
from vantage.config import Settings
from vantage.errors import BadRequest, NotFound
from vantage.groups.effective import effective_config, is_runnable, matching_tags
from vantage.locations import service as locations_service
from vantage.locations.ref import LocationRef
from vantage.sessions import repository as sessions_repository
from vantage.sessions import starting
from vantage.sessions.planning import CheckToRun, SessionPlan, plan_session
from vantage.sessions.service import tags_match
from vantage.testsessions import repository
from vantage.testsessions.payloads import DEFAULT_REGION, AdHocCheck, RunLocation

RUN_SOURCE = "TEST_SESSION"
NO_TEST_SESSION = "No such test session."
NO_MATCH = "No matching checks were found."
NO_MATCH_CODE = "ERR_NO_MATCHING_CHECKS"


class NoMatchingChecks(BadRequest):
    """`checkly trigger` matched nothing: the CLI reads the errorCode."""

    status_code = 403
    error = "Forbidden"

    def body(self) -> dict[str, Any]:
        body = super().body()
        del body["validation"]
        body["errorCode"] = NO_MATCH_CODE
        return body


@dataclass(slots=True)
class Run:
    """One check of a test session, before it is planned."""

    key: str  # what `sequenceIds` is keyed by: the logicalId (test) or the check's id (trigger)
    check_type: str
    name: str
    config: dict[str, Any]
    group: dict[str, Any] | None
    retry: dict[str, Any] | None
    check_id: str | None = None  # a deployed check's id
    logical_id: str | None = None
    file_path: str | None = None
    check_run_id: str | None = None
    tags: list[str] = field(default_factory=list)


def runs_of(checks: Sequence[AdHocCheck]) -> list[Run]:
    return [
        Run(
            key=c.logical_id,
            check_type=c.check_type,
            name=c.name,
            config=c.config,
            group=c.group,
            retry=c.retry,
            logical_id=c.logical_id,
            file_path=c.file_path,
            check_run_id=c.check_run_id,
        )
        for c in checks
    ]


async def deployed_runs(
    conn: AsyncConnection,
    account_id: str,
    *,
    check_ids: list[str] | None,
    target_tags: list[list[str]],
    retry: dict[str, Any] | None,
    with_deactivated: bool = False,
) -> list[Run]:
    """`checkly trigger`: the account's activated checks that `--check-id` and `--tags` name
    (tags OR-of-ANDs, the group's tags counting), heartbeats left out (they run nowhere);
    `with_deactivated`: deactivated ones (or in a deactivated group) too
    (`target.allowDeactivated`)."""
    rows = [
        r
        for r in await checks_repository.activated(
            conn, account_id, check_ids, with_deactivated=with_deactivated
        )
        if r.check_type != "HEARTBEAT"
    ]
    groups = await starting.groups_of(conn, rows, account_id=account_id)
    if not with_deactivated:
        rows = [r for r in rows if is_runnable(r.config, starting.group_of(r, groups))]
    if target_tags:
        rows = [
            r
            for r in rows
            if tags_match(matching_tags(r.tags, starting.group_of(r, groups)), target_tags)
        ]
    if not rows:
        raise NoMatchingChecks(NO_MATCH)
    return [
        Run(
            key=r.id,
            check_type=r.check_type,
            name=r.name,
            config=r.config,
            group=starting.group_of(r, groups),
            retry=retry,
            check_id=r.id,
            tags=list(r.tags or []),
        )
        for r in rows
    ]


def where_to_run(
    wanted: RunLocation, places: Mapping[str, LocationRef], account_id: str, default: str
) -> str:
    """The slug every job of the session goes to. The CLI names `eu-central-1` when told
    nothing; a server without that location runs there its default location instead. Any other
    location must exist and be the account's to use."""
    place = places.get(wanted.slug)
    if place is not None and place.usable_by(account_id):
        if wanted.private != (place.account_id is not None):
            kind = "private" if wanted.private else "public"
            raise BadRequest(
                f'"runLocation": "{wanted.slug}" is not a {kind} location', keys=["runLocation"]
            )
        return wanted.slug
    if not wanted.private and wanted.slug == DEFAULT_REGION:
        return default
    raise BadRequest(f'"runLocation": no location "{wanted.slug}" to run in', keys=["runLocation"])


async def named_location(conn: AsyncConnection, slug: str) -> RunLocation:
    """A `runLocation` given by name alone (`POST /v1/test-sessions/trigger`): private when a
    private location has that slug. `where_to_run` then checks that the account may use it."""
    place = (await locations_service.refs(conn)).get(slug)
    return RunLocation(slug, private=place is not None and place.account_id is not None)


@dataclass(frozen=True, slots=True)
class _Owner:
    """What `RunInputs.load` reads of a run."""

    account_id: str
    check_type: str


@dataclass(slots=True)
class Started:
    test_session: dict[str, Any]
    plans: list[SessionPlan]


async def start(
    conn: AsyncConnection,
    account_id: str,
    runs: Sequence[Run],
    *,
    kind: str,
    name: str,
    suite_id: str,
    recorded: bool,
    location: RunLocation,
    variables: Sequence[Mapping[str, Any]],
    now: datetime,
    settings: Settings,
    stream_logs: bool = False,
) -> Started:
    """Plan and write the test session and one check session (and job) per run. `stream_logs`:
    each result's log lines are also published as `stream-logs` (vantage.testsessions.channel)."""
    places = await locations_service.refs(conn)
    slug = where_to_run(location, places, account_id, settings.default_location)
    private = places[slug].account_id is not None if slug in places else False
    inputs = await starting.RunInputs.load(
        conn, [_Owner(account_id, run.check_type) for run in runs], settings
    )
    test_session_id = str(uuid.uuid4())
    plans: list[SessionPlan] = []
    entries: list[dict[str, Any]] = []
    for run in runs:
        config = effective_config(run.check_type, run.config, run.group)
        config["locations"] = [] if private else [slug]
        config["privateLocations"] = [slug] if private else None
        config["runParallel"] = False
        config["retryStrategy"] = run.retry
        check = CheckToRun(str(uuid.uuid4()), account_id, run.check_type, run.name, config)
        plan = plan_session(
            check,
            run_source=RUN_SOURCE,
            now=now,
            default_location=settings.default_location,
            deadline_slack_seconds=settings.session_deadline_slack_seconds,
            places=places,
        )
        env = inputs.variables(account_id, config, run.group, first=variables)
        plan.session["test_session_id"] = test_session_id
        for job in plan.jobs:
            inputs.prepare(job, run.check_type, account_id, env)
            job["test_session_id"] = test_session_id
        plans.append(plan)
        entries.append(
            {
                "key": run.key,
                "checkSessionId": plan.id,
                "sequenceId": plan.jobs[0]["sequence_id"] if plan.jobs else str(uuid.uuid4()),
                "checkId": run.check_id,
                "logicalId": run.logical_id,
                "filePath": run.file_path,
                "checkRunId": run.check_run_id,
                "checkType": run.check_type,
                "name": run.name,
                "tags": run.tags,
                "streamLogs": stream_logs,
            }
        )
    row = {
        "id": test_session_id,
        "account_id": account_id,
        "name": name[:500],
        "kind": kind,
        "suite_id": suite_id,
        "recorded": recorded,
        "run_location": slug,
        "runs": entries,
        "created_at": now,
        "cancelled_at": None,
    }
    await repository.insert(conn, row)
    await sessions_repository.insert_plans(conn, plans)
    return Started(row, plans)


async def get(conn: AsyncConnection, account_id: str, test_session_id: str) -> Any:
    try:
        uuid.UUID(test_session_id)
    except ValueError:
        raise NotFound(NO_TEST_SESSION) from None
    row = await repository.get(conn, account_id, test_session_id)
    if row is None:
        raise NotFound(NO_TEST_SESSION)
    return row
