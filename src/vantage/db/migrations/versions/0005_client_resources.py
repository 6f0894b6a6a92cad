"""trigger tokens, client certificates, account variables and heartbeats

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 13:00:00.000000

What Checkly's Go SDK, Terraform provider and CLI manage besides checks: legacy trigger tokens of
checks and groups, client certificates for mutual TLS, the account's environment variables, and
heartbeat checks' ping tokens, deadlines and pings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vantage.db.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trigger_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("called_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_trigger_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_trigger_tokens_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["check_groups.id"],
            name=op.f("fk_trigger_tokens_group_id_check_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_tokens")),
        sa.UniqueConstraint("check_id", name=op.f("uq_trigger_tokens_check_id")),
        sa.UniqueConstraint("group_id", name=op.f("uq_trigger_tokens_group_id")),
        sa.UniqueConstraint("token", name=op.f("uq_trigger_tokens_token")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "client_certificates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("cert", sa.Text(), nullable=False),
        sa.Column("ca", sa.Text(), nullable=True),
        sa.Column("sealed_key", sa.Text(), nullable=True),
        sa.Column("sealed_passphrase", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_client_certificates_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_certificates")),
    )
    op.create_index(
        "ix_client_certificates_account", "client_certificates", ["account_id"], unique=False
    )
    op.create_table(
        "variables",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_variables_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("pk_variables")),
    )
    op.create_table(
        "heartbeats",
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("ping_token", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("last_ping_at", UtcDateTime(), nullable=True),
        sa.Column("deadline_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_heartbeats_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_heartbeats")),
        sa.UniqueConstraint("ping_token", name=op.f("uq_heartbeats_ping_token")),
    )
    op.create_index("ix_heartbeats_deadline", "heartbeats", ["deadline_at"], unique=False)
    op.create_table(
        "heartbeat_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_heartbeat_events_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeat_events")),
    )
    op.create_index(
        "ix_heartbeat_events_check", "heartbeat_events", ["check_id", "received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_heartbeat_events_check", table_name="heartbeat_events")
    op.drop_table("heartbeat_events")
    op.drop_index("ix_heartbeats_deadline", table_name="heartbeats")
    op.drop_table("heartbeats")
    op.drop_table("variables")
    op.drop_index("ix_client_certificates_account", table_name="client_certificates")
    op.drop_table("client_certificates")
    op.drop_table("trigger_tokens")
