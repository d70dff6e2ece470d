"""The `oncoguide` command as a user runs it: real files, a real process, exit codes and outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fpdf import FPDF

from oncoguide.paths import EXAMPLES

CLI = [sys.executable, "-m", "oncoguide"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)


def _text_pdf(path: Path, text: str, *, password: str | None = None) -> Path:
    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password=password, user_password=password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def lung_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("lung")
    return run("analyze", *sorted((EXAMPLES / "lung").glob("*.pdf")), "--out", out), out


def test_analyze_writes_json_markdown_and_html(lung_run) -> None:
    result, out = lung_run
    assert result.returncode == 0, result.stderr
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["schema_version"] == "1"
    assert analysis["profile"]["cancer_type"]["value"] == "LUAD"
    assert (out / "guidance.md").read_text().count("not medical advice") >= 2
    assert "<html" in (out / "guidance.html").read_text()
    assert "LUAD" in result.stdout or "adenocarcinoma" in result.stdout.lower()


def test_explain_prints_the_trace_of_every_statement(lung_run) -> None:
    _, out = lung_run
    result = run("explain", out / "analysis.json")
    assert result.returncode == 0, result.stderr
    analysis = json.loads((out / "analysis.json").read_text())
    rule_ids = {s["rule_id"] for section in analysis["guidance"]["sections"] for s in section["statements"]}
    assert rule_ids
    assert all(rule_id in result.stdout for rule_id in rule_ids)


def test_format_option_limits_the_outputs(tmp_path: Path) -> None:
    record = tmp_path / "note.txt"
    record.write_text("FINAL DIAGNOSIS: Invasive ductal carcinoma of the left breast, pT2 pN0.\n")
    result = run("analyze", record, "--out", tmp_path / "out", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["analysis.json"]


def _bad_files(folder: Path) -> dict[str, Path]:
    good = _text_pdf(folder / "good.pdf", "Pathology report. Adenocarcinoma of the lung.")
    truncated = folder / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    renamed = folder / "renamed.pdf"
    renamed.write_text("This is a plain text note, not a PDF.\n")
    empty = folder / "empty.pdf"
    empty.write_bytes(b"")
    encrypted = _text_pdf(folder / "encrypted.pdf", "Secret report.", password="pw")
    return {"corrupt_pdf": truncated, "not_a_pdf": renamed, "empty_file": empty, "encrypted_pdf": encrypted}


@pytest.mark.parametrize("case", ["corrupt_pdf", "not_a_pdf", "empty_file", "encrypted_pdf"])
def test_a_bad_file_gives_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    bad = _bad_files(tmp_path)[case]
    result = run("analyze", bad, "--out", tmp_path / "out")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert bad.name in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_good_files_are_kept_when_another_is_rejected(tmp_path: Path) -> None:
    files = _bad_files(tmp_path)
    result = run("analyze", tmp_path / "good.pdf", files["empty_file"], "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "empty.pdf" in result.stderr
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert [d["filename"] for d in analysis["documents"]] == ["good.pdf"]


def test_records_of_two_patients_are_refused(tmp_path: Path) -> None:
    first = tmp_path / "a.txt"
    first.write_text("MRN: 4471092\nFINAL DIAGNOSIS: adenocarcinoma of the lung\n")
    second = tmp_path / "b.txt"
    second.write_text("MRN: 9912345\nFINAL DIAGNOSIS: invasive ductal carcinoma of the breast\n")
    result = run("analyze", first, second, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "2 different patients" in result.stderr
    assert "4471092" not in result.stderr  # identifiers are not echoed


@pytest.mark.devset
def test_eval_prints_json_predictions_and_errors(devset, tmp_path: Path) -> None:
    subset = tmp_path / "subset.jsonl"
    subset.write_text("".join(json.dumps(record) + "\n" for record in devset[:40]))
    predictions, errors = tmp_path / "pred.jsonl", tmp_path / "err.jsonl"
    result = run("eval", subset, "--json", "--predictions", predictions, "--errors", errors)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["records"] == 40
    assert scores["fields"]["cancer_type"]["labeled"] == 40
    assert set(scores["fields"]["t"]) == {
        "labeled",
        "answered",
        "correct",
        "coverage",
        "precision",
        "accuracy",
    }
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(rows) == 40
    assert set(rows[0]) == {"id", "cancer_type", "organ", "t", "n", "m", "stage_group", "er", "pr", "her2"}
    wrong = [json.loads(line) for line in errors.read_text().splitlines()]
    assert all(row["predicted"] is not None and row["expected"] for row in wrong)


@pytest.mark.devset
def test_eval_table_for_people(devset, tmp_path: Path) -> None:
    subset = tmp_path / "subset.jsonl"
    subset.write_text("".join(json.dumps(record) + "\n" for record in devset[:10]))
    result = run("eval", subset)
    assert result.returncode == 0, result.stderr
    for heading in ("field", "coverage", "precision", "accuracy", "cancer_type", "by TCGA project"):
        assert heading in result.stdout


def test_eval_on_a_missing_dataset_is_one_line(tmp_path: Path) -> None:
    result = run("eval", tmp_path / "missing.jsonl")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
