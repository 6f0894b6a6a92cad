"""roll-ups found by age

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28 11:30:00.000000

`ix_result_rollups_age (bucket_seconds, bucket_start)`: the retention pass deletes the roll-ups of
each bucket size past their age oldest first, a bounded batch at a time, through this index (the
others lead with the check). Until now they were never deleted: a minute's row per check and
location, 1,440 a day each, for ever.
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("result_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_result_rollups_age", ["bucket_seconds", "bucket_start"])


def downgrade() -> None:
    with op.batch_alter_table("result_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_result_rollups_age")
