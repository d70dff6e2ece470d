"""`oncoguide kb grade`: the reading level of each example patient's guidance and of the knowledge base."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from test_knowledge import breast, lung

from knowledge.engine import build_guidance
from knowledge.lint import MAX_GRADE, guidance_grades, patient_text, reading_grade
from knowledge.rules import KB_DIR, load_kb
from oncoguide.paths import EXAMPLES

CLI = [sys.executable, "-m", "oncoguide", "kb", "grade"]
LINE = re.compile(r"^(.+): (\d+) statements, mean (\d+\.\d), max (\d+\.\d) \((.+)\)$", re.M)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_record_quotes_are_left_out_of_the_measure() -> None:
    kb = load_kb()
    quote = "Histologic grade: moderately differentiated adenocarcinoma, pathologic stage pT2aN2M1c"
    text = f"Your records give stage IVB. “{quote}”, says your pathology report of 3 March 2025, page 2."
    assert patient_text(text, kb) == "Your records give stage IVB."
    assert reading_grade(patient_text(text, kb)) < reading_grade(text)


def test_guidance_of_hand_built_profiles_reads_at_grade_8_or_below() -> None:
    kb = load_kb()
    for make in (lung, breast):
        grades = guidance_grades(build_guidance(make()), kb)
        assert grades and max(grade for _, grade in grades) <= MAX_GRADE


def test_command_prints_mean_and_max_per_example_patient_and_for_the_kb() -> None:
    result = run()
    assert result.returncode == 0, result.stderr
    rows = {m.group(1): m.groups()[1:] for m in LINE.finditer(result.stdout)}
    patients = sorted(p.parent.name for p in EXAMPLES.glob("*/expected.json"))
    assert {f"patient {name}" for name in patients} <= set(rows)
    assert {"knowledge base statements", "ask passages"} <= set(rows)
    for count, average, worst, _ in rows.values():
        assert int(count) > 0 and float(average) <= float(worst) <= MAX_GRADE


def test_command_fails_on_a_statement_above_grade_8(tmp_path: Path) -> None:
    directory = tmp_path / "kb"
    shutil.copytree(KB_DIR, directory)
    path = directory / "rules" / "glossary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"][0]["statements"][0]["text"] = (
        "Oncologist: a physician specialising in the multidisciplinary management of malignant neoplastic "
        "disease, including chemotherapeutic, immunotherapeutic and radiotherapeutic interventions."
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    empty = tmp_path / "no-patients"
    empty.mkdir()
    result = run("--examples", empty, "--kb", directory)
    assert result.returncode == 1
    assert "\npatient " not in result.stdout
    assert "knowledge base statements: glossary.oncologist reads at grade" in result.stderr
