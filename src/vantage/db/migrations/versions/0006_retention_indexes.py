"""indexes for retention; the session indexes nobody read dropped

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 07:30:00.000000

Retention deletes the oldest results and ended sessions first, so both tables get an index in that
order: `check_results.created_at` and `check_sessions.stopped_at`. The latter also serves the
reaper (`stopped_at IS NULL`), which is all `ix_check_sessions_open` was read for;
`ix_check_sessions_check` was read by no query. Together they took about 0.4 GB at 3M results.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_check_sessions_check")
        batch_op.drop_index("ix_check_sessions_open")
        batch_op.create_index("ix_check_sessions_stopped", ["stopped_at"], unique=False)
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index("ix_check_results_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_check_results_created")
    with op.batch_alter_table("check_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_check_sessions_stopped")
        batch_op.create_index("ix_check_sessions_open", ["stopped_at", "deadline_at"], unique=False)
        batch_op.create_index("ix_check_sessions_check", ["check_id", "started_at"], unique=False)
