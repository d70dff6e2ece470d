"""Service settings from ONCOGUIDE_* environment variables, with embedded single-machine defaults.

With nothing set, the service needs no servers: SQLite in the storage directory and Celery's
filesystem broker. Set ONCOGUIDE_DATABASE_URL and ONCOGUIDE_BROKER_URL for PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from extractors.ingest import Limits

PREFIX = "ONCOGUIDE_"
_MB = 2**20


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    storage_dir: Path = Path("var/oncoguide")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in storage_dir"
    )
    broker_url: str | None = Field(default=None, description="Celery broker; default a filesystem broker")
    encryption_key: SecretStr | None = Field(
        default=None, description="Fernet key; default a key generated once into storage_dir"
    )
    namespace: str = Field(default="", description="prefix of queue names and Redis keys (tests, tenants)")
    max_upload_bytes: int = Field(default=50 * _MB, gt=0)
    max_pages: int = Field(default=500, gt=0)
    ocr: bool = True
    document_time_limit: int = Field(default=600, gt=0, description="hard limit of a document task, s")
    case_time_limit: int = Field(default=120, gt=0, description="hard limit of a case task, s")
    max_attempts: int = Field(default=3, gt=0, description="deliveries of one document before it fails")
    stale_after: int = Field(default=900, gt=0, description="the sweeper re-enqueues work idle this long, s")
    sweep_interval: int = Field(default=60, gt=0)
    visibility_timeout: int = Field(
        default=1800, gt=0, description="Redis redelivers an unacknowledged task after this long, s"
    )
    api_keys: SecretStr | None = Field(
        default=None, description="'key:owner,key:owner'; unset means one default owner (embedded mode)"
    )
    navigator_keys: SecretStr | None = Field(
        default=None, description="'key:navigator,...': people who review and release any owner's case"
    )
    default_owner: str = "local"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            name: env[PREFIX + name.upper()] for name in cls.model_fields if PREFIX + name.upper() in env
        }
        return cls.model_validate(values)

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.storage_dir / 'oncoguide.db'}"

    @property
    def files_dir(self) -> Path:
        return self.storage_dir / "files"

    @property
    def embedded_broker_dir(self) -> Path:
        return self.storage_dir / "broker"

    @property
    def limits(self) -> Limits:
        return Limits(max_bytes=self.max_upload_bytes, max_pages=self.max_pages)

    def queue(self, name: str) -> str:
        return f"{self.namespace}{name}"

    def owners_by_key(self) -> dict[str, str]:
        return _pairs(self.api_keys)

    def navigators_by_key(self) -> dict[str, str]:
        return _pairs(self.navigator_keys)


def _pairs(secret: SecretStr | None) -> dict[str, str]:
    if secret is None:
        return {}
    pairs = (item.split(":", 1) for item in secret.get_secret_value().split(",") if ":" in item)
    return {key.strip(): name.strip() for key, name in pairs}
