"""check result assets

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 14:00:00.000000

Screenshots, traces and videos of browser and multi-step runs, taken out of their results at
intake and served by `/v1/check-results/{checkId}/{checkResultId}/assets`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vantage.db.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_result_assets",
        sa.Column("result_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("asset_type", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("result_id", "name", name=op.f("pk_check_result_assets")),
    )
    with op.batch_alter_table("check_result_assets", schema=None) as batch_op:
        batch_op.create_index("ix_check_result_assets_created", ["created_at"], unique=False)
        batch_op.create_index("ix_check_result_assets_check", ["check_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_result_assets", schema=None) as batch_op:
        batch_op.drop_index("ix_check_result_assets_check")
        batch_op.drop_index("ix_check_result_assets_created")
    op.drop_table("check_result_assets")
