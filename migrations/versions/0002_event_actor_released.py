"""Who did what in the audit log, and the documents' storage keys indexed for the file sweep.

The `released` stage needs no change: stages are strings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("actor", sa.String(64)))
    op.create_index("ix_documents_storage_key", "documents", ["storage_key"])


def downgrade() -> None:
    op.drop_index("ix_documents_storage_key", "documents")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("actor")
