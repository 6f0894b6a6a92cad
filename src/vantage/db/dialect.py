"""The statements that differ between SQLite and PostgreSQL, each behind one function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles


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


def claim_subquery(
    conn: AsyncConnection | str, select: sa.Select[Any], *, key_kept: bool = False
) -> sa.Select[Any]:
    """Rows to claim: PostgreSQL skips rows another replica has locked; SQLite has one writer,
    so the single UPDATE ... WHERE id IN (SELECT ...) is already atomic. `conn`: a connection,
    or the name of its dialect (for a statement built once per dialect).

    `key_kept`: the claimer changes no key of the row, so it takes FOR NO KEY UPDATE, which the
    KEY SHARE lock of an insert referencing the row does not block: rows that other transactions
    are merely pointing at are still claimed, not skipped."""
    name = conn if isinstance(conn, str) else conn.dialect.name
    if name == "postgresql":
        return select.with_for_update(skip_locked=True, key_share=key_kept)
    return select


def greatest(conn: AsyncConnection, *values: Any) -> Any:
    """The larger value: SQLite's two-argument max() is PostgreSQL's greatest()."""
    fn = sa.func.max if conn.dialect.name == "sqlite" else sa.func.greatest
    return fn(*values)


def least(conn: AsyncConnection, *values: Any) -> Any:
    fn = sa.func.min if conn.dialect.name == "sqlite" else sa.func.least
    return fn(*values)


class _Qualified(sa.sql.expression.ColumnElement[Any]):
    """`qualified`'s wrapper: compiled as its element, with table names back on."""

    inherit_cache = True

    def __init__(self, element: sa.ColumnElement[Any]) -> None:
        self.element = element
        self.type = element.type

    _traverse_internals = [("element", sa.sql.visitors.InternalTraversal.dp_clauseelement)]


@compiles(_Qualified)
def _compile_qualified(element: _Qualified, compiler: Any, **kw: Any) -> str:
    kw.pop("include_table", None)
    text: str = compiler.process(element.element, **kw)
    return text


def qualified(element: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """`element` (a correlated subquery) for a RETURNING clause, its columns named with their
    tables. SQLite's compiler drops every table name inside RETURNING, subqueries included, which
    turns `check_statuses.check_id = jobs.check_id` into `check_id = check_id`: true for any row,
    so the subquery answered with the first row of the table, not the row of the returned one."""
    return _Qualified(element)
