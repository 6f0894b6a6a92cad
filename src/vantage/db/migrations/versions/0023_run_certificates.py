"""the certificate each check's runs were served

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 02:00:00.000000

`check_statuses.certificate`: where, until when and by whom the certificate of the check's latest
HTTPS run was served (as its agent read it from the run's own TLS handshake), so the SSL expiry
alerts cover hosts the server itself cannot reach (a private location's internal hosts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of a nullable column: neither database rewrites the table.
    op.add_column(
        "check_statuses",
        sa.Column(
            "certificate",
            sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("check_statuses", "certificate")
