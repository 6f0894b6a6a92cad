"""web UI: users, their browser sessions, result roll-ups

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 08:00:00.000000

Users log in to the web UI (argon2 hashes; sessions stored as SHA-256 of the cookie's token).
Roll-ups sum FINAL results per check x location x bucket (60 s, 1 h, 1 day) so pages never scan
raw results; they start empty (history before this revision is not summed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vantage.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HISTOGRAM_BINS = 20  # db/tables.py: ROLLUP_HISTOGRAM_BINS, frozen here as of this revision


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "password_changed_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_users_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_account", ["account_id"], unique=False)

    op.create_table(
        "ui_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ui_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_ui_sessions")),
    )
    with op.batch_alter_table("ui_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_ui_sessions_user", ["user_id"], unique=False)

    op.create_table(
        "result_rollups",
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("bucket_seconds", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket_start", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("finals", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("degraded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rt_sum", sa.Float(), nullable=False),
        *(
            sa.Column(f"h{i:02d}", sa.Integer(), server_default="0", nullable=False)
            for i in range(HISTOGRAM_BINS)
        ),
        sa.PrimaryKeyConstraint(
            "check_id",
            "location",
            "bucket_seconds",
            "bucket_start",
            name=op.f("pk_result_rollups"),
        ),
    )
    with op.batch_alter_table("result_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_result_rollups_bucket",
            ["check_id", "bucket_seconds", "bucket_start"],
            unique=False,
        )

    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_results_check_type_created",
            ["check_id", "result_type", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_check_results_check_type_created")
    with op.batch_alter_table("result_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_result_rollups_bucket")
    op.drop_table("result_rollups")
    with op.batch_alter_table("ui_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_ui_sessions_user")
    op.drop_table("ui_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_account")
    op.drop_table("users")
