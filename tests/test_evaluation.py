"""Scoring follows shared/data/README.md: main categories, X not scored, receptors only where mentioned."""

from __future__ import annotations

import pytest

from oncoguide.evaluation import expected_value, main_category, score


@pytest.mark.parametrize(
    ("field", "value", "main"),
    [
        ("t", "pT2a", "T2"),
        ("t", "ypT1c", "T1"),
        ("t", "Tis", "Tis"),
        ("n", "N1mi", "N1"),
        ("m", "M1c", "M1"),
        ("stage_group", "IVB", "IV"),
        ("stage_group", "Stage IIIA", "III"),
        ("stage_group", "0", "0"),
        ("t", "weighted", None),
        ("t", None, None),
    ],
)
def test_main_category(field: str, value: str | None, main: str | None) -> None:
    assert main_category(field, value) == main


def _record(text: str = "", **labels: object) -> dict:
    return {"id": "r1", "text": text, "labels": {"tcga_project": "BRCA", **labels}}


def test_x_labels_and_unmentioned_receptors_are_not_scored() -> None:
    assert expected_value("t", _record(t="TX")) is None
    assert expected_value("er", _record("no receptor words here", er="positive")) is None
    assert expected_value("er", _record("Estrogen receptor: positive", er="positive")) == "positive"
    assert expected_value("her2", _record("HER-2/neu 1+", her2="negative")) == "negative"


def test_score_counts_coverage_precision_accuracy() -> None:
    records = [
        {
            "id": "a",
            "text": "",
            "labels": {"tcga_project": "LUAD", "cancer_type_accept": ["LUAD"], "t": "T2"},
        },
        {
            "id": "b",
            "text": "",
            "labels": {"tcga_project": "LUAD", "cancer_type_accept": ["LUAD"], "t": "T3"},
        },
        {
            "id": "c",
            "text": "",
            "labels": {"tcga_project": "LUSC", "cancer_type_accept": ["LUSC"], "t": "T1"},
        },
    ]
    predictions = {"a": {"cancer_type": "LUAD", "t": "T2"}, "b": {"cancer_type": "LUSC", "t": "T2"}, "c": {}}
    scores = score("x.jsonl", records, predictions).as_dict()
    assert scores["fields"]["t"] == {
        "labeled": 3,
        "answered": 2,
        "correct": 1,
        "coverage": 0.667,
        "precision": 0.5,
        "accuracy": 0.333,
    }
    assert scores["fields"]["cancer_type"]["correct"] == 1
    assert scores["by_project"]["LUSC"]["t"]["answered"] == 0
    assert "organ" not in scores["fields"]  # nothing labeled: left out
