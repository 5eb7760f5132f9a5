"""Proposals link the samples and indicators their evidence rests on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a NOT NULL column with a default in every version otherwise.
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(
            sa.Column("evidence_links", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("evidence_links")
