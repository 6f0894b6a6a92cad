"""Daily partitions of `check_results` on PostgreSQL: their names, their bounds, which to create
ahead and which retention may drop, and the SQL that does it. Pure: nothing here touches a
database (`retention/partitioning.py` runs the SQL).

Three kinds of partition hang under the partitioned `check_results`:

- `check_results_pYYYYMMDD`: the results stored that UTC day, [day, day + 1);
- `check_results_before_YYYYMMDD`: everything stored before that day, the table as it was when
  migration 0016 turned it into a partition without copying it;
- `check_results_default`: the rows of a day whose partition did not exist yet. It stays empty
  while partitions are created ahead; a day's partition created later takes its rows over.

A partition is dropped whole once its upper bound is not after the retention cutoff; the rows of
the partition the cutoff falls in are deleted in batches, as on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

PARENT = "check_results"
DEFAULT = f"{PARENT}_default"
# Today's partition and the next days': a server that stops for less than this writes into
# partitions that already exist when it comes back.
DAYS_AHEAD = 3

_DAY = re.compile(rf"^{PARENT}_p(\d{{8}})$")
_BEFORE = re.compile(rf"^{PARENT}_before_(\d{{8}})$")


@dataclass(frozen=True, slots=True, order=True)
class Partition:
    """One range partition: rows with lower <= created_at < upper (lower None: no lower bound)."""

    upper: datetime
    name: str
    lower: datetime | None


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(digits: str) -> date | None:
    try:
        return datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        return None


def day_partition(day: date) -> Partition:
    return Partition(
        upper=midnight(day + timedelta(days=1)), name=f"{PARENT}_p{day:%Y%m%d}", lower=midnight(day)
    )


def before_partition(day: date) -> Partition:
    return Partition(upper=midnight(day), name=f"{PARENT}_before_{day:%Y%m%d}", lower=None)


def parse(name: str) -> Partition | None:
    """The partition a table of this name is, or None when it is not one of ours."""
    if (found := _DAY.match(name)) and (day := _day(found[1])):
        return day_partition(day)
    if (found := _BEFORE.match(name)) and (day := _day(found[1])):
        return before_partition(day)
    return None


def is_partition(name: str) -> bool:
    """Whether a table is a partition of `check_results` rather than a table of its own (the
    schema comparison leaves partitions out: `db/tables.py` declares only the parent)."""
    return name == DEFAULT or parse(name) is not None


def overlap(a: Partition, b: Partition) -> bool:
    starts_before_b_ends = a.lower is None or a.lower < b.upper
    return starts_before_b_ends and (b.lower is None or b.lower < a.upper)


def to_create(existing: Iterable[str], today: date) -> list[Partition]:
    """Today's and the next DAYS_AHEAD days' partitions, oldest first, but for the days an
    existing partition already covers (the old table's, right after migration 0016)."""
    have = [p for p in map(parse, existing) if p is not None]
    wanted = (day_partition(today + timedelta(days=n)) for n in range(DAYS_AHEAD + 1))
    return [p for p in wanted if not any(overlap(p, q) for q in have)]


def to_drop(existing: Iterable[str], cutoff: datetime) -> list[Partition]:
    """The partitions that hold nothing younger than `cutoff`, oldest first."""
    ours = (parse(name) for name in existing)
    return sorted(p for p in ours if p is not None and p.upper <= cutoff)


def _literal(at: datetime) -> str:
    return f"'{at.astimezone(UTC).isoformat()}'"


def bounds(p: Partition) -> str:
    lower = "MINVALUE" if p.lower is None else _literal(p.lower)
    return f"FOR VALUES FROM ({lower}) TO ({_literal(p.upper)})"


def create_statements(p: Partition) -> list[str]:
    """Create a day's partition and attach it. Not `CREATE TABLE ... PARTITION OF`, which locks
    the whole parent: a table created apart and then attached takes only a lock that lets reads
    and writes go on (SHARE UPDATE EXCLUSIVE), and the rows of its day that the default partition
    caught meanwhile move over in the same transaction (attaching fails while they are there)."""
    # Names and bounds made here from dates, never from input.
    where = f"created_at >= {_literal(p.lower or p.upper)} AND created_at < {_literal(p.upper)}"
    return [
        f"CREATE TABLE {p.name} (LIKE {PARENT} INCLUDING DEFAULTS)",
        f"INSERT INTO {p.name} SELECT * FROM {DEFAULT} WHERE {where}",  # noqa: S608
        f"DELETE FROM {DEFAULT} WHERE {where}",  # noqa: S608
        f"ALTER TABLE {PARENT} ATTACH PARTITION {p.name} {bounds(p)}",
    ]


def drop_statement(p: Partition) -> str:
    return f"DROP TABLE {p.name}"
