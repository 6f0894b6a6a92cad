"""projects: Checkly CLI projects, the objects their deploys made, their deployments, and the
code bundles the CLI uploads

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import vantage.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("logical_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("repo_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        _account_fk("projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("account_id", "logical_id", name="uq_projects_account_logical"),
    )
    op.create_table(
        "project_resources",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("logical_id", sa.String(length=255), nullable=False),
        sa.Column("physical_id", sa.String(length=64), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_resources_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "type", "logical_id", name="pk_project_resources"),
    )
    op.create_table(
        "project_deployments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("logical_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("error", JSON, nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", vantage.db.types.UtcDateTime(timezone=True), nullable=True),
        _account_fk("project_deployments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_deployments")),
    )
    with op.batch_alter_table("project_deployments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_project_deployments_account_logical", ["account_id", "logical_id"], unique=False
        )
    op.create_table(
        "code_bundles",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", vantage.db.types.UtcDateTime(timezone=True), nullable=False),
        _account_fk("code_bundles"),
        sa.PrimaryKeyConstraint("account_id", "sha256", name="pk_code_bundles"),
    )


def downgrade() -> None:
    op.drop_table("code_bundles")
    with op.batch_alter_table("project_deployments", schema=None) as batch_op:
        batch_op.drop_index("ix_project_deployments_account_logical")
    op.drop_table("project_deployments")
    op.drop_table("project_resources")
    op.drop_table("projects")
