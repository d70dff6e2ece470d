"""The large JSON columns (a document's content and findings, a case's analysis) become plain JSON with
lz4 compression where the server has it.

Why: they are written once and read back whole as text, never searched inside (a case's profile or
guidance is read by key, which `json ->` does too). JSONB parses each value into its binary form on
write and prints it back on read: for a ten-page document (600 kB, mostly word boxes) JSONB with pglz
took 2.5 times as long to write and 5 times as long to read as JSON with lz4. PostgreSQL only: SQLite
has one JSON type.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (("documents", "content"), ("documents", "findings"), ("cases", "analysis"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    lz4 = op.get_bind().scalar(
        sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(astext_type=sa.Text()),
            postgresql_using=f"{column}::json",
        )
        if lz4:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=postgresql.JSONB(astext_type=sa.Text()),
            existing_type=sa.JSON(),
            postgresql_using=f"{column}::jsonb",
        )
