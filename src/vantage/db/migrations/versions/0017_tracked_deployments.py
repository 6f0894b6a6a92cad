"""project deployments as tracked operations

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 13:50:00.000000

A deploy or destroy is applied after its request answers, so a deployment records when it started
and whether a cancel was asked for; at most one deployment of a project is unfinished at a time
(a second one is Checkly's 409 naming the first).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vantage.db.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project_deployments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("started_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "cancel_requested_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            "uq_project_deployments_unfinished",
            ["account_id", "logical_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("project_deployments", schema=None) as batch_op:
        batch_op.drop_index("uq_project_deployments_unfinished")
        batch_op.drop_column("cancel_requested_at")
        batch_op.drop_column("started_at")
