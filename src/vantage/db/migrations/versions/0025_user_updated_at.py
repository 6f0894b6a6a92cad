"""when a user last changed

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28 09:00:00.000000

`users.updated_at`: set when a user's role changes (`PATCH /v1/accounts/me/members/{userId}`), so
a member's `updatedAt` says when; null until then (the member's `createdAt` stands for it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vantage.db.types import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
