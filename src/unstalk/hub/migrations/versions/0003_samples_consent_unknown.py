"""A sample's consent may be unknown: ``samples.consent_given`` allows NULL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot change a column's nullability in place.
    with op.batch_alter_table("samples") as batch:
        batch.alter_column("consent_given", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    # Unknown consent was never consent: it goes back as "no".
    op.execute("UPDATE samples SET consent_given = false WHERE consent_given IS NULL")
    with op.batch_alter_table("samples") as batch:
        batch.alter_column("consent_given", existing_type=sa.Boolean(), nullable=False)
