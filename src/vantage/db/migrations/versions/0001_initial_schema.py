"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 05:08:16.974119
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "check_results",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("check_type", sa.String(length=20), nullable=False),
        sa.Column("run_location", sa.String(length=100), nullable=False),
        sa.Column("result_type", sa.String(length=10), nullable=False),
        sa.Column("sequence_id", sa.String(length=36), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("has_failures", sa.Boolean(), nullable=False),
        sa.Column("has_errors", sa.Boolean(), nullable=False),
        sa.Column("is_degraded", sa.Boolean(), nullable=False),
        sa.Column("over_max_response_time", sa.Boolean(), nullable=False),
        sa.Column("response_time", sa.Float(), nullable=False),
        sa.Column("check_run_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("detail_key", sa.String(length=40), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
        sa.UniqueConstraint("job_id", name=op.f("uq_check_results_job_id")),
    )
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_results_check_created", ["check_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_check_results_session", ["session_id"], unique=False)

    op.create_table(
        "check_statuses",
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("has_failures", sa.Boolean(), nullable=False),
        sa.Column("has_errors", sa.Boolean(), nullable=False),
        sa.Column("is_degraded", sa.Boolean(), nullable=False),
        sa.Column("longest_run", sa.Float(), nullable=True),
        sa.Column("shortest_run", sa.Float(), nullable=True),
        sa.Column("last_run_location", sa.String(length=100), nullable=True),
        sa.Column("last_check_run_id", sa.BigInteger(), nullable=True),
        sa.Column("last_result_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_check_statuses")),
    )
    with op.batch_alter_table("check_statuses", schema=None) as batch_op:
        batch_op.create_index("ix_check_statuses_account", ["account_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("run_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("leases", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["location", "state", "run_at"], unique=False)
        batch_op.create_index("ix_jobs_session", ["session_id"], unique=False)

    op.create_table(
        "locations",
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_locations")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_api_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "check_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("check_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_source", sa.String(length=40), nullable=False),
        sa.Column(
            "run_locations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("finals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("degraded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_check_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_sessions")),
    )
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_check_sessions_check", ["check_id", "started_at"], unique=False)
        batch_op.create_index("ix_check_sessions_open", ["stopped_at", "deadline_at"], unique=False)

    op.create_table(
        "checks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("activated", sa.Boolean(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("next_run_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_checks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
    )
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checks_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_checks_due", ["activated", "next_run_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_index("ix_checks_due")
        batch_op.drop_index("ix_checks_account_created")

    op.drop_table("checks")
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_check_sessions_open")
        batch_op.drop_index("ix_check_sessions_check")

    op.drop_table("check_sessions")
    op.drop_table("api_keys")
    op.drop_table("locations")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_session")
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
    with op.batch_alter_table("check_statuses", schema=None) as batch_op:
        batch_op.drop_index("ix_check_statuses_account")

    op.drop_table("check_statuses")
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_check_results_session")
        batch_op.drop_index("ix_check_results_check_created")

    op.drop_table("check_results")
    op.drop_table("accounts")
