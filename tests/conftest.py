"""Shared fixtures: the TCGA dev set is read from ../shared/data, never copied into the repo."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oncoguide.paths import DEV_SET


@pytest.fixture(scope="session")
def devset() -> list[dict[str, Any]]:
    """The dev set's records; the test is skipped with a clear message where shared/ is absent."""
    if not DEV_SET.exists():
        pytest.skip(f"dev set not found at {DEV_SET}: put shared/ beside the checkout")
    with DEV_SET.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def devset_by_id(devset: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in devset}
