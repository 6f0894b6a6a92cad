"""alert timers and account alert settings: a TIME_BASED threshold is judged on a timer, not
only at the check's next run; an account has its own alertSettings

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_alert_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalate_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_check_alert_states_escalate", ["escalate_at"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "alert_settings",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("alert_settings")
    with op.batch_alter_table("check_alert_states", schema=None) as batch_op:
        batch_op.drop_index("ix_check_alert_states_escalate")
        batch_op.drop_column("escalate_at")
