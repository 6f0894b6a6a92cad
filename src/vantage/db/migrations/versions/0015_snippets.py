"""snippets, private locations' proxyUrl

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 11:00:00.000000

Checkly's snippets (`/v1/snippets`): named scripts, by id, that the Terraform provider manages
and checks' setup and teardown refer to; and a private location's `proxyUrl`, the forward proxy
its HTTP checks go through.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vantage.db.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snippets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_snippets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snippets")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("snippets", schema=None) as batch_op:
        batch_op.create_index("ix_snippets_account", ["account_id"], unique=False)
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proxy_url", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("proxy_url")
    with op.batch_alter_table("snippets", schema=None) as batch_op:
        batch_op.drop_index("ix_snippets_account")
    op.drop_table("snippets")
