"""Rows of projects, the objects their deploys made, and their deployments."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import project_deployments, project_resources, projects
from vantage.projects.planning import Mapped


async def by_id(conn: AsyncConnection, account_id: str, project_id: str) -> Any | None:
    """The account's project of this id; None for another account's, or for no id at all."""
    try:
        uuid.UUID(project_id)
    except ValueError:
        return None
    query = sa.select(projects).where(
        projects.c.account_id == account_id, projects.c.id == project_id
    )
    return (await conn.execute(query)).first()


async def project(
    conn: AsyncConnection, account_id: str, logical_id: str, *, for_update: bool = False
) -> Any:
    query = sa.select(projects).where(
        projects.c.account_id == account_id, projects.c.logical_id == logical_id
    )
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def insert_project(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(projects.insert().values(**values))


async def update_project(conn: AsyncConnection, project_id: str, values: dict[str, Any]) -> None:
    await conn.execute(projects.update().where(projects.c.id == project_id).values(**values))


async def delete_project(conn: AsyncConnection, project_id: str) -> None:
    await conn.execute(
        project_resources.delete().where(project_resources.c.project_id == project_id)
    )
    await conn.execute(projects.delete().where(projects.c.id == project_id))


async def mapped(conn: AsyncConnection, project_id: str) -> list[Mapped]:
    rows = await conn.execute(
        sa.select(project_resources).where(project_resources.c.project_id == project_id)
    )
    return [Mapped(r.type, r.logical_id, r.physical_id, r.payload_hash) for r in rows]


async def replace_mapped(conn: AsyncConnection, project_id: str, rows: list[Mapped]) -> None:
    await conn.execute(
        project_resources.delete().where(project_resources.c.project_id == project_id)
    )
    if rows:
        await conn.execute(
            project_resources.insert(),
            [
                {
                    "project_id": project_id,
                    "type": m.type,
                    "logical_id": m.logical_id,
                    "physical_id": m.physical_id,
                    "payload_hash": m.payload_hash,
                }
                for m in rows
            ],
        )


async def insert_deployment(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(project_deployments.insert().values(**values))


async def deployment(
    conn: AsyncConnection, account_id: str, logical_id: str, deployment_id: str
) -> Any:
    return (
        await conn.execute(
            sa.select(project_deployments).where(
                project_deployments.c.id == deployment_id,
                project_deployments.c.account_id == account_id,
                project_deployments.c.logical_id == logical_id,
            )
        )
    ).first()


async def unfinished(conn: AsyncConnection, account_id: str, logical_id: str) -> Any:
    """The project's deployment that has not ended, if any (at most one: a unique index)."""
    return (
        await conn.execute(
            sa.select(project_deployments).where(
                project_deployments.c.account_id == account_id,
                project_deployments.c.logical_id == logical_id,
                project_deployments.c.ended_at.is_(None),
            )
        )
    ).first()


async def deployment_by_id(conn: AsyncConnection, deployment_id: str) -> Any:
    return (
        await conn.execute(
            sa.select(project_deployments).where(project_deployments.c.id == deployment_id)
        )
    ).first()


async def start_deployment(conn: AsyncConnection, deployment_id: str, now: Any) -> bool:
    """PENDING becomes RUNNING; False when it was cancelled (or ended) before it began."""
    result = await conn.execute(
        project_deployments.update()
        .where(
            project_deployments.c.id == deployment_id,
            project_deployments.c.ended_at.is_(None),
            project_deployments.c.cancel_requested_at.is_(None),
        )
        .values(status="RUNNING", started_at=now)
    )
    return bool(result.rowcount)


async def cancel_requested(conn: AsyncConnection, deployment_id: str) -> bool:
    """Whether a cancel was asked, read with the row locked so none lands after the answer."""
    query = sa.select(project_deployments.c.cancel_requested_at).where(
        project_deployments.c.id == deployment_id
    )
    return await conn.scalar(query.with_for_update()) is not None


async def request_cancel(conn: AsyncConnection, deployment_id: str, now: Any) -> None:
    await conn.execute(
        project_deployments.update()
        .where(
            project_deployments.c.id == deployment_id,
            project_deployments.c.ended_at.is_(None),
            project_deployments.c.cancel_requested_at.is_(None),
        )
        .values(cancel_requested_at=now)
    )


async def finish_deployment(
    conn: AsyncConnection,
    deployment_id: str,
    *,
    status: str,
    error: dict[str, Any] | None,
    result: dict[str, Any] | None,
    now: Any,
) -> None:
    """End an unfinished deployment; one already ended keeps how it ended."""
    await conn.execute(
        project_deployments.update()
        .where(project_deployments.c.id == deployment_id, project_deployments.c.ended_at.is_(None))
        .values(status=status, error=error, result=result, ended_at=now)
    )


async def prune_deployments(conn: AsyncConnection, keep: int, limit: int) -> int:
    """Delete up to `limit` ended deployments beyond each project's `keep` newest; return how many.

    An unfinished one is never counted nor deleted: the CLI is following it. The newest are the
    ones a user looks up (`/completion`, `/events` of the deploy that just ran); older ones only
    grow the table, with each deploy's diff in `result`."""
    d = project_deployments.c
    ranked = (
        sa.select(
            d.id,
            sa.func.row_number()
            .over(partition_by=(d.account_id, d.logical_id), order_by=(d.created_at.desc(), d.id))
            .label("newness"),
        )
        .where(d.ended_at.is_not(None))
        .subquery()
    )
    # No row claims here (PostgreSQL refuses FOR UPDATE with a window function): one replica at a
    # time runs the retention pass, and deleting a row twice deletes nothing.
    doomed = sa.select(ranked.c.id).where(ranked.c.newness > keep).limit(limit).scalar_subquery()
    deleted = await conn.execute(project_deployments.delete().where(d.id.in_(doomed)))
    return deleted.rowcount


async def check_owners(
    conn: AsyncConnection, account_id: str, check_ids: Collection[str]
) -> dict[str, Any]:
    """The project whose deploys made each of these checks (the earliest project, should two
    hold one), by check id: `project_id`, `project_logical_id`, `project_name`, and the check's
    own `logical_id` in it."""
    if not check_ids:
        return {}
    rows = await conn.execute(
        sa.select(
            project_resources.c.physical_id,
            project_resources.c.logical_id,
            projects.c.id.label("project_id"),
            projects.c.logical_id.label("project_logical_id"),
            projects.c.name.label("project_name"),
        )
        .join(projects, projects.c.id == project_resources.c.project_id)
        .where(
            projects.c.account_id == account_id,
            project_resources.c.type == "check",
            project_resources.c.physical_id.in_(list(check_ids)),
        )
        .order_by(projects.c.created_at.desc(), projects.c.id.desc())
    )
    # Later rows overwrite earlier ones: the earliest project's row is kept.
    return {row.physical_id: row for row in rows}
