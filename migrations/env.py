"""Alembic environment: the database URL comes from the service settings (ONCOGUIDE_DATABASE_URL)."""

from __future__ import annotations

from alembic import context

from oncoguide.storage.db import engine_for
from oncoguide.storage.models import Base
from oncoguide.storage.settings import Settings

url = context.config.get_main_option("sqlalchemy.url") or Settings.from_env().database


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    with engine_for(url).connect() as connection:
        # Batch mode lets later migrations alter SQLite tables (which lack most ALTER TABLE forms).
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
