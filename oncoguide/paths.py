"""Where the project finds things outside its own package: the shared evaluation data."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The dev set lives beside the checkout (../shared/data) and is never copied into the repository.
SHARED_DATA = Path(os.environ.get("ONCOGUIDE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
DEV_SET = SHARED_DATA / "tcga-dev" / "reports.jsonl"
ONCOTREE = SHARED_DATA / "vocab" / "oncotree_2025_10_03.json"
EXAMPLES = REPO_ROOT / "examples"
