"""rate-limit counters shared by replicas

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 08:00:00.000000

One row per API key and route: the window it counts and the requests in it (PostgreSQL's
replicas share them, in an unlogged table; SQLite's one server counts in memory).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", "route", name=op.f("pk_rate_limit_counters")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Counters need no crash safety: unlogged, an update writes no WAL and its commit waits
        # for no flush (a crash empties the table, which only forgives a window's requests).
        op.execute("ALTER TABLE rate_limit_counters SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
