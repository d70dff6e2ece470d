"""Assertion traps: each sentence marks its target [[like this]] and states the expected status.

Hand-written sentences in the project's own words, phrased the way pathology reports and oncology notes
phrase things; then real sentences searched in the dev set at test time (never copied here).
"""

from __future__ import annotations

import re
import time
import warnings
from typing import Any

import pytest

from extractors.nlp import assertion, assign_assertions
from oncoguide.domain import Assertion

P, N, POS, HYP, HIS, FAM = (
    Assertion.PRESENT,
    Assertion.NEGATED,
    Assertion.POSSIBLE,
    Assertion.HYPOTHETICAL,
    Assertion.HISTORICAL,
    Assertion.FAMILY,
)

TRAPS: list[tuple[str, Assertion]] = [
    # --- present: diagnoses, findings, look-alikes of cues ---
    ("Right upper lobe, wedge resection: invasive [[adenocarcinoma]], acinar predominant.", P),
    ("Findings consistent with metastatic [[adenocarcinoma]] of lung origin.", P),
    ("The tumor is consistent with [[squamous cell carcinoma]].", P),
    ("[[Invasive ductal carcinoma]], Nottingham grade 2, measuring 1.8 cm.", P),
    ("Axial [[T2]]-weighted images show a 2 cm mass in the left lobe.", P),
    ("Adenocarcinoma, not otherwise specified, involving [[bronchial mucosa]].", P),
    ("[[Adenocarcinoma]], not otherwise specified.", P),
    ("Triple negative [[breast cancer]], diagnosed on core biopsy.", P),
    ("[[Lymphovascular invasion]] is present.", P),
    ("[[Perineural invasion]]: present.", P),
    ("Metastatic carcinoma in [[3/14]] lymph nodes.", P),
    ("Pathologic stage: [[pT2a]] pN1.", P),
    ("Tumor size: 2.2 cm. [[Margins]] are involved by carcinoma.", P),
    ("The carcinoma invades through the muscularis propria into [[pericolorectal fat]].", P),
    ("[[HER2]] (ERBB2) amplified by FISH, ratio 4.1.", P),
    ("EGFR exon 19 deletion [[detected]] by next-generation sequencing.", P),
    ("[[PD-L1]] tumor proportion score 80%.", P),
    ("Microsatellite instability: [[MSI-H]].", P),
    ("Patient started [[osimertinib]] 80 mg daily last week.", P),
    ("She is currently receiving [[carboplatin]] and pemetrexed, cycle 3.", P),
    ("Specimen No. 2 shows [[adenocarcinoma]].", P),
    ("Seminal vesicles are benign; [[carcinoma]] involves the right lobe.", P),
    ("No perineural invasion. [[Carcinoma]] extends to the inked margin.", P),
    ("There is no lymphovascular invasion; however, [[perineural invasion]] is present.", P),
    ("Although no nodal disease is seen, [[distant metastasis]] to liver is confirmed.", P),
    ("Tumor shows no necrosis but [[angiolymphatic invasion]] is identified.", P),
    ("Gleason score 3+4=7, [[prostatic adenocarcinoma]] in both lobes.", P),
    ("Clinical history: 65 year old with [[lung mass]].", P),
    ("HISTORY: 58-year-old woman with a [[breast mass]] on mammogram.", P),
    ("Prior to surgery the patient had a [[pulmonary nodule]] on CT.", P),
    ("Frozen section: [[carcinoma]], final on permanents.", P),
    ("Tumor cells are positive for [[TTF-1]] and napsin A.", P),
    ("Immunostains: tumor cells positive for [[CK7]], negative for CK20.", P),
    ("ER positive (90%), [[PR]] positive (40%), HER2 negative.", P),
    ("The invasive tumor cells are positive for [[estrogen receptor]] (H-score 240), as per previous.", P),
    ("Residual [[invasive carcinoma]] measures 1.1 cm after neoadjuvant therapy.", P),
    ("s/p right upper lobectomy for [[adenocarcinoma]] of the lung.", P),
    ("Status post mastectomy for [[invasive lobular carcinoma]].", P),
    ("ONCOLOGIC HISTORY: Diagnosed in March with stage IIIA [[lung adenocarcinoma]].", P),
    ("The patient presents with newly diagnosed [[colon cancer]].", P),
    ("Not only the [[lymph node]] but also the capsule is involved.", P),
    ("No change in the size of the [[liver metastasis]] since last scan.", P),
    ("There is a 3 cm [[mass]] in the right lower lobe.", P),
    ("Extranodal extension: [[present]].", P),
    ("Depth of invasion: 12 mm; [[tumor]] invades the outer half of the myometrium.", P),
    ("Diagnosis: [[melanoma]], superficial spreading type, Breslow 1.2 mm.", P),
    # --- negated ---
    ("Lymph nodes: negative for [[metastatic carcinoma]] (0/14).", N),
    ("Six lymph nodes, negative for [[malignancy]].", N),
    ("The tumor is negative for [[CK20]].", N),
    ("Tumor cells are negative for [[CDX2]] and positive for CK7.", N),
    ("No evidence of [[malignancy]].", N),
    ("NO EVIDENCE OF [[NEOPLASIA]] IN FOUR LYMPH NODES.", N),
    ("The carcinoma is confined to the gland and shows no evidence of. [[EXTRACAPSULAR EXTENSION]].", N),
    ("All surgical margins are free of [[tumor]].", N),
    ("Resection margins free of [[carcinoma]].", N),
    ("Bronchial margin uninvolved by [[carcinoma]].", N),
    ("Two lymph nodes uninvolved by [[tumor]] (0/2).", N),
    ("Metastatic [[carcinoma]] in 0/14 lymph nodes.", N),
    ("Lymph nodes: 0/12 involved by [[metastatic tumor]].", N),
    ("Zero of twelve nodes; [[metastasis]] not identified.", N),
    ("[[Lymphovascular invasion]]: not identified.", N),
    ("[[Perineural invasion]] is not identified.", N),
    ("[[Vascular invasion]]: No. Bile duct invasion: No.", N),
    ("[[Angiolymphatic invasion]] not seen.", N),
    ("[[Residual carcinoma]] not identified after therapy.", N),
    ("EGFR [[mutation]] not detected.", N),
    ("[[ALK rearrangement]]: not detected by FISH.", N),
    ("[[KRAS]] wild-type.", N),
    ("[[BRAF]]: wild type.", N),
    ("[[ROS1]] fusion was negative.", N),
    ("[[Lymph node metastasis]] is absent.", N),
    ("No [[lymphovascular invasion]].", N),
    ("No [[perineural invasion]] is identified.", N),
    ("Without [[extraprostatic extension]].", N),
    ("Tumor confined to the organ, with no [[capsular invasion]].", N),
    ("Absence of [[distant metastasis]] on staging CT.", N),
    ("The patient denies [[weight loss]].", N),
    ("Pulmonary embolism has been ruled out; no [[pleural effusion]].", N),
    ("No [[residual tumor]] (ypT0).", N),
    ("Margins: negative for [[invasive carcinoma]] and DCIS.", N),
    ("Lymph nodes were negative for [[tumor]].", N),
    ("[[Carcinoma]] is not present in the sampled seminal vesicles.", N),
    ("The sentinel lymph node is negative for [[metastatic disease]].", N),
    ("Skin and nipple free of [[tumor]].", N),
    ("No [[tumor]] seen in the appendix.", N),
    ("There is no [[high grade dysplasia]] or invasive carcinoma.", N),
    ("Microsatellite instability: no [[loss]] of MLH1 expression.", N),
    ("Neither [[necrosis]] nor mitoses are seen.", N),
    ("Pleura is free from [[tumor]].", N),
    ("Distant metastasis: none; [[liver lesions]] absent.", N),
    ("Biopsy findings are not consistent with [[lymphoma]].", N),
    ("No history of [[tobacco use]].", N),
    ("Tumor is wild-type for [[IDH1]].", N),
    ("[[Extranodal extension]]: not identified.", N),
    ("No definite [[invasion]] identified.", N),
    ("Mismatch repair proteins: no [[loss of expression]].", N),
    # --- possible ---
    ("[[Lymphoma]] cannot be excluded.", POS),
    ("Involvement by [[carcinoma]] cannot be entirely excluded.", POS),
    ("A [[metastasis]] cannot be ruled out on this limited sample.", POS),
    ("Atypical glands, suspicious for [[adenocarcinoma]].", POS),
    ("Findings are suggestive of [[metastatic disease]].", POS),
    ("Lesion concerning for [[recurrence]].", POS),
    ("Possible [[invasion]] of the visceral pleura.", POS),
    ("Probable [[lymph node involvement]] on PET.", POS),
    ("Likely [[metastatic melanoma]].", POS),
    ("Features worrisome for [[malignancy]].", POS),
    ("Suspected [[bone metastases]].", POS),
    ("The morphology may represent [[a neuroendocrine tumor]].", POS),
    ("Favor [[squamous cell carcinoma]] over adenocarcinoma.", POS),
    ("Questionable [[nodal disease]] in the mediastinum.", POS),
    ("Cannot exclude [[lymphovascular invasion]].", POS),
    ("Mass suspicious for [[primary lung carcinoma]].", POS),
    ("CT shows a nodule, possibly [[metastatic]].", POS),
    ("Differential diagnosis includes [[mesothelioma]].", POS),
    ("The lymphocytic infiltrate may be indicative of a [[microsatellite unstable]] carcinoma.", POS),
    ("Poor differentiation may. be indicators of a [[microsatellite unstable]] tumour.", POS),  # OCR break
    # --- hypothetical: pending, planned, conditional, question asked ---
    ("[[ALK]] FISH pending.", HYP),
    ("[[EGFR]] testing is pending.", HYP),
    ("Results of [[PD-L1]] staining are pending.", HYP),
    ("Pending [[KRAS]] results.", HYP),
    ("[[HER2]] FISH will be sent and reported in an addendum.", HYP),
    ("Tissue will be sent for [[next-generation sequencing]].", HYP),
    ("Block A3 has been sent for [[MSI]] testing.", HYP),
    ("If [[HER2]] positive, trastuzumab will be added.", HYP),
    ("If [[ER]] is positive, endocrine therapy is advised.", HYP),
    ("ER, PR and [[HER2]] studies are pending and will be reported in an addendum.", HYP),
    ("Estrogen and progesterone receptor analysis and [[HER2]] have been ordered.", HYP),
    ("Tissue sent for [[ER]]/PR study.", HYP),
    ("If PD-L1 is high, consider [[pembrolizumab]].", HYP),
    ("Will consider [[adjuvant chemotherapy]] after recovery.", HYP),
    ("Consider [[chemotherapy]] if nodes are positive.", HYP),
    ("[[Radiation therapy]] to be considered.", HYP),
    ("[[Adjuvant radiation]] may be considered.", HYP),
    ("Rule out [[metastasis]].", HYP),
    ("Lung mass, r/o [[malignancy]].", HYP),
    ("Plan to start [[FOLFOX]] next week.", HYP),
    ("[[Lobectomy]] is planned for next month.", HYP),
    ("She is scheduled for [[mastectomy]] on Monday.", HYP),
    ("Patient is a candidate for [[immunotherapy]].", HYP),
    ("Recommend [[genetic counseling]] and germline testing.", HYP),
    ("[[Adjuvant chemotherapy]] is recommended.", HYP),
    ("Will start [[letrozole]] after radiation.", HYP),
    ("Discussed [[clinical trial]] options with the patient.", HYP),
    ("[[Mismatch repair]] immunostains will be performed and reported separately.", HYP),
    ("Molecular results to follow; [[BRAF]] status awaited.", HYP),
    ("Awaiting [[Oncotype DX]] recurrence score.", HYP),
    ("[[Foundation One]] testing has been ordered.", HYP),
    ("Should the [[margin]] be positive, re-excision is advised.", HYP),
    ("Evaluate for [[brain metastases]] with MRI.", HYP),
    ("[[Osimertinib]] would be an option if EGFR is mutated.", HYP),
    # --- historical ---
    ("History of [[breast cancer]] treated with lumpectomy in 2010.", HIS),
    ("The patient has a history of [[melanoma]] of the back.", HIS),
    ("Remote history of [[prostate cancer]].", HIS),
    ("Hx of [[colon cancer]].", HIS),
    ("H/o [[thyroid carcinoma]].", HIS),
    ("Prior [[lobectomy]] for lung cancer.", HIS),
    ("Previous [[radiation]] to the chest wall.", HIS),
    ("She was previously treated with [[cisplatin]].", HIS),
    ("s/p [[right hemicolectomy]] in 2019.", HIS),
    ("Status post [[whole brain radiation]].", HIS),
    ("Completed six cycles of [[FOLFOX]] in June.", HIS),
    ("Past medical history: [[hypertension]], diabetes.", HIS),
    ("Prior [[breast carcinoma]], now with a new lung mass.", HIS),
    ("History of right breast cancer ([[ER]] positive) treated in 2005.", HIS),
    ("History of a prostate biopsy, which revealed [[adenocarcinoma]].", P),
    # --- family ---
    ("Mother had [[breast cancer]] at age 45.", FAM),
    ("Her sister was diagnosed with [[ovarian cancer]].", FAM),
    ("[[Colon cancer]] in her father at 60.", FAM),
    ("Family history of [[pancreatic cancer]].", FAM),
    ("No family history of [[colon cancer]].", FAM),
    ("Maternal aunt with [[ovarian cancer]].", FAM),
    ("Brother died of [[lung cancer]].", FAM),
    ("Her daughter carries a [[BRCA1]] mutation.", FAM),
    ("Her mother had [[ER]]-positive breast cancer.", FAM),
    ("FAMILY HISTORY: [[Prostate cancer]] (father).", FAM),
    ("FAMILY HISTORY:\nDiabetes and [[stomach cancer]] in grandparents.", FAM),
]


def _parse(marked: str) -> tuple[str, tuple[int, int]]:
    match = re.search(r"\[\[(.+?)\]\]", marked)
    assert match is not None, marked
    text = marked[: match.start()] + match.group(1) + marked[match.end() :]
    return text, (match.start(), match.start() + len(match.group(1)))


@pytest.mark.parametrize(("marked", "expected"), TRAPS, ids=[marked for marked, _ in TRAPS])
def test_trap(marked: str, expected: Assertion) -> None:
    text, span = _parse(marked)
    assert assign_assertions(text, [span]) == [expected]


def test_many_traps() -> None:
    assert len(TRAPS) >= 150


def test_spans_of_one_page_keep_their_order_and_their_own_sentence() -> None:
    text = (
        "DIAGNOSIS: Invasive adenocarcinoma of the lung. Lymph nodes negative for metastatic carcinoma. "
        "EGFR testing pending. History of breast cancer."
    )
    spans = [
        (m.start(), m.end())
        for m in re.finditer(r"breast cancer|adenocarcinoma|metastatic carcinoma|EGFR", text)
    ]
    assert assign_assertions(text, spans) == [P, N, HYP, HIS]
    assert assign_assertions(text, list(reversed(spans))) == [HIS, HYP, N, P]


def test_the_same_span_twice_and_degenerate_spans() -> None:
    text = "No evidence of carcinoma."
    span = (15, 24)
    assert assign_assertions(text, [span, span, (0, 0), (30, 40)]) == [N, N, P, P]
    assert assign_assertions(text, []) == []


def test_precedence_family_beats_negation_and_negation_beats_hypothetical() -> None:
    text, span = _parse("Her mother had no [[breast cancer]].")
    assert assign_assertions(text, [span]) == [FAM]
    text, span = _parse("If no [[residual tumor]] is found, observe.")
    assert assign_assertions(text, [span]) == [N]


def test_family_history_section_is_bounded_by_the_next_header() -> None:
    text = (
        "FAMILY HISTORY: Mother with breast cancer.\n"
        "DIAGNOSIS: Left breast, excision: invasive ductal carcinoma.\n"
        "Axillary lymph nodes: negative for lymph node metastasis.\n"
        "PLAN: Consider chemotherapy."
    )
    spans = [
        (m.start(), m.end())
        for m in re.finditer(r"breast cancer|ductal carcinoma|lymph node metastasis|chemotherapy", text)
    ]
    assert assign_assertions(text, spans) == [FAM, P, N, HYP]


def test_family_history_section_with_a_missed_header_does_not_swallow_the_report() -> None:
    # "PATHOLOGY FINDINGS" is no listed header: the blank line and the length bound end the section.
    text = (
        "FAMILY HISTORY: Sister with ovarian cancer.\n\n"
        "Pathology findings\nThe right lung mass shows adenocarcinoma. The lymph nodes are negative for "
        "lymph node metastasis. We will consider chemotherapy."
    )
    spans = [
        (m.start(), m.end())
        for m in re.finditer(r"ovarian cancer|adenocarcinoma|lymph node metastasis|chemotherapy", text)
    ]
    assert assign_assertions(text, spans) == [FAM, P, N, HYP]


# --- real sentences from the dev set, searched at test time -------------------------------------

_CANCER = r"(carcinoma|adenocarcinoma|metastasis|melanoma|lymphoma|sarcoma|neoplasm|tumor|malignancy)"
DEV_TRAPS: list[tuple[str, str, Assertion]] = [
    # (regex with one group: the target, a name, the expected status)
    (r"(?i)\bnegative for (?:metastatic )?(carcinoma|malignancy|tumor|neoplasm)", "negative for", N),
    (r"(?i)\bno evidence of (?:metastatic )?(carcinoma|malignancy|tumor|neoplasia)", "no evidence of", N),
    (r"(?i)\bfree of (?:invasive )?(carcinoma|tumor|neoplasia)", "free of", N),
    (r"(?i)\b(tumor)-free\b", "tumor-free", N),
    (r"(?i)-no (carcinoma|tumor|malignancy) (?:is )?seen", "-No ... seen", N),
    (
        r"(?i)\b((?:lymphovascular|angiolymphatic|perineural) invasion)[: ]+(?:is )?not identified",
        "not identified",
        N,
    ),
    (
        r"(?i)\b(?:suspicious|suggestive|worrisome|concerning) (?:for|of) (?:an? )?(?:[\w-]+ ){0,3}?"
        + _CANCER,
        "suspicious for",
        POS,
    ),
    (r"(?i)\bconsistent with (?:an? )?(?:[\w-]+ ){0,3}?" + _CANCER, "consistent with", P),
    (r"(?i)\bhistory of (?:\w+ ){0,2}?(cancer|carcinoma)", "history of", HIS),
    (
        r"(?:^|\. )(?:Invasive|INVASIVE) (?:ductal|DUCTAL) (carcinoma|CARCINOMA)",
        "invasive ductal carcinoma",
        P,
    ),
]


@pytest.mark.parametrize(("pattern", "name", "expected"), DEV_TRAPS, ids=[name for _, name, _ in DEV_TRAPS])
def test_dev_set_phrasing(devset: list[dict[str, Any]], pattern: str, name: str, expected: Assertion) -> None:
    regex = re.compile(pattern)
    hits = wrong = 0
    for record in devset:
        text = record["text"]
        spans = [match.span(1) for match in regex.finditer(text)]
        if not spans:
            continue
        got = assign_assertions(text, spans)
        hits += len(spans)
        wrong += sum(status is not expected for status in got)
    assert hits >= 5, f"too few dev-set sentences for {name!r}"
    # A few hits are rightly something else: "no nodes suspicious for tumor" is a negation.
    assert wrong / hits <= 0.1, f"{name!r}: {wrong}/{hits} not {expected}"


def test_speed_on_dev_set_pages(devset: list[dict[str, Any]]) -> None:
    """About ten spans a page stay well under the ~5 ms share of the 20 ms page budget."""
    target = re.compile(r"carcinoma|metasta\w+|lymph nodes?|invasion|margins?|tumou?r", re.IGNORECASE)
    pages = [(r["text"], [m.span() for m in target.finditer(r["text"])][:10]) for r in devset[:100]]
    assign_assertions(*pages[0])  # load the pipeline outside the clock
    start = time.perf_counter()
    for text, spans in pages:
        assign_assertions(text, spans)
    per_page_ms = (time.perf_counter() - start) / len(pages) * 1000
    assert per_page_ms < 10, f"{per_page_ms:.1f} ms per page"


@pytest.mark.devset
def test_filling_the_tokenizer_cache_changes_no_token(
    devset: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make_doc` caches each chunk new to the tokenizer before tokenizing and starts afresh past a
    limit: the tokens are those of a tokenizer of its own, which caches next to nothing."""
    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # a regex warning inside scispaCy's tokenizer
        own = combined_rule_tokenizer(spacy.blank("en"))
    texts = [record["text"] for record in devset[:200]]
    limit = 3_000
    assert len({chunk for text in texts for chunk in text.split()}) > 4 * limit  # it starts afresh
    monkeypatch.setattr(assertion, "_PRIMED_LIMIT", limit)
    for text in texts:
        expected = [(t.text, t.idx, t.whitespace_, t.norm_) for t in own(text)]
        assert [(t.text, t.idx, t.whitespace_, t.norm_) for t in assertion.make_doc(text)] == expected
        assert len(assertion._PRIMED) <= limit
