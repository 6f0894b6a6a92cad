"""private locations' queue samples

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 14:00:00.000000

`/v1/private-locations/{id}/metrics` serves a time series: the queue of every private location is
sampled periodically into `location_queue_samples`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vantage.db.types import UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "location_queue_samples",
        sa.Column("location_id", sa.String(length=36), nullable=False),
        sa.Column("sampled_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("queue_size", sa.Integer(), nullable=False),
        sa.Column("oldest_wait_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_location_queue_samples_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "location_id", "sampled_at", name=op.f("pk_location_queue_samples")
        ),
    )
    with op.batch_alter_table("location_queue_samples", schema=None) as batch_op:
        batch_op.create_index("ix_location_queue_samples_sampled_at", ["sampled_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("location_queue_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_location_queue_samples_sampled_at")
    op.drop_table("location_queue_samples")
