"""The one path that starts check sessions, for the scheduler and for `trigger` alike.

`start_sessions`, inside the caller's transaction:
1. the checks' groups, in one query, unless the caller already has them;
2. every location by slug, in one query (a job is bound to its location's id);
3. the accounts' environment variables, in one query (secret ones opened for the run, as are
   the check's and its group's), and the client certificates of the API and URL checks' accounts
   (their keys left sealed, as the locations' proxy URLs are, until a job is leased);
4. per check: skipped when its group is deactivated; else its effective config (the group's
   settings applied) and its plan (vantage.sessions.planning, pure). A check whose plan cannot be
   made is logged and skipped, so one bad row cannot stop the others from starting. Each job's
   config is rendered for its location (`{{VAR}}`, vantage.variables.substitution) and given the
   client certificates that match its URL's host (vantage.certificates.attach) and, for a
   location with a `proxyUrl`, that proxy;
5. the sessions and their jobs, written in one go.

`announce`, after the commit: wakes the agents of the locations that got work and the reapers
(the earliest new deadline), reports the runs that lost a location, and counts the sessions
started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.certificates import attach as certificates
from vantage.config import Settings
from vantage.groups import repository as groups_repository
from vantage.groups.effective import effective_config, is_runnable
from vantage.locations import service as locations_service
from vantage.probes.http.probe import PROXY_KEY
from vantage.queue import secrets as job_secrets
from vantage.runtime import Runtime
from vantage.sealing import Sealer
from vantage.sessions import repository
from vantage.sessions.planning import CheckToRun, SessionPlan, plan_session
from vantage.variables import repository as variables_repository
from vantage.variables.masking import opened
from vantage.variables.substitution import Variable, merged, render_check

log = structlog.get_logger(__name__)

Groups = Mapping[int, dict[str, Any]]


async def groups_of(
    conn: AsyncConnection, rows: Sequence[Any], *, account_id: str | None = None
) -> Groups:
    """The groups of these checks (rows of vantage.checks.repository.START_COLUMNS)."""
    return await groups_repository.configs_by_id(
        conn, {row.group_id for row in rows if row.group_id is not None}, account_id=account_id
    )


def group_of(row: Any, groups: Groups) -> dict[str, Any] | None:
    return None if row.group_id is None else groups.get(row.group_id)


async def start_sessions(
    conn: AsyncConnection,
    rows: Sequence[Any],
    *,
    run_source: str,
    now: datetime,
    settings: Settings,
    groups: Groups | None = None,
) -> list[SessionPlan]:
    """Start a session for each runnable check of `rows`; the plans written."""
    if not rows:
        return []
    if groups is None:
        groups = await groups_of(conn, rows)
    places = await locations_service.refs(conn)
    inputs = await RunInputs.load(conn, rows, settings)
    plans: list[SessionPlan] = []
    for row in rows:
        group = group_of(row, groups)
        try:
            if not is_runnable(row.config, group):
                continue  # its group is deactivated: no run
            check = CheckToRun(
                row.id,
                row.account_id,
                row.check_type,
                row.name,
                effective_config(row.check_type, row.config, group),
            )
            plan = plan_session(
                check,
                run_source=run_source,
                now=now,
                default_location=settings.default_location,
                deadline_slack_seconds=settings.session_deadline_slack_seconds,
                places=places,
            )
            variables = inputs.variables(row.account_id, check.config, group)
            for job in plan.jobs:
                inputs.prepare(job, row.check_type, row.account_id, variables)
        except Exception:
            # A stored config no code path should have let in; the check's other runs, and every
            # other check's, must still start.
            log.exception("check cannot be started", check_id=row.id, run_source=run_source)
            continue
        plans.append(plan)
    await repository.insert_plans(conn, plans)
    return plans


class RunInputs:
    """What a run's jobs take besides their check: variables, client certificates, proxies.

    Loaded once per batch of sessions (three queries), then applied per job; shared by the
    scheduled and triggered runs and by `checkly test`'s ad-hoc ones (vantage.testsessions).
    """

    def __init__(
        self,
        sealer: Sealer,
        globals_: Mapping[str, list[dict[str, Any]]],
        certs: Mapping[str, list[dict[str, Any]]],
        proxies: Mapping[str, str],
    ) -> None:
        self._sealer = sealer
        self._globals = globals_
        self._certs = certs
        self._proxies = proxies

    @classmethod
    async def load(
        cls, conn: AsyncConnection, rows: Sequence[Any], settings: Settings
    ) -> RunInputs:
        """For `rows`: anything with `account_id` and `check_type`."""
        sealer = Sealer(settings.secrets_key)
        accounts = {row.account_id for row in rows}
        http_accounts = {
            row.account_id for row in rows if row.check_type in certificates.HTTP_TYPES
        }
        return cls(
            sealer,
            await account_variables(conn, accounts, sealer),
            await certificates.of_accounts(conn, http_accounts),
            await locations_service.proxies(conn),
        )

    def variables(
        self,
        account_id: str,
        config: Mapping[str, Any],
        group: Mapping[str, Any] | None,
        first: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Variable]:
        """The run's variables, secrets opened: `first` (`checkly test --env`), the check's,
        its group's, the account's."""
        return merged(
            first,
            opened(config.get("environmentVariables") or [], self._sealer.open),
            opened((group or {}).get("environmentVariables") or [], self._sealer.open),
            self._globals.get(account_id, ()),
        )

    def prepare(
        self,
        job: dict[str, Any],
        check_type: str,
        account_id: str,
        variables: Mapping[str, Variable],
    ) -> None:
        """The job's config rendered for its location, with its certificates and proxy (their
        secrets, and what secret variables were rendered into, sealed: vantage.queue.secrets
        opens them for the job's agent)."""
        written = job["config"]
        rendered = render_check(check_type, written, variables, job["location"])
        # Certificates match the host the request goes to: the rendered URL's.
        attached = certificates.attach(check_type, rendered, self._certs.get(account_id, ()))
        job["config"] = job_secrets.sealed_run(written, attached, self._sealer.seal)
        proxy = self._proxies.get(job["location"])
        if proxy and check_type in certificates.HTTP_TYPES:
            job["config"][PROXY_KEY] = proxy


async def account_variables(
    conn: AsyncConnection, account_ids: set[str], sealer: Sealer
) -> dict[str, list[dict[str, Any]]]:
    """Each account's variables, secret values opened."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in await variables_repository.of_accounts(conn, account_ids):
        value = sealer.open(row.value) if row.secret else row.value
        out.setdefault(row.account_id, []).append(
            {"key": row.key, "value": value, "secret": row.secret}
        )
    return out


def announce(runtime: Runtime, plans: Sequence[SessionPlan], run_source: str) -> None:
    """What follows a commit of `start_sessions`: wake-ups, warnings and counters."""
    for location in {loc for plan in plans for loc in plan.queued_locations}:
        runtime.signals.work_queued(location)
    deadlines = [plan.session["deadline_at"] for plan in plans if not plan.cancelled]
    if deadlines:
        runtime.signals.sessions_started(min(deadlines))
    metrics = runtime.metrics
    for plan in plans:
        if not plan.missing:
            continue
        # A location the check names no longer exists: the operator hears of each such run, and a
        # run left with no location at all counts as a CANCELLED session.
        log.warning(
            "run location missing",
            check_id=plan.session["check_id"],
            session_id=plan.id,
            missing=plan.missing,
            cancelled=plan.cancelled,
        )
        if plan.cancelled:
            metrics.sessions_finished.labels("CANCELLED").inc()
    if plans:
        metrics.sessions_started.labels(run_source).inc(len(plans))
