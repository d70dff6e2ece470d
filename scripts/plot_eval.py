"""Plot per-project accuracy from `oncoguide eval DATASET --json` for the README.

Usage: .venv/bin/oncoguide eval ../shared/data/tcga-dev/reports.jsonl --json > out/eval.json
       .venv/bin/python scripts/plot_eval.py out/eval.json docs/eval-by-project.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on the build machines
import matplotlib.pyplot as plt

FIELDS = ("cancer_type", "t", "n", "stage_group")


def main(scores_path: Path, image_path: Path) -> None:
    scores = json.loads(scores_path.read_text(encoding="utf-8"))
    projects = sorted(scores["by_project"])
    figure, axes = plt.subplots(len(FIELDS), 1, figsize=(12, 2.2 * len(FIELDS)), sharex=True)
    for axis, field in zip(axes, FIELDS, strict=True):
        values = [scores["by_project"][p].get(field, {}).get("accuracy", float("nan")) for p in projects]
        overall = scores["fields"][field]["accuracy"]
        axis.bar(projects, values, color="#3b6ea5")
        axis.axhline(overall, color="#c0392b", linewidth=1, label=f"all records {overall:.2f}")
        axis.set_ylim(0, 1.05)
        axis.set_ylabel(field.replace("_", " "))
        axis.legend(loc="lower right", fontsize=8)
    axes[-1].tick_params(axis="x", rotation=60)
    figure.suptitle(f"Accuracy by TCGA project ({scores['dataset']}, {scores['records']} reports)")
    figure.tight_layout()
    image_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(image_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot_eval.py EVAL.json IMAGE.png")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
