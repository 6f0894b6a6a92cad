"""private locations, agent keys and agents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

import vantage.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("account_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("icon", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_seen_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True)
        )

    # Existing locations get their uuid before the column becomes NOT NULL.
    conn = op.get_bind()
    table = sa.table("locations", sa.column("slug", sa.String()), sa.column("id", sa.String()))
    for (slug,) in conn.execute(sa.select(table.c.slug)).all():
        conn.execute(table.update().where(table.c.slug == slug).values(id=str(uuid.uuid4())))

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_locations_id"), ["id"])
        batch_op.create_foreign_key(
            op.f("fk_locations_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_locations_account", ["account_id"], unique=False)

    op.create_table(
        "agent_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("masked_key", sa.String(length=40), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location"],
            ["locations.slug"],
            name=op.f("fk_agent_keys_location_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_agent_keys_key_hash")),
    )
    with op.batch_alter_table("agent_keys", schema=None) as batch_op:
        batch_op.create_index("ix_agent_keys_location", ["location"], unique=False)

    op.create_table(
        "agents",
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location"],
            ["locations.slug"],
            name=op.f("fk_agents_location_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location", "id", name=op.f("pk_agents")),
    )


def downgrade() -> None:
    op.drop_table("agents")
    with op.batch_alter_table("agent_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_keys_location")
    op.drop_table("agent_keys")

    # Private locations have no place in the old schema.
    op.execute("DELETE FROM locations WHERE account_id IS NOT NULL")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index("ix_locations_account")
        batch_op.drop_constraint(op.f("fk_locations_account_id_accounts"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_locations_id"), type_="unique")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("icon")
        batch_op.drop_column("account_id")
        batch_op.drop_column("id")
