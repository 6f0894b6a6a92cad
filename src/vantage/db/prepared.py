"""Hot statements compiled once per dialect and run with plain tuples.

SQLAlchemy Core spends more CPU per row of an executemany than SQLite spends storing it: for each
row it builds a dict of every bind (`construct_params`), looks up and applies each processor, and
then turns the dict back into the driver's tuple. A `Prepared` statement does that work once: it
compiles the statement for the connection's dialect (the very SQL SQLAlchemy would send, casts
included), keeps the order of its binds and, per bind, SQLAlchemy's own bind processor (UTC
timestamps, JSON), and turns each row into the driver's tuple in one pass. What reaches the
database is what Core would have sent; only the bookkeeping around it is gone.

A JSON value that is already encoded can be passed as `Encoded(text)`: it is sent as it is, so a
document that arrived as JSON is not parsed and encoded again only to be stored.

Statements with expanding (`IN`) binds cannot be compiled ahead: they stay with Core.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


class Encoded(str):
    """JSON text to store as it is (a JSON column's bind processor would encode it again)."""

    __slots__ = ()


_Convert = Callable[[Any], Any]
# Per dialect: the SQL, what takes a row's values in bind order, and (index, converter) pairs.
_Compiled = tuple[str, Callable[[Mapping[str, Any]], Any], tuple[tuple[int, _Convert], ...]]


class Prepared:
    """`statement` compiled per dialect on first use; `execute` takes rows as mappings of the
    statement's bind names (for an INSERT without values: its column names)."""

    def __init__(self, statement: sa.ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled: Any = self.statement.compile(dialect=dialect)
            names = list(compiled.positiontup or ())
            if len(names) != len(compiled.binds):
                raise ValueError(f"{self.statement} cannot be prepared for {dialect.name}")
            processors = compiled._bind_processors
            converters = tuple(
                (index, _wrap(processors[name]))
                for index, name in enumerate(names)
                if processors.get(name) is not None
            )
            # itemgetter of one name gives the value itself, not a 1-tuple
            getter = operator.itemgetter(*names) if len(names) > 1 else _one(names[0])
            found = self._compiled[dialect.name] = (compiled.string, getter, converters)
        return found

    async def execute(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Run the statement once per row (one executemany); a single row is a plain execute,
        whose result holds the rows of a RETURNING (as the driver gives them)."""
        if not rows:
            return None
        sql, getter, converters = self._for(conn.dialect)
        tuples = []
        # The last value converted per bind, and what it gave: a batch's rows share most of their
        # timestamps (the intake's one `now`, a bucket's start), the very same object, so each is
        # converted once per statement, not once per row. Bind processors are pure functions.
        seen: dict[int, tuple[Any, Any]] = {}
        for row in rows:
            values = list(getter(row))
            for index, convert in converters:
                value = values[index]
                last = seen.get(index)
                if last is not None and last[0] is value:
                    values[index] = last[1]
                else:
                    values[index] = converted = convert(value)
                    seen[index] = (value, converted)
            tuples.append(tuple(values))
        if len(tuples) == 1:
            return await conn.exec_driver_sql(sql, tuples[0])
        return await conn.exec_driver_sql(sql, tuples)


def _one(name: str) -> Callable[[Mapping[str, Any]], tuple[Any]]:
    return lambda row: (row[name],)


def _wrap(processor: _Convert) -> _Convert:
    """The bind processor, letting already encoded JSON through untouched."""

    def convert(value: Any) -> Any:
        if type(value) is Encoded:
            return str.__str__(value)
        return processor(value)

    return convert
