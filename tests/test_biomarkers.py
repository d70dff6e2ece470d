"""Biomarker extraction: prose and table phrasing in the project's own words, traps, and the dev set."""

from __future__ import annotations

import re
from typing import Any

import pytest

from extractors import biomarkers
from extractors.base import PageText
from extractors.nlp import assign_assertions, sections
from oncoguide.domain import Assertion, BiomarkerResult, Finding
from oncoguide.evaluation import expected_value

POS, NEG, EQV, PEND = (
    BiomarkerResult.POSITIVE,
    BiomarkerResult.NEGATIVE,
    BiomarkerResult.EQUIVOCAL,
    BiomarkerResult.PENDING,
)


def facts(text: str, tables: list[list[list[str | None]]] | None = None) -> list[Finding]:
    """Findings as the pipeline keeps them: ConText applied, hypotheticals other than pending dropped."""
    page = PageText("doc", 1, text, tables or [])
    found = biomarkers.extract(page)
    for finding in found:
        quote = finding.evidence[0]
        assert text[quote.start : quote.end] == quote.quote
    spans = [(f.evidence[0].start, f.evidence[0].end) for f in found]
    kept = []
    for finding, assertion in zip(found, assign_assertions(text, spans) if spans else [], strict=True):
        assert finding.biomarker is not None
        if assertion is Assertion.HYPOTHETICAL and finding.biomarker.result is not PEND:
            continue
        if assertion in (Assertion.FAMILY, Assertion.POSSIBLE):
            continue
        kept.append(finding)
    return biomarkers.select_biomarkers(kept)


def one(text: str, marker: str) -> Any:
    found = [f.biomarker for f in facts(text) if f.biomarker and f.biomarker.marker == marker]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "marker", "result", "value", "unit"),
    [
        ("The tumour is ER positive (95%).", "ER", POS, 95, "%"),
        ("Estrogen receptor: positive, 90% strong nuclear staining.", "ER", POS, 90, "%"),
        ("Progesterone receptor negative (0%).", "PR", NEG, 0, "%"),
        ("PD-L1 22C3 TPS 60%.", "PD-L1", POS, 60, "TPS"),
        ("PD-L1 CPS 10 by IHC.", "PD-L1", POS, 10, "CPS"),
        ("TMB 8 mut/Mb, low.", "TMB", NEG, 8, "mut/Mb"),
        ("Tumor mutational burden 14 mutations/Mb.", "TMB", POS, 14, "mut/Mb"),
        ("Ki-67 index 20%.", "Ki-67", BiomarkerResult.MEASURED, 20, "%"),  # a measurement, not a result
        ("HER2 (ERBB2) amplified by FISH, ratio 4.1.", "HER2", POS, 4.1, "ratio"),
    ],
)
def test_values_and_results(text: str, marker: str, result: BiomarkerResult, value: float, unit: str) -> None:
    found = one(text, marker)
    assert (found.result, found.value, found.unit) == (result, value, unit)


def test_her2_low_is_negative_with_its_score() -> None:
    found = one("HER2 IHC 1+ (HER2-negative, HER2-low).", "HER2")
    assert (found.result, found.score, found.method) == (NEG, "1+", "IHC")


def test_equivocal_ihc_settled_by_fish() -> None:
    assert one("HER2/neu 2+ equivocal, FISH not amplified.", "HER2").result is NEG
    assert one("HER2 by IHC: 2+ (equivocal).", "HER2").result is EQV


def test_the_in_situ_result_is_final_and_keeps_the_ihc_score() -> None:
    # In one sentence, in two, and in two documents: the FISH result decides, the IHC 2+ stays beside it.
    found = one("HER2/neu: 2+ (equivocal). FISH ratio 1.3, not amplified.", "HER2")
    assert (found.result, found.method, found.score, found.value) == (NEG, "FISH", "2+", 1.3)
    assert one("HER2 IHC 2+ (equivocal); FISH amplified, ratio 3.2.", "HER2").method == "FISH"
    chosen = biomarkers.select_biomarkers(facts("HER2 by IHC: score 2+.") + facts("HER2 gene not amplified."))
    assert len(chosen) == 1 and len(chosen[0].evidence) == 2
    assert (chosen[0].biomarker.result, chosen[0].biomarker.score) == (NEG, "2+")
    assert chosen[0].display == "HER2: negative (IHC 2+ equivocal)"
    assert biomarkers.receptor_result(chosen, "HER2") is NEG


def test_microsatellite_and_mismatch_repair() -> None:
    assert one("MSI stable (MSS).", "MSI").score == "MSS"
    assert one("Result: MSI-H.", "MSI").result is POS
    mmr = one("Mismatch repair proteins retained (intact nuclear staining).", "MMR")
    assert (mmr.result, mmr.score) == (NEG, "pMMR")
    lost = one("There is loss of MLH1 and PMS2 expression in the tumour.", "MMR")
    assert (lost.result, lost.score) == (POS, "dMMR")
    # A hedge about MSI is no result.
    assert not [
        f for f in facts("This staining pattern makes MSI-H unlikely.") if f.biomarker.marker == "MSI"
    ]


@pytest.mark.parametrize(
    ("text", "marker", "alteration"),
    [
        ("Sequencing shows KRAS p.G12C.", "KRAS", "p.G12C"),
        ("KRAS G12C mutation detected.", "KRAS", "p.G12C"),
        ("EGFR exon 19 deletion identified.", "EGFR", "exon 19 deletion"),
        ("EGFR L858R present.", "EGFR", "p.L858R"),
        ("ALK rearrangement was found.", "ALK", "fusion"),
    ],
)
def test_variants(text: str, marker: str, alteration: str) -> None:
    found = one(text, marker)
    assert (found.result, found.alteration) == (POS, alteration)


def test_fusion_partner() -> None:
    partners = [f.biomarker.partner for f in facts("ALK fusion (EML4-ALK) by RNA sequencing.")]
    assert "EML4" in partners


def test_list_of_negatives() -> None:
    text = "No EGFR, ALK, ROS1, BRAF, MET exon 14, RET or NTRK alterations detected."
    results = {f.biomarker.marker: f.biomarker.result for f in facts(text)}
    assert set(results) == {"EGFR", "ALK", "ROS1", "BRAF", "MET", "RET", "NTRK"}
    assert set(results.values()) == {NEG}


def test_wild_type_and_groups() -> None:
    results = {f.biomarker.marker: f.biomarker.result for f in facts("RAS wild-type; BRAF wild-type.")}
    assert results == {"KRAS": NEG, "NRAS": NEG, "BRAF": NEG}
    assert one("HER2 (ERBB2) not amplified.", "HER2").result is NEG


def test_pending_and_hypothetical() -> None:
    results = {f.biomarker.marker: f.biomarker.result for f in facts("BRCA1/2 germline testing pending.")}
    assert results == {"BRCA1": PEND, "BRCA2": PEND}
    assert one("ALK testing is pending.", "ALK").result is PEND
    assert not facts("If HER2 positive, trastuzumab would be considered.")


def test_definite_result_beats_earlier_pending() -> None:
    findings = facts("KRAS and NRAS results pending.") + facts("KRAS and NRAS wild-type.")
    chosen = biomarkers.select_biomarkers(findings)
    assert [(f.biomarker.marker, f.biomarker.result) for f in chosen] == [("KRAS", NEG), ("NRAS", NEG)]


def test_conflict_across_documents_is_kept() -> None:
    chosen = biomarkers.select_biomarkers(facts("ER positive.") + facts("ER negative."))
    assert sorted(f.biomarker.result for f in chosen) == [NEG, POS]


def test_more_specific_finding_is_chosen() -> None:
    chosen = biomarkers.select_biomarkers(facts("ER positive.") + facts("ER positive (80%)."))
    assert len(chosen) == 1 and chosen[0].biomarker.value == 80
    assert biomarkers.receptor_result(chosen, "ER") is POS
    assert biomarkers.receptor_result(chosen, "PR") is None


def test_variant_and_negative_tables_with_vus_skipped() -> None:
    text = (
        "DETECTED VARIANTS\nGene Alteration VAF\nKRAS p.G12V 22.0%\n"
        "VARIANTS OF UNCERTAIN SIGNIFICANCE\nGene Alteration VAF\nARID1A p.P100S 11.0%\n"
        "NEGATIVE GENES\nGene Assessed Result\nEGFR Exons 18-21 Not detected\n"
    )
    tables: list[list[list[str | None]]] = [
        [["Gene", "Alteration", "VAF"], ["KRAS", "p.G12V", "22.0%"]],
        [["Gene", "Alteration", "VAF"], ["ARID1A", "p.P100S", "11.0%"]],
        [["Gene", "Assessed", "Result"], ["EGFR", "Exons 18-21", "Not detected"]],
    ]
    results = {(f.biomarker.marker, f.biomarker.alteration): f.biomarker.result for f in facts(text, tables)}
    assert results == {("KRAS", "p.G12V"): POS, ("EGFR", None): NEG}


def test_ihc_table() -> None:
    text = (
        "Marker Result Interpretation\nEstrogen receptor (ER) 80% of nuclei Positive\n"
        "HER2 (IHC) Score 0 Negative\n"
    )
    tables: list[list[list[str | None]]] = [
        [
            ["Marker", "Result", "Interpretation"],
            ["Estrogen receptor (ER)", "80% of nuclei", "Positive"],
            ["HER2 (IHC)", "Score 0", "Negative"],
        ]
    ]
    chosen = {f.biomarker.marker: f.biomarker for f in facts(text, tables)}
    assert (chosen["ER"].result, chosen["ER"].value) == (POS, 80)
    assert (chosen["HER2"].result, chosen["HER2"].score) == (NEG, "0")


def results(text: str, marker: str) -> list[BiomarkerResult]:
    return [f.biomarker.result for f in facts(text) if f.biomarker and f.biomarker.marker == marker]


@pytest.mark.parametrize(
    ("text", "marker", "result"),
    [
        # Score legends, reference ranges and field scales are no results.
        (
            "HER2/neu immunohistochemistry [negative: 0, 1+; equivocal: 2+; positive: 3+]. Score 1+.",
            "HER2",
            NEG,
        ),
        (
            "PR: positive. Nuclei stained: 60%. Reference range: negative <1%, positive >=1%.",
            "PR",
            POS,
        ),
        ("ER status score 9.0 positive. Interpretation: ER. Negative < 6.5. Positive >= 6.5.", "ER", POS),
        # Words that only lead up to the result are stepped over.
        (
            "Estrogen receptor: Performed on another specimen. Specimen (accession number): Positive (80%).",
            "ER",
            POS,
        ),
        (
            "HER2 stained with HER-2/neu (4B5) rabbit monoclonal antibody. Negative reaction (score 1+).",
            "HER2",
            NEG,
        ),
        # Allred scores: 0 to 2 negative, 3 to 8 positive; "points" as some reports write it.
        ("ER: Positive (Allred score 8).", "ER", POS),
        ("ER, PR - 7 points.", "PR", POS),
        ("PR: Allred score 2.", "PR", NEG),
        ("PR: no expression in tumour cells.", "PR", NEG),
        ("Tumour cells are equivocal for HER2/neu. Five lymph nodes, negative.", "HER2", EQV),
        # Two limits side by side are a reference range, not a second result.
        ("ER. N/A. 37%. Favorable. REFERENCE RANGES. Test. Favorable. Unfavorable. ER. <5%. >5%.", "ER", POS),
        ("HER2 is interpreted as weakly positive (score 2+).", "HER2", EQV),
        ("Result of HER2 gene amplification by FISH: not amplified.", "HER2", NEG),
    ],
)
def test_reads_past_legends_and_lead_ins(text: str, marker: str, result: BiomarkerResult) -> None:
    assert results(text, marker) == [result]


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("Her-2/neu (0-3+, n/a) : n/a", "HER2"),  # the scale "0-3+" is no score of 3+
        ("ER: <5%.", "ER"),  # below 5% may be either side of the 1% cut-off
        # Controls, other people, cited papers, policies, descriptions of the test, an earlier cancer.
        ("Positive control: HER2 3+ cell line.", "HER2"),
        ("Control sections for HER2 are provided within a kit (score 0 MCF-7, score 3+ BT-474).", "HER2"),
        ("Trastuzumab improves survival for patients with metastatic HER2-positive breast cancer.", "HER2"),
        (
            "3. Smith AB, Jones CD, et al. Trastuzumab for operable. HER2-positive breast cancer. J Med.",
            "HER2",
        ),
        ("Equivocal results for HER2 (score 2+) are reflexed to in situ hybridisation.", "HER2"),
        ("HER2 gene status is reported as non-amplified (ratio < 2.0) or amplified (ratio > 2.0).", "HER2"),
        ("The reader records the scores for HER2 and CEP17 copy numbers that are present.", "HER2"),
        ("History of right breast cancer (ER positive, HER2 negative) in 2005.", "ER"),
        ("Prior left breast carcinoma (ER positive), now a new lung mass.", "ER"),
        ("Specimen number S-01A-PR -. Received in formalin.", "PR"),  # a dash, not a sign
        ("Probes for the short arm (EGFR-. 7p12) of chromosome 7.", "EGFR"),  # a word broken at a line end
        ("HER2 gene amplification by dual ISH. An adequate number of tumour cells was present.", "HER2"),
        ("HER2: negative reaction (score 3+).", "HER2"),  # words and score disagree
        ("If invasive, please obtain ER, PR and HER2; for all 2+ results do FISH.", "HER2"),
        ("Clones used: 6F11-ER, A485-HER2.", "HER2"),  # a clone name is no fusion partner
        ("ER and PR report. Using appropriate positive and negative controls, the test is done.", "ER"),
    ],
)
def test_no_result_is_read(text: str, marker: str) -> None:
    assert results(text, marker) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ER (+), PR (-), HER2 (-).", {"ER": POS, "PR": NEG, "HER2": NEG}),
        ("ER+/PR+/HER2-", {"ER": POS, "PR": POS, "HER2": NEG}),
        (
            "Invasive ductal carcinoma, ER+, PR+, HER2-. Lymph nodes negative.",
            {"ER": POS, "PR": POS, "HER2": NEG},
        ),
        ("Tumour is ER-/PR-, HER2 3+.", {"ER": NEG, "PR": NEG, "HER2": POS}),
        ("ER +, PR -, HER2 1+.", {"ER": POS, "PR": NEG, "HER2": NEG}),
        ("ER/PR- POSITIVE, HER-2- - 2+.", {"ER": POS, "PR": POS, "HER2": EQV}),  # dashes, not signs
        # A templated field: its scale says what the number is; a letter O there is an OCR'd zero.
        (
            "Markers: ER (xy%,n/a) : 95. PR (xy%,n/a) : o. Her-2/neu (0-3+,n/a) : 1.",
            {"ER": POS, "PR": NEG, "HER2": NEG},
        ),
        ("ESTROGEN RECEPTOR: POSITIVE (90%). PROGESTERONE RECEPTOR: NEGATIVE (<1%).", {"ER": POS, "PR": NEG}),
        (
            "- ER: 85Z NUCLEAR STAINING WITH MODERATE INTENSITY. - PR: 0% NUCLEAR STAINING.",
            {"ER": POS, "PR": NEG},
        ),
        ("HER-2NEU: SCORE 2+, EQUIVOCAL.", {"HER2": EQV}),
        ("HER-2/neu by IHC: negative (1+).", {"HER2": NEG}),
        # This tumour's stains, beside controls or a comparison with an earlier cancer.
        ("Immunostains with appropriate controls show the tumor cells to be ER positive (95%).", {"ER": POS}),
        (
            "Metastatic carcinoma, consistent with the patient's prior breast carcinoma, ER positive.",
            {"ER": POS},
        ),
    ],
)
def test_receptor_templates_and_signs(text: str, expected: dict[str, BiomarkerResult]) -> None:
    chosen = facts(text)
    assert {m: biomarkers.receptor_result(chosen, m) for m in expected} == expected


def test_a_templated_field_keeps_its_value() -> None:
    assert (one("ER (xy%,n/a) : 95", "ER").value, one("ER (xy%,n/a) : 95", "ER").unit) == (95, "%")
    assert one("Her-2/neu (0-3+,n/a) : 1", "HER2").score == "1+"
    assert one("ER negative. Percent cells staining as: (0 100%).", "ER").value is None  # a scale


def test_receptor_names_are_no_fusions_and_clone_names_no_variants() -> None:
    # "ER-ICA" is ER by immunocytochemistry, "(H2N)" a clone: fusions and variants are named by genes.
    assert one("ER-ICA: POSITIVE.", "ER").alteration is None
    assert one("Her-2/Neu (H2N). Amplification: Negative.", "HER2").alteration is None
    assert one("EML4-ALK fusion detected.", "ALK").partner == "EML4"


def test_receptor_result_answers_nothing_on_a_conflict() -> None:
    conflict = biomarkers.select_biomarkers(facts("ER positive (90%).") + facts("ER negative (0%)."))
    assert biomarkers.receptor_result(conflict, "ER") is None
    # An equivocal IHC 2+ is settled by in situ hybridisation.
    settled = biomarkers.select_biomarkers(facts("HER2 IHC 2+.") + facts("HER2 FISH: not amplified."))
    assert biomarkers.receptor_result(settled, "HER2") is NEG
    assert biomarkers.receptor_result(facts("HER2 IHC 2+ (equivocal)."), "HER2") is EQV


def test_registry_status_is_the_ihc_category_where_a_score_is_reported() -> None:
    settled = biomarkers.select_biomarkers(facts("HER2 IHC 2+.") + facts("HER2 FISH: not amplified."))
    assert biomarkers.registry_status(settled, "HER2") is EQV
    assert biomarkers.registry_status(facts("HER2 FISH: not amplified."), "HER2") is NEG
    assert biomarkers.registry_status(facts("HER2 IHC 1+ (negative)."), "HER2") is NEG
    assert biomarkers.registry_status(facts("ER positive (90%)."), "ER") is POS
    # Two tumours scored differently: no single category.
    assert biomarkers.ihc_category(facts("HER2 IHC 3+.") + facts("HER2 IHC 1+."), "HER2") is None


def test_lint_is_clean() -> None:
    assert biomarkers.lint() == []


# Measured on the dev set, less a small margin: ER 54/55 of 66, PR 50/54 of 66, HER2 32/46 of 58
# (correct/answered of labeled). Most misses are reports that give no result (pending, ordered, done
# on an earlier specimen); the registry's HER2 label is the IHC status, so it is scored by the IHC
# category where a score is reported (OncoGuide's profile reports the final FISH result beside it), and
# where the report gives only the FISH result of an IHC 2+ the registry still says "equivocal".
_DEV_FLOOR = {"er": 0.80, "pr": 0.74, "her2": 0.52}
_PRECISION_FLOOR = {"er": 0.96, "pr": 0.90, "her2": 0.66}


def test_devset_receptor_accuracy(devset: list[dict[str, Any]]) -> None:
    tally = {name: [0, 0, 0] for name in _DEV_FLOOR}
    for record in devset:
        expected = {name: expected_value(name, record) for name in _DEV_FLOOR}
        if not any(expected.values()):
            continue
        chosen = facts(record["text"])
        for name, marker in (("er", "ER"), ("pr", "PR"), ("her2", "HER2")):
            if expected[name] is None:
                continue
            result = biomarkers.registry_status(chosen, marker)
            predicted = result.value if result in (POS, NEG, EQV) else None
            tally[name][0] += 1
            tally[name][1] += predicted is not None
            tally[name][2] += predicted == expected[name]
    for name, (labeled, answered, correct) in tally.items():
        assert correct / labeled >= _DEV_FLOOR[name], (name, labeled, answered, correct)
        assert correct / answered >= _PRECISION_FLOOR[name], (name, labeled, answered, correct)


_IHC_2 = re.compile(r"(?i)(?:her-?2|herceptest)[^.]{0,60}?(?:\b2\s?\+|score\s*=\s*2\b)")
_NOT_AMPLIFIED = re.compile(
    r"(?i)not\s+amplified|amplification\s+not\s+found|negative\s+for\s+her-?2\s+gene\s+amplification"
)


def test_devset_equivocal_ihc_settled_by_in_situ_hybridisation(devset: list[dict[str, Any]]) -> None:
    """Reports with HER2 IHC 2+ and a FISH "not amplified": negative, with the 2+ kept beside it."""
    hits = settled = 0
    for record in devset:
        text = record["text"]
        if record["labels"].get("tcga_project") != "BRCA" or not (
            _IHC_2.search(text) and _NOT_AMPLIFIED.search(text)
        ):
            continue
        hits += 1
        her2 = [f.biomarker for f in facts(text) if f.biomarker and f.biomarker.marker == "HER2"]
        settled += [(b.result, b.score) for b in her2] == [(NEG, "2+")]
    assert hits >= 5
    assert settled / hits >= 0.8, (settled, hits)


def test_devset_receptor_findings_name_no_variant(devset: list[dict[str, Any]]) -> None:
    """Breast pathology reports state receptor status; "ER-ICA", "NEG-HER2" or "(H2N)" are no variants."""
    receptors = [
        f.biomarker
        for record in devset
        if record["labels"].get("tcga_project") == "BRCA"
        for f in facts(record["text"])
        if f.biomarker and f.biomarker.marker in ("ER", "PR", "HER2")
    ]
    assert len(receptors) >= 150
    assert [b for b in receptors if b.alteration or b.partner] == []


def test_a_named_variant_replaces_the_gene_level_positive() -> None:
    page = PageText("doc", 1, "KRAS mutation detected. KRAS p.G12C (c.34G>T) detected, VAF 34%.")
    chosen = biomarkers.select_biomarkers(biomarkers.extract(page))
    kras = [f.biomarker for f in chosen if f.biomarker and f.biomarker.marker == "KRAS"]
    assert [(b.alteration, b.result.value) for b in kras] == [("p.G12C", "positive")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("21-gene Recurrence Score result: 18", 18.0),
        ("Oncotype DX recurrence score of 25.", 25.0),
        ("RECURRENCE SCORE ASSAY REPORT. Patient: X. MRN: DEMO-527310", None),  # a record number
        ("The Recurrence Score is a number from 0 to 100.", None),  # a description of the test
    ],
)
def test_recurrence_score_is_a_number_right_after_its_name(text: str, value: float | None) -> None:
    found = [f.biomarker for f in biomarkers.extract(PageText("doc", 1, text)) if f.biomarker]
    assert {b.value for b in found if b.marker == "Recurrence Score"} == ({value} if value else set())


# --- text that describes a test, not this tumour's result -------------------------------------------

# Phrasing of method, limitation, background, criteria and literature text, in the project's own words,
# with the marker each names: none of them is a positive result.
DESCRIBES_A_TEST: list[tuple[str, str]] = [
    # A method, limitations or background section.
    (
        "Test performed: genotyping of 8 genes: AKT1, BRAF, EGFR, KRAS, NRAS and PIK3CA. Methodology. "
        "The mutations are detected by amplification of the exons by PCR.",
        "PIK3CA",
    ),
    ("METHODOLOGY: Exons of KRAS and NRAS are amplified by PCR and sequenced.", "NRAS"),
    ("BACKGROUND: BRAF V600E mutation has been linked to a more aggressive course.", "BRAF"),
    # The literature: frequencies, associations, what a variant is specific for.
    ("Activating NRAS mutations can be found in 3% of colorectal cancer.", "NRAS"),
    ("PIK3CA mutations (when present) have been reported to predict a poor prognosis.", "PIK3CA"),
    ("Mutations in TP53 are rarely found in gliomas with 1p/19q loss.", "TP53"),
    ("BRAF V600E mutation and RET/PTC rearrangements are overall specific for malignancy.", "BRAF"),
    ("EGFR exon 19 deletions are present in about 10% of the Western population.", "EGFR"),
    ("Recent studies have shown that PTEN as detected by immunostaining predicts response.", "PTEN"),
    # Limits and conditions of the test, probes and signals, the test's own name.
    ("Mutations in genes other than TP53 would not be identified by this assay.", "TP53"),
    ("When a rearrangement involving ALK is present, the two fusion signals separate.", "ALK"),
    ("Probe for the ALK gene at 2p23. When a rearrangement occurs, the signals split.", "ALK"),
    (
        "Three copies of ALK in 27% of cells. This gain of intact ALK fusion hybridization signals is "
        "aneuploidy.",
        "ALK",
    ),
    ("Analysis of EGFR mutation or gene amplification status may provide additional information.", "EGFR"),
    ("Mutations in BRAF, NRAS, HRAS and RET/PTC1 and RET/PTC3 rearrangements.", "RET"),  # a gene list
    # Criteria of a category.
    (
        "Interpretation guide: less than 2.0: no EGFR amplification; greater than 2.0: EGFR amplification.",
        "EGFR",
    ),
    ("EGFR FISH positive: high polysomy, > 4 gene copies in > 40% of cells.", "EGFR"),
    ("An EGFR to CEP7 ratio above 2.0 usually indicates EGFR amplification.", "EGFR"),
    ("EGFR to CEP7 ratio 1.0. Samples are considered positive in brain if the ratio is 2.0 or more.", "EGFR"),
    ("A tumour is classified as MSI-H if two or more of the five markers show instability.", "MSI"),
    # A result word about something else: the next item, a margin, a list of stains, another lesion.
    ("FISH: EGFR - POLYSOMY (68% of tumour cells).", "EGFR"),  # a list item, no EML4-ALK-like fusion
    ("FISH results: polysomy 7/EGFR. -Positive for monosomy 10.", "EGFR"),
    ("Immunostains Ki67. These showed diffuse positive reaction for chromogranin.", "Ki-67"),
    ("Stains were performed using antibodies to GFAP, IDH1 (R132H), p53 and Ki67.", "IDH1"),
    ("Specimen A: liver biopsy, APC. Re-resection of grossly positive liver margins.", "APC"),
    ("Part A, APC. SENTINEL LYMPH NODE: METASTATIC CARCINOMA PRESENT.", "APC"),  # a part's label
    ("Incidental meningothelial nodules; these are PR+.", "PR"),
    # A stain of a protein that is lost when altered: "positive" means it is kept.
    ("The tumour cells are positive for MLH1 (90% of tumour cells positive).", "MMR"),
    ("PTEN - POSITIVE (3+ in 75% of tumour cells).", "PTEN"),
    ("Low-level or absent expression of ER.", "ER"),
    # Negatives and untested markers written the way OCR'd reports write them.
    ("The FISH panel shows no evidence EGFR amplification.", "EGFR"),
    ("BRAF:KIAA1549 gene fusion is not evident.", "BRAF"),
    ("Ratio of EGFR/CEP7: 1.0. Amplification: NO.", "EGFR"),
    ("MET (7q31): not ordered.", "MET"),
    ("EGFR (7p12): abnormal, 93%, gain.", "EGFR"),  # a copy gain (polysomy) is no amplification
]


@pytest.mark.parametrize(("text", "marker"), DESCRIBES_A_TEST, ids=[text for text, _ in DESCRIBES_A_TEST])
def test_no_positive_from_text_describing_a_test(text: str, marker: str) -> None:
    assert POS not in results(text, marker)


@pytest.mark.parametrize(
    ("text", "marker", "alteration"),
    [
        # Results beside or after such text are still read.
        ("EGFR - AMPLIFICATION (96% of tumour cells exhibit amplification).", "EGFR", "amplification"),
        ("Ratio of EGFR/CEP7: 8.3. Amplification: YES.", "EGFR", "amplification"),
        ("KRAS: positive for a codon 12 mutation (G12D).", "KRAS", "p.G12D"),
        ("HER2: positive for overexpression (3+).", "HER2", None),
        ("There is loss of PTEN expression in the tumour.", "PTEN", "loss"),
        ("Immunoperoxidase stain for EGFR is positive.", "EGFR", None),
        (
            "METHOD: DNA was amplified by PCR.\n\nRESULT: EGFR exon 19 deletion detected.",
            "EGFR",
            "exon 19 deletion",
        ),
        ("Test performed: EGFR sequencing. Result: EGFR L858R detected.", "EGFR", "p.L858R"),
        ("Loss of MLH1 and PMS2 expression.", "MMR", None),
    ],
)
def test_results_beside_test_descriptions_are_read(text: str, marker: str, alteration: str | None) -> None:
    found = [
        (f.biomarker.alteration, f.biomarker.result) for f in facts(text) if f.biomarker.marker == marker
    ]
    assert (alteration, POS) in found


def test_kept_and_lost_products_mean_what_the_marker_says() -> None:
    assert one("Retained expression of PTEN was found.", "PTEN").result is NEG
    assert one("Absent expression of ER in the tumour cells.", "ER").result is NEG
    assert one("Mismatch repair proteins: no loss of expression.", "MMR").result is NEG


# Words of method, criteria and literature text, written apart from the lexicon's own rules.
_DESCRIBES_A_TEST = re.compile(
    r"(?i)methodolog|test description|background|limitation|can be found in|have been (?:reported|described)"
    r"|has been associated|occurs? in|hybridi[sz]ation signals|break apart probe|usually|if two or more"
    r"|when an? |status may|considered positive|interpreted as positive if|greater than [\d.]+:"
)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    right = min((i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0), default=len(text))
    return text[left:right]


def test_devset_positive_genes_are_read_from_results(devset: list[dict[str, Any]]) -> None:
    """A positive gene, variant, fusion or amplification is never quoted from text describing a test."""
    checked = 0
    for record in devset:
        text = record["text"]
        quiet = [(s.start, s.end) for s in sections(text) if not s.results]
        for finding in facts(text):
            marker = finding.biomarker
            if marker.result is not POS or marker.gene is None or marker.marker in ("ER", "PR", "HER2"):
                continue
            checked += 1
            quote = finding.evidence[0]
            assert not any(s <= quote.start < e for s, e in quiet), (record["id"], quote.quote)
            assert not _DESCRIBES_A_TEST.search(_sentence_around(text, quote.start, quote.end)), (
                record["id"],
                quote.quote,
            )
    assert checked >= 10


# --- mismatch-repair stains and gene-level negatives ------------------------------------------------


def _mmr(text: str) -> list[tuple[BiomarkerResult, str | None]]:
    return [(f.biomarker.result, f.biomarker.score) for f in facts(text) if f.biomarker.marker == "MMR"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A lost repair protein (any of the four) makes the tumour deficient.
        ("Negative for MLH1.", [(POS, "dMMR")]),
        ("MLH1: negative (loss of nuclear expression). PMS2: negative.", [(POS, "dMMR")]),
        ("There is loss of MLH1 and PMS2 expression in the tumour.", [(POS, "dMMR")]),
        ("The tumour cells are negative for MSH2 and MSH6; MLH1 and PMS2 are retained.", [(POS, "dMMR")]),
        ("MLH1 and PMS2 not expressed; MSH2 and MSH6 expressed.", [(POS, "dMMR")]),
        # All four kept makes it proficient, however the stain is worded.
        ("MLH1, MSH2, MSH6, PMS2: intact nuclear expression.", [(NEG, "pMMR")]),
        ("MLH1: retained. MSH2: retained. MSH6: retained. PMS2: retained.", [(NEG, "pMMR")]),
        ("MLH1, MSH2, MSH6 and PMS2: positive nuclear expression.", [(NEG, "pMMR")]),
        (
            "MLH1: Normal expression. PMS2: Normal expression. "
            "MSH2: Normal expression. MSH6: Normal expression.",
            [(NEG, "pMMR")],
        ),
        ("Mismatch repair proteins retained (intact nuclear staining).", [(NEG, "pMMR")]),
        # Some kept and the others unstated say nothing of the tumour.
        ("MLH1 and PMS2 intact.", []),
        ("The tumour cells are positive for MLH1 (90% of tumour cells positive).", []),
        ("Microsatellite instability: no loss of MLH1 expression.", []),
        # The gene, not the stain: germline testing, methylation, mutations.
        ("MLH1 promoter methylation: negative.", []),
        ("Germline testing: negative for MLH1, MSH2, MSH6 and PMS2.", []),
        ("Lynch syndrome panel: negative for MLH1 and MSH2.", []),
        ("No MLH1, MSH2, MSH6 or PMS2 mutations detected.", []),
        ("Tumor is positive for MLH1 mutation.", []),
        (
            "Germline mutation analysis for the mismatch repair genes (MLH1, MSH2 and MSH6) is recommended.",
            [],
        ),
    ],
)
def test_mismatch_repair_stains_make_the_panel_result(
    text: str, expected: list[tuple[BiomarkerResult, str | None]]
) -> None:
    assert _mmr(text) == expected


def test_a_panel_result_cites_its_stains() -> None:
    found = facts("MLH1: negative. PMS2: negative. MSH2: intact. MSH6: intact.")
    assert [f.biomarker.marker for f in found] == ["MMR"]  # the proteins are reported as the panel
    assert [q.quote for q in found[0].evidence] == ["MLH1: negative", "PMS2: negative"]
    assert found[0].display == "MMR: positive (dMMR): loss of MLH1 and PMS2"


def test_pten_loss_and_literature_about_pten() -> None:
    assert (
        one("Loss of PTEN expression.", "PTEN").result,
        one("PTEN: loss of expression.", "PTEN").result,
    ) == (
        POS,
        POS,
    )
    literature = "Retained expression of PTEN was found to be associated with a better prognosis."
    assert results(literature, "PTEN") == []


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        (
            "EGFR Mutation Analysis. Body Site: Left upper lobe of lung. Clinical Data: Adenocarcinoma. "
            "RESULTS: No mutation detected.",
            "EGFR",
        ),
        (
            "KRAS MUTATION ANALYSIS. Body Site: lung. Specimen Type: Slides. Clinical Data: Adenocarcinoma. "
            "RESULTS: Wild-type gene.",
            "KRAS",
        ),
        ("KRAS: wild type.", "KRAS"),
        ("No mutations were detected in exons 18-21 of EGFR.", "EGFR"),
        ("No mutations were identified at codons 12 and 13. of the KRAS gene.", "KRAS"),
        ("KRAS codon 12/13: not detected.", "KRAS"),
        ("BRAF V600E: negative.", "BRAF"),
        (
            "INTERPRETATION: Negative for a rearrangement involving the ALK gene. "
            "Probe: 2p23, 0% positive nuclei.",
            "ALK",
        ),
        (
            "Based on sequencing analysis, no. mutations were detected in the PIK3CA gene exons 1, 9 or 20.",
            "PIK3CA",
        ),
        ("Mutations in BRAF, NRAS61, HRAS61 and KRAS12/13 not identified.", "NRAS"),
        ("Mutations in BRAF, NRAS61, HRAS61 and KRAS12/13 not identified.", "KRAS"),
        ("Molecular studies: they are EGFR,. KRAS and BRAF negative.", "EGFR"),
    ],
)
def test_gene_level_negatives(text: str, marker: str) -> None:
    assert set(results(text, marker)) == {NEG}


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("EGFR mutation analysis will be performed.", "EGFR"),  # pending, not negative
        (
            "EGFR Mutation Analysis. METHOD: Exons 18-21 are sequenced; "
            "mutations are detected by amplification.",
            "EGFR",
        ),
        ("KRAS MUTATION ANALYSIS. Body Site: colon. RESULTS: see addendum.", "KRAS"),
    ],
)
def test_a_test_heading_alone_gives_no_negative(text: str, marker: str) -> None:
    assert NEG not in results(text, marker) and POS not in results(text, marker)


def test_a_positive_after_a_test_heading_keeps_its_variant() -> None:
    text = (
        "EGFR Mutation Analysis. Body Site: lung. Clinical Data: Adenocarcinoma. "
        "RESULTS: Positive for the L858R mutation."
    )
    found = one(text, "EGFR")
    assert (found.result, found.alteration) == (POS, "p.L858R")


def test_devset_molecular_addenda_give_gene_negatives(devset: list[dict[str, Any]]) -> None:
    """TCGA-97-8175 reports EGFR, KRAS and ALK after their test headings: all negative, none pending."""
    record = next(r for r in devset if r["id"] == "TCGA-97-8175")
    found = {f.biomarker.marker: f.biomarker.result for f in facts(record["text"])}
    assert {m: found.get(m) for m in ("EGFR", "KRAS", "ALK")} == {"EGFR": NEG, "KRAS": NEG, "ALK": NEG}
    stains = next(r for r in devset if r["id"] == "TCGA-AY-A54L")  # four stains of normal expression
    assert _mmr(stains["text"]) == [(NEG, "pMMR")]


def test_devset_names_found_without_their_groups_are_those_the_grouped_regex_finds(
    devset: list[dict[str, Any]],
) -> None:
    """`_mentions` searches with the group-less regex and reads each name's group where one is found:
    the names, places and order must be those of searching with the groups."""
    compiled = biomarkers._compiled()
    found = 0
    for record in devset:
        text = record["text"]
        grouped = [
            (m.start(), m.end(), compiled.names[int((m.lastgroup or "m0")[1:])])
            for m in compiled.mention.finditer(text)
        ]
        assert [
            (m.start, m.end, (m.markers, m.result)) for m in biomarkers._mentions(text, compiled)
        ] == grouped
        found += len(grouped)
    assert found > 500


def test_devset_sentence_start_reads_back_only_as_far_as_a_continuing_word_reaches(
    devset: list[dict[str, Any]],
) -> None:
    """The sentence start found from the last break back, reading a few characters before each, is the
    one found by reading the word before every break in reach from the reach's start."""

    def every_break(text: str, start: int) -> tuple[int, int]:
        """The sentence start by the definition, and the last break whatever word it follows."""
        reach = max(0, start - 2 * biomarkers._BEFORE)
        breaks = list(biomarkers._SENTENCE_START.finditer(text, reach, start + 1))
        starts = [
            match.end()
            for match in breaks
            if (word := biomarkers._LAST_WORD.search(text, reach, match.start() + 1)) is None
            or word.group(1).lower() not in biomarkers._continues_after()
        ]
        return (starts[-1] if starts else reach), (breaks[-1].end() if breaks else reach)

    continued = 0  # places where a break after a continuing word ("copies of. EGFR") was passed over
    for record in devset[:150]:
        text = record["text"]
        for word in re.finditer(r"\w+", text):
            expected, last_break = every_break(text, word.start())
            assert biomarkers._sentence_start(text, word.start()) == expected
            continued += expected != last_break
    assert continued > 100
