"""Rows of projects, the objects their deploys made, and their deployments."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.db.tables import project_deployments, project_resources, projects
from vantage.projects.planning import Mapped


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
