"""Measure cancer-type extraction on the TCGA dev set: accuracy per TCGA project, misses, speed.

Usage: .venv/bin/python scripts/tune_cancer_type.py [--misses N] [--project CODE]
Each record's text is one page, read as the pipeline reads it (`oncoguide eval` gives the same figures):
`extract` with the assertion status of every finding, then `select_cancer_type` over the findings
asserted as present. No record text is printed unless misses are asked for (for reading while tuning,
never for logs).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

from extractors import cancer_type
from extractors.base import PageText
from extractors.findings import extract_page
from oncoguide.domain import Assertion, FindingKind
from oncoguide.paths import DEV_SET


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", type=int, default=0, help="print this many misses with their candidates")
    parser.add_argument("--project", help="only this TCGA project")
    args = parser.parse_args()
    records = [json.loads(line) for line in DEV_SET.open(encoding="utf-8") if line.strip()]
    if args.project:
        records = [r for r in records if r["labels"].get("tcga_project") == args.project]

    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # records, answered, type ok, organ ok
    misses = []
    elapsed = 0.0
    for record in records:
        page = PageText(document_id=record["id"], number=1, text=record["text"])
        began = time.perf_counter()
        findings = extract_page(page, (cancer_type.extract,))
        chosen = cancer_type.select_cancer_type(
            [f for f in findings if f.kind is FindingKind.CANCER_TYPE and f.assertion is Assertion.PRESENT]
        )
        elapsed += time.perf_counter() - began
        labels = record["labels"]
        code = chosen.value if chosen else None
        type_ok = code in labels.get("cancer_type_accept", [])
        organ_ok = code is not None and cancer_type.organ_of(code) in labels.get("organ_accept", [])
        row = table[labels.get("tcga_project", "?")]
        row[0] += 1
        row[1] += code is not None
        row[2] += type_ok
        row[3] += organ_ok
        if not type_ok:
            misses.append((record, chosen, findings))

    print(f"{'project':8} {'n':>4} {'answered':>8} {'type':>6} {'organ':>6}")
    totals = [0, 0, 0, 0]
    for project in sorted(table):
        n, answered, type_ok, organ_ok = table[project]
        totals = [t + v for t, v in zip(totals, table[project], strict=True)]
        print(f"{project:8} {n:4d} {answered:8d} {type_ok / n:6.3f} {organ_ok / n:6.3f}")
    n, answered, type_ok, organ_ok = totals
    print(f"{'ALL':8} {n:4d} {answered:8d} {type_ok / n:6.3f} {organ_ok / n:6.3f}")
    print(f"precision: type {type_ok / max(answered, 1):.3f}, organ {organ_ok / max(answered, 1):.3f}")
    print(f"speed: {1000 * elapsed / len(records):.2f} ms per report")

    for record, chosen, findings in misses[: args.misses]:
        support: dict[str, float] = defaultdict(float)
        for f in findings:
            if f.kind is FindingKind.CANCER_TYPE:
                # the code, marked "~" where the assertion module set the finding aside
                support[f.value + ("" if f.assertion is Assertion.PRESENT else "~")] += f.confidence
        ranked = sorted(support.items(), key=lambda item: -item[1])[:6]
        print(
            "\n---",
            record["id"],
            record["labels"].get("tcga_project"),
            "->",
            chosen.value if chosen else None,
            [(c, round(s, 2)) for c, s in ranked],
        )
        print(record["text"][:700])


if __name__ == "__main__":
    main()
