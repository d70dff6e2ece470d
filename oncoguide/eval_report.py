"""The evaluation's tables for people: per field, then per TCGA project."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from oncoguide.evaluation import FIELDS, Scores

_COLUMNS = ("labeled", "answered", "correct", "coverage", "precision", "accuracy")


def print_scores(scores: Scores, console: Console) -> None:
    data = scores.as_dict()
    table = Table(title=f"{data['dataset']}: {data['records']} records")
    table.add_column("field")
    for column in _COLUMNS:
        table.add_column(column, justify="right")
    for name, tally in data["fields"].items():
        table.add_row(name, *(_cell(tally[column]) for column in _COLUMNS))
    console.print(table)

    by_project = Table(title="accuracy (labeled) by TCGA project")
    by_project.add_column("project")
    shown = [name for name in FIELDS if name in data["fields"]]
    for name in shown:
        by_project.add_column(name, justify="right")
    for project, tallies in data["by_project"].items():
        row = [
            f"{tallies[n]['accuracy']:.2f} ({tallies[n]['labeled']})" if n in tallies else "" for n in shown
        ]
        by_project.add_row(project, *row)
    console.print(by_project)


def _cell(value: float | int) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
