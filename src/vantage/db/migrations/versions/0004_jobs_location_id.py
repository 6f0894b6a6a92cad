"""jobs bound to their location's id

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:00:00.000000

A job names its location by id as well as by slug, so a slug deleted and created again (by any
account) never leases the old location's jobs; jobs go with their location (ON DELETE CASCADE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_id", sa.String(length=36), nullable=True))

    jobs = sa.table(
        "jobs", sa.column("location", sa.String()), sa.column("location_id", sa.String())
    )
    locations = sa.table("locations", sa.column("slug", sa.String()), sa.column("id", sa.String()))
    op.execute(
        jobs.update().values(
            location_id=sa.select(locations.c.id)
            .where(locations.c.slug == jobs.c.location)
            .scalar_subquery()
        )
    )
    # A job whose location does not exist could only ever be leased by whoever creates that slug
    # next (another account's private location, say): it is withdrawn, and its session times out.
    op.execute(jobs.delete().where(jobs.c.location_id.is_(None)))

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("location_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_jobs_location_id_locations"),
            "locations",
            ["location_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_index("ix_jobs_claim")
        batch_op.create_index("ix_jobs_claim", ["location_id", "state", "run_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_claim")
        batch_op.create_index("ix_jobs_claim", ["location", "state", "run_at"], unique=False)
        batch_op.drop_constraint(op.f("fk_jobs_location_id_locations"), type_="foreignkey")
        batch_op.drop_column("location_id")
