"""What the schema comparison (`alembic` autogenerate, the migration tests) looks at: the tables
`db/tables.py` declares, as declared for the database at hand.

Left out: the daily partitions of `check_results` on PostgreSQL (tables of their own to the
catalog, but only the partitioned parent is declared), and the constraints and indexes declared
for the other database only (`.ddl_if(dialect=...)`).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from vantage.db.partitions import is_partition

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def include_name(name: str | None, type_: str, parent_names: MutableMapping[Any, Any]) -> bool:
    return not (type_ == "table" and name is not None and is_partition(name))


def include_object_for(dialect: str) -> IncludeObject:
    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        declared = other if reflected else obj
        only_for = getattr(getattr(declared, "_ddl_if", None), "dialect", None)
        return only_for is None or only_for == dialect

    return include_object
