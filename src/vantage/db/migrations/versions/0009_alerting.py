"""alerting: alert channels, their subscriptions, each check's alert state, the notification
outbox, the alert events, maintenance windows

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 07:06:32.153899

Checks and groups stored `alertChannelSubscriptions` before any channel could exist: those ids name
no channel, so they are dropped (the lists are now a copy of the subscription rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("send_recovery", sa.Boolean(), nullable=False),
        sa.Column("send_failure", sa.Boolean(), nullable=False),
        sa.Column("send_degraded", sa.Boolean(), nullable=False),
        sa.Column("ssl_expiry", sa.Boolean(), nullable=False),
        sa.Column("ssl_expiry_threshold", sa.Integer(), nullable=False),
        sa.Column("auto_subscribe", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_alert_channels_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("alert_channels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_channels_account_created", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_maintenance_windows_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.create_index("ix_maintenance_windows_account", ["account_id"], unique=False)

    op.create_table(
        "alert_channel_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("alert_channel_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("activated", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(check_id IS NULL) <> (group_id IS NULL)",
            name=op.f("ck_alert_channel_subscriptions_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_channel_subscriptions_alert_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_alert_channel_subscriptions_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["check_groups.id"],
            name=op.f("fk_alert_channel_subscriptions_group_id_check_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channel_subscriptions")),
        sa.UniqueConstraint("alert_channel_id", "check_id", name="uq_alert_subscriptions_check"),
        sa.UniqueConstraint("alert_channel_id", "group_id", name="uq_alert_subscriptions_group"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("alert_channel_subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_alert_channel_subscriptions_check", ["check_id"], unique=False)
        batch_op.create_index("ix_alert_channel_subscriptions_group", ["group_id"], unique=False)

    op.create_table(
        "alert_notifications",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("alert_channel_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("alert_type", sa.String(length=40), nullable=False),
        sa.Column("channel_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Integer(), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_notifications_alert_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_alert_notifications")),
        sa.UniqueConstraint("id", name=op.f("uq_alert_notifications_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_notifications_account", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_alert_notifications_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_alert_notifications_order", ["alert_channel_id", "check_id", "seq"], unique=False
        )

    op.create_table(
        "check_alert_states",
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("notified", sa.String(length=10), nullable=False),
        sa.Column("consecutive_failed", sa.Integer(), nullable=False),
        sa.Column("consecutive_degraded", sa.Integer(), nullable=False),
        sa.Column("failing_since", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("degraded_since", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("next_reminder_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_check_alert_states_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_check_alert_states")),
    )
    with op.batch_alter_table("check_alert_states", schema=None) as batch_op:
        batch_op.create_index("ix_check_alert_states_reminder", ["next_reminder_at"], unique=False)

    op.create_table(
        "check_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alert_type", sa.String(length=40), nullable=False),
        sa.Column("check_type", sa.String(length=20), nullable=False),
        sa.Column("run_location", sa.String(length=100), nullable=True),
        sa.Column("response_time", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("started_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_check_alerts_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_alerts")),
    )
    with op.batch_alter_table("check_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_alerts_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_check_alerts_check_created", ["check_id", "created_at"], unique=False
        )

    for name in ("checks", "check_groups"):
        table = sa.table(name, sa.column("id"), sa.column("config", sa.JSON()))
        bind = op.get_bind()
        for row in bind.execute(sa.select(table.c.id, table.c.config)).all():
            config = dict(row.config)
            if config.get("alertChannelSubscriptions"):
                config["alertChannelSubscriptions"] = []
                bind.execute(table.update().where(table.c.id == row.id).values(config=config))


def downgrade() -> None:
    with op.batch_alter_table("check_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_check_alerts_check_created")
        batch_op.drop_index("ix_check_alerts_account_created")

    op.drop_table("check_alerts")
    with op.batch_alter_table("check_alert_states", schema=None) as batch_op:
        batch_op.drop_index("ix_check_alert_states_reminder")

    op.drop_table("check_alert_states")
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_notifications_order")
        batch_op.drop_index("ix_alert_notifications_due")
        batch_op.drop_index("ix_alert_notifications_account")

    op.drop_table("alert_notifications")
    with op.batch_alter_table("alert_channel_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_channel_subscriptions_group")
        batch_op.drop_index("ix_alert_channel_subscriptions_check")

    op.drop_table("alert_channel_subscriptions")
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenance_windows_account")

    op.drop_table("maintenance_windows")
    with op.batch_alter_table("alert_channels", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_channels_account_created")

    op.drop_table("alert_channels")
