"""test sessions: `checkly test` / `checkly trigger` runs, and their check sessions' and jobs' link

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 10:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("suite_id", sa.String(length=100), nullable=False),
        sa.Column("recorded", sa.Boolean(), nullable=False),
        sa.Column("run_location", sa.String(length=100), nullable=False),
        sa.Column(
            "runs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_test_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sessions")),
    )
    with op.batch_alter_table("test_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_test_sessions_account_created", ["account_id", "created_at"], unique=False
        )
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("test_session_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("test_session_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("test_session_id")
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.drop_column("test_session_id")
    with op.batch_alter_table("test_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_test_sessions_account_created")
    op.drop_table("test_sessions")
