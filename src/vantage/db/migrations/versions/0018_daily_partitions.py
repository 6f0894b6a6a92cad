"""check_results partitioned by day on PostgreSQL

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 14:00:00.000000

Retention then drops a whole day's partition instead of deleting its rows one batch at a time
(no delete traffic, no vacuum debt). The existing table is not copied: it becomes the partition
`check_results_before_<first day>` of the new partitioned `check_results`, keeps its indexes
(PostgreSQL attaches them instead of building new ones), and ages out as one piece. What the
upgrade builds on it, holding `check_results` locked for reads and writes until it commits:

- a unique index on (id, created_at), the new primary key: a partitioned table's keys must hold
  the partition key;
- a plain index on job_id in place of UNIQUE (job_id), which cannot hold across partitions. The
  guard against storing a job's result twice is the intake's delete of the leased job (a second
  submitter blocks on that row, then finds it gone and the stored result by this index);
- a CHECK that no row is at or after the first day's partition, which lets the attach skip its
  own scan of the rows.

docs/operations.md gives the time this takes per million rows. SQLite keeps its one table.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

from vantage.db.partitions import (
    DEFAULT,
    PARENT,
    before_partition,
    bounds,
    create_statements,
    to_create,
)
from vantage.timeutil import utcnow

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# name -> (columns, partial-index predicate): check_results' indexes as of 0015, plus job_id's.
INDEXES = {
    "ix_check_results_check_created": ("check_id, created_at", None),
    "ix_check_results_session": ("session_id", None),
    "ix_check_results_created": ("created_at", None),
    "ix_check_results_check_type_created": ("check_id, result_type, created_at", None),
    "ix_check_results_check_location_created": ("check_id, run_location, created_at", None),
    "ix_check_results_check_failed_created": ("check_id, created_at", "has_failures OR has_errors"),
}
JOB_INDEX = "ix_check_results_job"


def _index(name: str, table: str, columns: str, where: str | None) -> str:
    return f"CREATE INDEX {name} ON {table} ({columns})" + (f" WHERE {where}" if where else "")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    today = utcnow().date()
    newest = bind.scalar(sa.text("SELECT max(created_at) FROM check_results"))
    # The old table holds every row up to here: tomorrow, or later if a row is dated later.
    first: date = today + timedelta(days=1)
    if newest is not None:
        first = max(first, newest.date() + timedelta(days=1))
    old = before_partition(first)

    # The old table and its indexes give their names up to the parent.
    op.execute(f"ALTER TABLE {PARENT} RENAME TO {old.name}")
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {old.name}{name.removeprefix('ix_' + PARENT)}")
    op.execute(f"CREATE UNIQUE INDEX {old.name}_key ON {old.name} (id, created_at)")
    op.execute(f"ALTER TABLE {old.name} DROP CONSTRAINT pk_{PARENT}")
    key = f"PRIMARY KEY USING INDEX {old.name}_key"
    op.execute(f"ALTER TABLE {old.name} ADD CONSTRAINT {old.name}_pkey {key}")
    op.execute(f"ALTER TABLE {old.name} DROP CONSTRAINT uq_{PARENT}_job_id")
    op.execute(_index(f"{old.name}_job", old.name, "job_id", None))
    op.execute(
        f"ALTER TABLE {old.name} ADD CONSTRAINT {old.name}_range CHECK (created_at < '{first}')"
    )

    like = f"LIKE {old.name} INCLUDING DEFAULTS"
    op.execute(f"CREATE TABLE {PARENT} ({like}) PARTITION BY RANGE (created_at)")
    op.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT pk_{PARENT} PRIMARY KEY (id, created_at)")
    for name, (columns, where) in INDEXES.items():
        op.execute(_index(name, PARENT, columns, where))
    op.execute(_index(JOB_INDEX, PARENT, "job_id", None))
    op.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {old.name} {bounds(old)}")
    op.execute(f"ALTER TABLE {old.name} DROP CONSTRAINT {old.name}_range")

    op.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT")
    for day in to_create([old.name, DEFAULT], today):
        for statement in create_statements(day):
            op.execute(statement)


def downgrade() -> None:
    """Back to one plain table: this copies every row."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(f"CREATE TABLE {PARENT}_flat (LIKE {PARENT} INCLUDING DEFAULTS)")
    op.execute("INSERT INTO check_results_flat SELECT * FROM check_results")
    op.execute(f"DROP TABLE {PARENT}")
    op.execute(f"ALTER TABLE {PARENT}_flat RENAME TO {PARENT}")
    op.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT pk_{PARENT} PRIMARY KEY (id)")
    op.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT uq_{PARENT}_job_id UNIQUE (job_id)")
    for name, (columns, where) in INDEXES.items():
        op.execute(_index(name, PARENT, columns, where))
