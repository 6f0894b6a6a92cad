"""web UI pages: timing phases in roll-ups, the sessions list's and results filter's indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 10:30:00.000000

Roll-ups gain a count of results with timing phases and each phase's summed milliseconds (the check
overview's stacked phase chart); buckets written before this revision have none (zero counts). An
account's sessions newest first, a check's results at one location and its failed results (a
partial index) get an index each.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PHASES = ("wait", "dns", "tcp", "tls", "first_byte", "download")  # frozen as of this revision


def upgrade() -> None:
    with op.batch_alter_table("result_rollups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phase_count", sa.Integer(), server_default="0", nullable=False)
        )
        for name in PHASES:
            batch_op.add_column(
                sa.Column(f"phase_{name}", sa.Float(), server_default="0", nullable=False)
            )
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_sessions_account_started", ["account_id", "started_at", "id"], unique=False
        )
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_results_check_location_created",
            ["check_id", "run_location", "created_at"],
            unique=False,
        )
        # The query's `has_failures OR has_errors` implies this predicate on both databases.
        batch_op.create_index(
            "ix_check_results_check_failed_created",
            ["check_id", "created_at"],
            unique=False,
            sqlite_where=sa.text("has_failures = 1 OR has_errors = 1"),
            postgresql_where=sa.text("has_failures OR has_errors"),
        )


def downgrade() -> None:
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_check_results_check_failed_created")
        batch_op.drop_index("ix_check_results_check_location_created")
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_check_sessions_account_started")
    with op.batch_alter_table("result_rollups", schema=None) as batch_op:
        for name in reversed(PHASES):
            batch_op.drop_column(f"phase_{name}")
        batch_op.drop_column("phase_count")
