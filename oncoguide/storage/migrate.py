"""Bring the database to the newest schema: `python -m oncoguide.storage.migrate` (uses the settings)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from oncoguide.storage.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config(MIGRATIONS / "alembic.ini")
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database.replace("%", "%%"))
    return config


def upgrade(settings: Settings) -> None:
    if settings.database.startswith("sqlite"):
        settings.storage_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), "head")


if __name__ == "__main__":
    upgrade(Settings.from_env())
