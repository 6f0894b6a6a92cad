"""edited occurrences of maintenance windows

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 01:00:00.000000

An occurrence of a window is derived from the window's schedule; `maintenance_occurrences` keeps
what was done to one of them through Checkly's `/v1/maintenance-windows/{id}/maintenances/{mid}`
operations: deleted, moved to other times, or given status updates. A new table, so nothing
existing is rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_occurrences",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_start", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("starts_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "updates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["maintenance_windows.id"],
            name=op.f("fk_maintenance_occurrences_window_id_maintenance_windows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_occurrences")),
    )
    with op.batch_alter_table("maintenance_occurrences", schema=None) as batch_op:
        batch_op.create_index("ix_maintenance_occurrences_window", ["window_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("maintenance_occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenance_occurrences_window")
    op.drop_table("maintenance_occurrences")
