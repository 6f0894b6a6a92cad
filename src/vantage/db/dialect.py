"""The statements that differ between SQLite and PostgreSQL, each behind one function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_for(conn: AsyncConnection, table: sa.Table) -> Any:
    """The dialect's own INSERT, which knows ON CONFLICT."""
    module: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    *,
    index_elements: Sequence[str],
    update_columns: Sequence[str],
) -> Any:
    """An INSERT ... ON CONFLICT DO UPDATE statement for this connection's dialect."""
    stmt = insert_for(conn, table)
    return stmt.on_conflict_do_update(
        index_elements=list(index_elements),
        set_={name: stmt.excluded[name] for name in update_columns},
    )


def claim_subquery(conn: AsyncConnection | str, select: sa.Select[Any]) -> sa.Select[Any]:
    """Rows to claim: PostgreSQL skips rows another replica has locked; SQLite has one writer,
    so the single UPDATE ... WHERE id IN (SELECT ...) is already atomic. `conn`: a connection,
    or the name of its dialect (for a statement built once per dialect)."""
    name = conn if isinstance(conn, str) else conn.dialect.name
    if name == "postgresql":
        return select.with_for_update(skip_locked=True)
    return select


def greatest(conn: AsyncConnection, *values: Any) -> Any:
    """The larger value: SQLite's two-argument max() is PostgreSQL's greatest()."""
    fn = sa.func.max if conn.dialect.name == "sqlite" else sa.func.greatest
    return fn(*values)


def least(conn: AsyncConnection, *values: Any) -> Any:
    fn = sa.func.min if conn.dialect.name == "sqlite" else sa.func.least
    return fn(*values)
