"""what each check's open incident announced

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28 08:00:00.000000

`check_alert_states.announced`: a bit set of what the check's current incident announced (1 a
failure, 2 a degradation), so that its recovery reaches only the channels that heard some of it
(a channel without `sendDegraded` is not told of a recovery from a degradation it never heard of).
An incident open at upgrade is taken to have announced what it is announced as now.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_alert_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("announced", sa.SmallInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE check_alert_states SET announced = CASE notified "
        "WHEN 'FAILING' THEN 1 WHEN 'DEGRADED' THEN 2 ELSE 0 END"
    )


def downgrade() -> None:
    with op.batch_alter_table("check_alert_states", schema=None) as batch_op:
        batch_op.drop_column("announced")
