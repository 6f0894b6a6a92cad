"""runs in maintenance windows

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 18:00:00.000000

A result taken while a maintenance window covered its check is marked (`in_maintenance`) and
counted apart in its roll-ups (`maintenance`), so availability figures leave it out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild): both databases add a column with a constant default
    # without rewriting the table, and on PostgreSQL the partitions of check_results follow.
    op.add_column(
        "check_results",
        sa.Column("in_maintenance", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "result_rollups",
        sa.Column("maintenance", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("result_rollups", "maintenance")
    op.drop_column("check_results", "in_maintenance")
