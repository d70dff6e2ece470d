"""Scoring of predicted fields against the labels of a dataset in the format of shared/data/README.md.

Pure: records and predictions in, metrics out. Running the pipeline to get the predictions is the
caller's job (`oncoguide.pipeline.predict_fields`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FIELDS: tuple[str, ...] = ("cancer_type", "organ", "t", "n", "m", "stage_group", "er", "pr", "her2")

# Receptor labels come from the registry and often describe tests the report never mentions; the
# protocol scores them only where the text names the marker.
_MARKER_MENTIONS = {
    "er": re.compile(r"\b(?:ER|estrogen|oestrogen)\b", re.IGNORECASE),
    "pr": re.compile(r"\b(?:PR|PgR|progesterone)\b", re.IGNORECASE),
    "her2": re.compile(r"her[\s-]?2|erbb2|\bneu\b|herceptest", re.IGNORECASE),
}
_MAIN_T = re.compile(r"^(T(?:is|[0-4X]))", re.IGNORECASE)
_MAIN_N = re.compile(r"^(N[0-3X])", re.IGNORECASE)
_MAIN_M = re.compile(r"^(M[01X])", re.IGNORECASE)
_MAIN_STAGE = re.compile(r"^(IV|III|II|I|0)")


def main_category(field_name: str, value: str | None) -> str | None:
    """The main-category form the labels use: T2 for pT2a, IV for IVB, M1 for M1c."""
    if value is None:
        return None
    value = value.strip()
    if field_name in ("t", "n", "m"):
        value = value.lstrip("cpyra")  # TNM prefixes
        pattern = {"t": _MAIN_T, "n": _MAIN_N, "m": _MAIN_M}[field_name]
        match = pattern.match(value)
        if not match:
            return None
        main = match.group(1)
        return "Tis" if main.lower() == "tis" else main.upper()
    if field_name == "stage_group":
        match = _MAIN_STAGE.match(value.upper().removeprefix("STAGE ").strip())
        return match.group(1) if match else None
    return value


def expected_value(field_name: str, record: Mapping[str, Any]) -> str | list[str] | None:
    """The scorable label of one field, or None where the record is not scored for it."""
    labels = record.get("labels", {})
    if field_name == "cancer_type":
        return labels.get("cancer_type_accept") or None
    if field_name == "organ":
        return labels.get("organ_accept") or None
    if field_name in ("t", "n", "m", "stage_group"):
        label = main_category(field_name, labels.get(field_name))
        return None if label is None or label.endswith("X") else label
    if field_name in _MARKER_MENTIONS:
        label = labels.get(field_name)
        if label is None or not _MARKER_MENTIONS[field_name].search(record.get("text", "")):
            return None
        return label
    raise ValueError(f"unknown field {field_name!r}")


def is_correct(expected: str | list[str], predicted: str) -> bool:
    return predicted in expected if isinstance(expected, list) else predicted == expected


@dataclass
class Tally:
    labeled: int = 0
    answered: int = 0
    correct: int = 0

    def add(self, expected: object, predicted: str | None, correct: bool) -> None:
        if expected is None:
            return
        self.labeled += 1
        if predicted is not None:
            self.answered += 1
            self.correct += correct

    def as_dict(self) -> dict[str, float | int]:
        return {
            "labeled": self.labeled,
            "answered": self.answered,
            "correct": self.correct,
            "coverage": _ratio(self.answered, self.labeled),
            "precision": _ratio(self.correct, self.answered),
            "accuracy": _ratio(self.correct, self.labeled),
        }


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 3) if denominator else 0.0


@dataclass
class Miss:
    """A record where an answer was given and was wrong, or a label went unanswered."""

    id: str
    project: str
    field: str
    expected: str | list[str]
    predicted: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tcga_project": self.project,
            "field": self.field,
            "expected": self.expected,
            "predicted": self.predicted,
        }


@dataclass
class Scores:
    dataset: str
    records: int = 0
    fields: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_project: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Tally))
    )
    wrong: list[Miss] = field(default_factory=list)
    unanswered: list[Miss] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "records": self.records,
            "fields": {name: self.fields[name].as_dict() for name in FIELDS if self.fields[name].labeled},
            "by_project": {
                project: {name: tallies[name].as_dict() for name in FIELDS if tallies[name].labeled}
                for project, tallies in sorted(self.by_project.items())
            },
        }


def score(
    dataset: str, records: Iterable[Mapping[str, Any]], predictions: Mapping[str, Mapping[str, str | None]]
) -> Scores:
    """Score `predictions` (record id -> field -> value in main-category form) against the labels."""
    scores = Scores(dataset=dataset)
    for record in records:
        scores.records += 1
        project = record.get("labels", {}).get("tcga_project", "?")
        predicted_fields = predictions.get(record["id"], {})
        for name in FIELDS:
            expected = expected_value(name, record)
            if expected is None:
                continue
            predicted = predicted_fields.get(name)
            correct = predicted is not None and is_correct(expected, predicted)
            scores.fields[name].add(expected, predicted, correct)
            scores.by_project[project][name].add(expected, predicted, correct)
            if not correct:
                miss = Miss(record["id"], project, name, expected, predicted)
                (scores.wrong if predicted is not None else scores.unanswered).append(miss)
    return scores
