"""status pages: services, pages with their cards, incidents and their updates, email
subscriptions and the mail they are sent, public dashboards and their incidents

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 11:23:25.802642
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_page_emails",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("unsubscribe", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_emails")),
    )
    with op.batch_alter_table("status_page_emails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_page_emails_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "dashboards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dashboard_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("custom_url", sa.String(length=255), nullable=True),
        sa.Column("custom_domain", sa.String(length=255), nullable=True),
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
            name=op.f("fk_dashboards_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
        sa.UniqueConstraint("custom_domain", name=op.f("uq_dashboards_custom_domain")),
        sa.UniqueConstraint("custom_url", name=op.f("uq_dashboards_custom_url")),
        sa.UniqueConstraint("dashboard_id", name=op.f("uq_dashboards_dashboard_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("dashboards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dashboards_account_created", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "status_page_incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column(
            "services",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_update_status", sa.String(length=20), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_page_incidents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_incidents")),
    )
    with op.batch_alter_table("status_page_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_page_incidents_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_status_page_incidents_check", ["check_id", "resolved_at"], unique=False
        )

    op.create_table(
        "status_page_services",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_page_services_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_services")),
    )
    with op.batch_alter_table("status_page_services", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_page_services_account_created", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "status_pages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=255), nullable=False),
        sa.Column("custom_domain", sa.String(length=255), nullable=True),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "cards",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_pages_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_pages")),
        sa.UniqueConstraint("custom_domain", name=op.f("uq_status_pages_custom_domain")),
        sa.UniqueConstraint("url", name=op.f("uq_status_pages_url")),
    )
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_pages_account_created", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "dashboard_incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("dashboard_id", sa.Integer(), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "updates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dashboard_incidents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["dashboards.id"],
            name=op.f("fk_dashboard_incidents_dashboard_id_dashboards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_incidents")),
    )
    with op.batch_alter_table("dashboard_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dashboard_incidents_dashboard", ["dashboard_id", "created_at"], unique=False
        )

    op.create_table(
        "status_page_incident_updates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("public_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("notify_subscribers", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["status_page_incidents.id"],
            name=op.f("fk_status_page_incident_updates_incident_id_status_page_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_incident_updates")),
    )
    with op.batch_alter_table("status_page_incident_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_page_incident_updates_incident", ["incident_id", "created_at"], unique=False
        )

    op.create_table(
        "status_page_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status_page_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_page_subscriptions_status_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_subscriptions")),
        sa.UniqueConstraint(
            "status_page_id", "address", name="uq_status_page_subscriptions_address"
        ),
        sa.UniqueConstraint("token", name=op.f("uq_status_page_subscriptions_token")),
    )


def downgrade() -> None:
    op.drop_table("status_page_subscriptions")
    with op.batch_alter_table("status_page_incident_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_status_page_incident_updates_incident")

    op.drop_table("status_page_incident_updates")
    with op.batch_alter_table("dashboard_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_incidents_dashboard")

    op.drop_table("dashboard_incidents")
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_status_pages_account_created")

    op.drop_table("status_pages")
    with op.batch_alter_table("status_page_services", schema=None) as batch_op:
        batch_op.drop_index("ix_status_page_services_account_created")

    op.drop_table("status_page_services")
    with op.batch_alter_table("status_page_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_status_page_incidents_check")
        batch_op.drop_index("ix_status_page_incidents_account_created")

    op.drop_table("status_page_incidents")
    with op.batch_alter_table("dashboards", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboards_account_created")

    op.drop_table("dashboards")
    with op.batch_alter_table("status_page_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_status_page_emails_due")

    op.drop_table("status_page_emails")
