"""`oncoguide ask`: common questions of patients get the right cited passage; the rest are declined."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.ask import answer, rank, render_answer, tokens
from knowledge.lint import MAX_GRADE, check_kb, passage_grades
from knowledge.rules import KB_DIR, load_kb

# Common questions, worded as people ask them (not copied from the passages), and the passage each
# must get. A wrong passage is as bad as none: the test names the one that is right for the question.
QUESTIONS = [
    (
        "What is the difference between stage IV lung cancer and metastatic lung cancer?",
        "staging.stage_iv_metastatic",
    ),
    ("What does HER2-low mean?", "biomarkers.her2_low"),
    ("What is a biomarker?", "biomarkers.what_is_a_biomarker"),
    ("What is palliative care?", "care.palliative_care"),
    ("How do I find a clinical trial?", "care.find_a_trial"),
    ("What does PD-L1 mean?", "biomarkers.pdl1"),
    ("What is KRAS G12C?", "biomarkers.kras_g12c"),
    ("What is the difference between grade and stage?", "staging.grade_vs_stage"),
    ("What does TNM mean?", "staging.tnm"),
    ("my cancer has metastasized, what does that mean", "staging.stage_iv_metastatic"),
    ("My report says pT2 N0 M0. What do these letters stand for?", "staging.tnm"),
    ("If lung cancer spreads to the liver, do I now have liver cancer?", "staging.keeps_its_name"),
    ("Where does colon cancer usually spread to?", "staging.where_it_spreads"),
    ("How are blood cancers like leukemia staged?", "staging.other_systems"),
    ("What does stage IIIB mean?", "staging.substages"),
    ("Is stage 0 breast cancer really cancer?", "staging.stage_zero_to_three"),
    ("What happens if my cancer comes back?", "staging.recurrence"),
    ("What is a remission?", "staging.remission"),
    ("How is biomarker testing done on my tumour?", "biomarkers.testing"),
    ("Can a blood test be used instead of a biopsy to find mutations?", "biomarkers.liquid_biopsy"),
    ("Is my BRCA mutation something I inherited from my parents?", "biomarkers.germline_vs_tumor"),
    ("My genetic report lists a VUS. What is that?", "biomarkers.vus"),
    ("My colon cancer is RAS wild-type. What does that mean?", "biomarkers.wild_type"),
    ("What does MSI-H mean?", "biomarkers.msi_dmmr"),
    ("What is TMB?", "biomarkers.tmb"),
    ("What does HER2 positive mean?", "biomarkers.her2"),
    ("What does it mean that my breast cancer is ER and PR positive?", "biomarkers.hormone_receptors"),
    ("What is triple negative breast cancer?", "biomarkers.triple_negative"),
    ("What is an EGFR exon 19 deletion?", "biomarkers.egfr"),
    ("My lung cancer has an ALK rearrangement. What is that?", "biomarkers.fusions"),
    ("What is a BRAF V600E mutation in melanoma?", "biomarkers.braf_v600"),
    ("What are PARP inhibitors used for with BRCA2?", "biomarkers.brca"),
    ("What is a PSMA PET scan?", "biomarkers.psma"),
    ("What is Ki-67?", "biomarkers.ki67"),
    ("What is targeted therapy?", "treatment.targeted_therapy"),
    ("How does immunotherapy work?", "treatment.immunotherapy"),
    ("What is chemo?", "treatment.chemotherapy"),
    ("What is hormone therapy for prostate cancer?", "treatment.hormone_therapy"),
    ("How does radiotherapy work?", "treatment.radiation"),
    ("What are clear margins after surgery?", "treatment.surgery"),
    ("Can my cancer be cured or only controlled?", "treatment.goals"),
    ("What side effects can treatment cause?", "treatment.side_effects"),
    ("Is it okay to get a second opinion?", "treatment.second_opinion"),
    ("What is the difference between hospice and palliative care?", "care.palliative_care"),
    ("What is hospice?", "care.hospice"),
    ("What is a clinical trial?", "care.clinical_trials"),
    ("Will I get a placebo if I join a study?", "care.clinical_trials"),
    ("Where can I get emotional support?", "care.coping"),
    ("Who can help me pay my medical bills?", "care.costs"),
    ("How do I read my pathology report?", "care.pathology_report"),
    ("What is an oncologist?", "care.oncologist"),
    ("What questions should I ask my oncologist?", "care.questions_to_ask"),
    ("What is cancer?", "cancers.what_is_cancer"),
    ("What is the difference between small cell and non-small cell lung cancer?", "cancers.nsclc_vs_sclc"),
    ("What is adenocarcinoma?", "cancers.adenocarcinoma"),
    ("Is rectal cancer treated differently from colon cancer?", "cancers.colorectal"),
    ("What is melanoma?", "cancers.melanoma"),
    ("What does castration-resistant prostate cancer mean?", "cancers.prostate_castration_resistant"),
    ("What is a ROS1 fusion?", "biomarkers.fusions"),
    ("What is an EGFR exon 20 insertion?", "biomarkers.egfr"),
    ("What is dMMR?", "biomarkers.msi_dmmr"),
    ("What is HER2-ultralow?", "biomarkers.her2_low"),
]

# Out of scope (not about cancer) or about one person's doses, choices or outlook: declined.
DECLINED = [
    "What's the weather like today?",
    "Give me a recipe for lasagna",
    "Should I take 80 mg of X?",
    "What is the capital of France?",
    "Who won the football game last night?",
    "How do I fix a flat tire on my bike?",
    "What is the stock price of Apple?",
    "Write me a poem about the sea",
    "How much ibuprofen should I take for a headache?",
    "How long do I have to live?",
    "Should I stop my chemotherapy?",
    "What are the survival rates for my cancer?",
    "Can you book me a flight to Denver?",
    "What is the best laptop to buy?",
]
PERSONAL = [
    "Should I take 80 mg of X?",
    "How much ibuprofen should I take for a headache?",
    "How long do I have to live?",
    "Should I stop my chemotherapy?",
    "What are the survival rates for my cancer?",
]


def test_the_lists_are_long_enough() -> None:
    assert len(QUESTIONS) >= 30 and len({q for q, _ in QUESTIONS}) == len(QUESTIONS)
    assert len(DECLINED) >= 8 and set(PERSONAL) <= set(DECLINED)


@pytest.mark.parametrize(("question", "passage_id"), QUESTIONS)
def test_common_question_gets_the_right_cited_passage(question: str, passage_id: str) -> None:
    result = answer(question)
    assert result.outcome == "answered", (question, rank(question)[:3])
    assert result.passage.id == passage_id, (question, rank(question)[:3])
    assert result.sources and all(source.url.startswith("https://") for source in result.sources)
    assert result.text == " ".join(result.passage.text.split())


@pytest.mark.parametrize("question", DECLINED)
def test_out_of_scope_question_is_declined_plainly(question: str) -> None:
    result = answer(question)
    assert result.passage is None and not result.sources
    assert result.outcome == ("personal" if question in PERSONAL else "no_match")
    config = load_kb().ask
    assert result.text == " ".join(config.personal_answer.split()) or result.text == config.no_answer
    assert "not medical advice" in render_answer(result)


def test_empty_or_stopword_only_question_is_declined() -> None:
    for question in ("", "?", "what is it?", "can you tell me"):
        assert answer(question).outcome == "no_match"


def test_every_passage_is_found_by_its_own_title() -> None:
    for passage in load_kb().passages:
        assert answer(passage.title).passage.id == passage.id, passage.title


def test_every_passage_is_cited_and_plain() -> None:
    kb = load_kb()
    assert len(kb.passages) >= 30
    for passage in kb.passages:
        assert passage.sources and all(s in kb.sources for s in passage.sources)
    assert max(grade for _, grade in passage_grades(kb)) <= MAX_GRADE


def test_tokens_keep_marker_names_and_fold_word_forms() -> None:
    config = load_kb().ask
    assert tokens("What does PD-L1 mean?", config) == ["pdl1", "pd", "l1"]
    assert tokens("pT2a N0 M1c", config) == ["t2a", "n0", "m1c"]
    assert tokens("stage, stages, staged, staging", config) == ["stag"] * 4
    assert tokens("stage IV tumours", config) == tokens("stage 4 tumor", config)
    assert tokens("controlled", config) == tokens("control", config)


def test_rendered_answer_cites_numbered_sources_and_says_it_is_not_advice() -> None:
    text = render_answer(answer("What does TNM mean?"))
    assert text.startswith("What TNM means")
    assert "[1] Cancer Staging (National Cancer Institute) https://www.cancer.gov/" in text
    assert "not medical advice" in text


def test_same_question_same_answer() -> None:
    first = answer("What is a biomarker?").as_dict()
    assert all(answer("What is a biomarker?").as_dict() == first for _ in range(3))


# --- the command ------------------------------------------------------------------------------

CLI = [sys.executable, "-m", "oncoguide", "ask"]


def test_cli_answers_with_citations() -> None:
    question = "What is the difference between stage IV lung cancer and metastatic lung cancer?"
    result = subprocess.run([*CLI, question], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Stage IV cancer and metastatic cancer mean the same thing." in result.stdout
    assert "https://www.cancer.gov/types/metastatic-cancer" in result.stdout


def test_cli_declines_with_exit_1_and_json() -> None:
    result = subprocess.run([*CLI, "Give me a recipe for lasagna", "--json"], capture_output=True, text=True)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["outcome"] == "no_match" and data["passage_id"] is None and data["sources"] == []


# --- the checker sees the passages -------------------------------------------------------------


def _broken_passage(tmp_path: Path, **changes: object) -> Path:
    directory = tmp_path / "kb"
    shutil.copytree(KB_DIR, directory)
    path = directory / "passages" / "staging.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["passages"][0].update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


BROKEN = {
    "no source": ({"sources": []}, "no source"),
    "unknown source": ({"sources": ["nccn.guideline"]}, "unknown source nccn.guideline"),
    "reading level": (
        {
            "text": "Notwithstanding considerable interindividual heterogeneity, multidisciplinary "
            "oncological consultation necessitates comprehensive histopathological characterisation."
        },
        "reads at US grade",
    ),
    "prescription": ({"text": "You should take the pill."}, "forbidden phrase"),
    "survival": ({"text": "Your life expectancy is short."}, "forbidden phrase"),
    "FDA fact without review date": ({"sources": ["fda.sotorasib.2021"]}, "without last_reviewed"),
    "withdrawn approval not said": (
        {"sources": ["fda.mobocertinib.2021"], "last_reviewed": "2026-11-24"},
        "without saying so",
    ),
    "unknown field": ({"answer": "x"}, "Extra inputs"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_kb_catches_each_passage_problem(tmp_path: Path, case: str) -> None:
    changes, expected = BROKEN[case]
    problems = check_kb(_broken_passage(tmp_path, **changes))
    assert any(expected in problem for problem in problems), problems


def test_check_kb_catches_a_bad_decline_pattern(tmp_path: Path) -> None:
    directory = tmp_path / "kb"
    shutil.copytree(KB_DIR, directory)
    path = directory / "ask.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["personal"].append("(unclosed")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("bad regular expression" in problem for problem in check_kb(directory))
