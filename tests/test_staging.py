"""TNM and stage groups: reading, false friends, choosing, and deriving a group from the stage tables."""

from __future__ import annotations

from typing import Any

import pytest

from extractors import cancer_type, staging
from extractors.base import PageText
from extractors.findings import extract_document, extract_page
from oncoguide.domain import Assertion, Basis, Finding, FindingKind
from oncoguide.evaluation import expected_value, main_category
from oncoguide.pipeline import predict_report, profile_of, text_document


def read(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"t": [], "n": [], "m": [], "stage_group": []}
    for finding in staging.extract(PageText("doc", 1, text)):
        found[finding.kind.value].append(f"{finding.prefix or ''}{finding.value}")
    return found


@pytest.mark.parametrize(
    ("text", "t", "n", "m"),
    [
        ("Pathologic stage classification (pTNM, AJCC 8th edition): pT2 pN0(sn)", ["pT2"], ["pN0"], []),
        ("Clinical stage: cT2a cN2 cM1c, stage IVB.", ["cT2a"], ["cN2"], ["cM1c"]),
        ("TNM classification: T2NOMx.", ["T2"], ["N0"], []),
        ("pTN stage: pT3aNO.", ["pT3a"], ["pN0"], []),
        ("PATHOLOGIC STAGE: pTic, pN1a, pMX.", ["pT1c"], ["pN1a"], []),
        ("Tumor stage: pTlc pN1mi (intranodal micrometastasis), MX", ["pT1c"], ["pN1mi"], []),
        ("AJCC: T4B, N2a, MX, stage grouping IIIB.", ["T4b"], ["N2a"], []),
        ("Pathological staging (pTN): pT 1c N x.", ["pT1c"], [], []),
        ("ypT0 ypN0 after neoadjuvant therapy", ["ypT0"], ["ypN0"], []),
        ("Primary Tumor (pT): pT2a: Tumor greater than 3 cm", ["pT2a"], [], []),
        ("TNM STAGE: T2. N2, MX.", ["T2"], ["N2"], []),
    ],
)
def test_categories_are_read_as_reports_write_them(
    text: str, t: list[str], n: list[str], m: list[str]
) -> None:
    found = read(text)
    assessed = {axis: [v for v in found[axis] if not v.endswith("X")] for axis in ("t", "n", "m")}
    assert (assessed["t"], assessed["n"], assessed["m"]) == (t, n, m)


@pytest.mark.parametrize(
    "text",
    [
        "Axial T2-weighted images show a 2 cm mass.",
        "Compression fracture of the T1 vertebra.",
        "Osseous lesions in T10 and the right iliac bone.",
        "Tumor Thickness (pT1 and pT2 tumors): 9 mm.",
        "N2 gas was used for insufflation.",
        "Blocks T1-7, liver mass.",
        "The patient has stage 3 chronic kidney disease.",
        "Portal and bridging fibrosis (stage 2-3 of 4).",
        "CKD stage 4, on dialysis evaluation.",
        "Decubitus ulcer, stage 2, sacrum.",
        "T Stage: 4 N Stage: 3 M Stage: 0",  # one axis's stage, not a stage group
        "Summary of sections: N1,2: lymph nodes. N3: possible lymph node.",  # block codes
        "Regional lymph nodes: N0: no metastasis. N1: 1-3 lymph nodes positive.",  # definitions
    ],
)
def test_false_friends_are_not_stage(text: str) -> None:
    found = read(text)
    assert not any(found.values()), found


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Stage IVB (AJCC 8th edition).", "IVB"),
        ("stage 4 lung adenocarcinoma", "IV"),
        ("AJCC CATEGORIES: STAGE IIB.", "IIB"),
        ("FINAL AJCC STAGE IS: Stage IIIC.", "IIIC"),
        ("Stage: 4 (pT3 N1 M1).", "IV"),
        ("T1cN1MX, stage lla.", "IIA"),
        ("Pathologic stage: IIIA.", "IIIA"),
    ],
)
def test_stage_groups_roman_and_arabic(text: str, group: str) -> None:
    assert [v.lstrip("cp") for v in read(text)["stage_group"]] == [group]


def _finding(kind: FindingKind, value: str, prefix: str | None = "p", confidence: float = 0.9) -> Finding:
    return Finding(
        kind=kind, value=value, display=f"{prefix or ''}{value}", prefix=prefix, confidence=confidence
    )


def test_pathologic_beats_clinical_and_specific_beats_general() -> None:
    findings = [
        _finding(FindingKind.T, "T3", prefix="c"),
        _finding(FindingKind.T, "T2"),
        _finding(FindingKind.T, "T2a"),
    ]
    chosen = staging.select_stage(findings, "LUAD", []).t
    assert chosen is not None and (chosen.prefix, chosen.value) == ("p", "T2a")


@pytest.mark.parametrize(
    ("t", "n", "edition", "group"),
    [
        ("T1b", "N0", 8, "IA2"),
        ("T1b", "N0", 7, "IA"),
        ("T2a", "N1", 7, "IIA"),
        ("T2a", "N1", 8, "IIB"),
        ("T2a", "N1", None, "II"),
        ("T2b", "N1", None, "IIB"),
        ("T3", "N2", 7, "IIIA"),
        ("T3", "N2", 8, "IIIB"),
        ("T4", "N3", None, "III"),
    ],
)
def test_lung_groups_follow_the_named_edition(t: str, n: str, edition: int | None, group: str) -> None:
    derived = staging.derive_stage_group(
        "LUAD", _finding(FindingKind.T, t), _finding(FindingKind.N, n), None, edition
    )
    assert derived is not None and derived.value == group


def test_equal_disagreement_is_a_conflict_not_a_guess() -> None:
    findings = [_finding(FindingKind.N, "N0"), _finding(FindingKind.N, "N2")]
    selection = staging.select_stage(findings, "IDC", [])
    assert selection.n is None
    assert {f.value for f in selection.conflicts["n"]} == {"N0", "N2"}
    assert selection.stage_group is None


@pytest.mark.parametrize(
    ("code", "t", "n", "m", "group"),
    [
        ("IDC", "T2", "N0", None, "IIA"),
        ("IDC", "T1c", "N1mi", None, "IB"),
        ("IDC", "T4b", None, None, "III"),  # any N with T4 and M0 is stage III
        ("LUAD", "T1b", "N0", None, "I"),  # IA2 in the 8th edition, IA in the 7th: no edition named
        ("LUAD", "T2a", "N2", "M1c", "IVB"),
        ("COAD", "T3", "N1b", "M1a", "IVA"),
        ("COAD", "T4", "N0", None, "II"),
        ("CCRCC", "T1b", "N0", None, "I"),
        ("PRAD", "T3a", "N0", None, "III"),
        ("THPA", "T1b", "N0", None, "I"),  # stage I at any age in the 7th and 8th editions
    ],
)
def test_stage_group_derived_from_the_table(
    code: str, t: str, n: str | None, m: str | None, group: str
) -> None:
    derived = staging.derive_stage_group(
        code,
        _finding(FindingKind.T, t),
        _finding(FindingKind.N, n) if n else None,
        _finding(FindingKind.M, m, prefix="c") if m else None,
    )
    assert derived is not None and derived.value == group
    assert derived.basis is Basis.DERIVED
    assert ("cM0 assumed" in (derived.basis_note or "")) == (m is None)


@pytest.mark.parametrize(
    ("code", "t", "n"),
    [
        ("IDC", "T1", None),  # T1 with unknown N: IA, IB, IIA or IIIC
        ("LUAD", "T2", "N0"),  # T2a N0 is IB, T2b N0 is IIA
        ("PRAD", "T2", "N0"),  # needs PSA and grade group
        ("THPA", "T3", "N0"),  # depends on age
        ("THPA", "T2", "N0"),  # 7th edition: I under 45, II from 45
        ("THPA", "T1", "N1"),  # I under 45 (55), III or IVA (II) from 45 (55)
        ("GBM", "T2", "N0"),  # no table: brain tumours are not TNM-staged
        ("BLCA", "T2", "N1"),  # IIIA in the 8th edition, IV in the 7th: not guessed
    ],
)
def test_no_group_where_the_table_does_not_decide(code: str, t: str, n: str | None) -> None:
    derived = staging.derive_stage_group(
        code, _finding(FindingKind.T, t), _finding(FindingKind.N, n) if n else None, None
    )
    assert derived is None


def test_no_m_is_ever_invented() -> None:
    selection = staging.select_stage(
        [_finding(FindingKind.T, "T2"), _finding(FindingKind.N, "N0")], "IDC", []
    )
    assert selection.m is None
    assert selection.stage_group is not None and selection.stage_group.value == "IIA"


def test_staging_data_lints_clean() -> None:
    assert staging.lint() == []


@pytest.mark.devset
def test_stage_figures_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """Precision first. Measured: T 0.956 (coverage 0.850), N 0.965 (0.78), M 1.00 (0.05), stage group 0.939
    (0.646)."""
    floors = {"t": (0.95, 0.84), "n": (0.95, 0.77), "m": (0.95, 0.04), "stage_group": (0.92, 0.64)}
    tallies = {name: [0, 0, 0] for name in floors}
    for record in devset:
        predicted = predict_report(record["text"], record["id"]).fields
        for name, tally in tallies.items():
            label = expected_value(name, record)
            if label is None:
                continue
            tally[0] += 1
            if predicted[name] is not None:
                tally[1] += 1
                tally[2] += predicted[name] == main_category(name, label)
    for name, (labeled, answered, correct) in tallies.items():
        precision_floor, coverage_floor = floors[name]
        assert correct / answered >= precision_floor, (name, labeled, answered, correct)
        assert answered / labeled >= coverage_floor, (name, labeled, answered, correct)


def _select(text: str, code: str) -> staging.StageSelection:
    page = PageText("doc", 1, text)
    return staging.select_stage(staging.extract(page), code, [page])


@pytest.mark.parametrize(
    ("text", "code", "n"),
    [
        ("Left axillary dissection: metastatic carcinoma in 6 of 14 lymph nodes (6/14).", "IDC", "N2"),
        ("Twelve lymph nodes, negative for tumor (0/12). Seven lymph nodes, negative (0/7).", "LUAD", "N0"),
        ("Regional lymph nodes: 2/21 involved by adenocarcinoma.", "COAD", "N1b"),
        ("11/11 lymph nodes, negative for malignancy.", "PAAD", "N0"),
        (
            "Pericolic lymph nodes: 3/12; apical lymph node: 1/1.",
            "COAD",
            None,
        ),  # parts (4: N2a) or total (3: N1b)?
    ],
)
def test_n_from_node_counts(text: str, code: str, n: str | None) -> None:
    chosen = _select(text, code).n
    assert (chosen.value if chosen else None) == n
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and "lymph nodes involved" in (chosen.basis_note or "")


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Adenocarcinoma infiltrating all wall layers, as well as free lymph nodes and free margins.", "N0"),
        ("Colectomy with tumor-free lymph nodes.", "N0"),
        (
            "Free lymph nodes in the colon mesentery. Metastatic carcinoma in one lymph node.",
            None,
        ),
        ("Resection margins free; lymph nodes not submitted.", None),
        ("Histopathological diagnosis: invasive carcinoma. Lymph nodes negative for cancer.", "N0"),
        ("Lymph node, level 10R, excision: Hyalinized lymph node, negative for neoplasm.", "N0"),
        ("Sentinel lymph node, biopsy: negative for carcinoma.", "N0"),
        ("Lymph nodes: Negative for metastasis. Margins: uninvolved.", "N0"),
        ("Lymph nodes not sampled, margins negative for carcinoma.", None),  # the margins, not the nodes
        ("No lymph nodes identified, skin negative for tumor.", None),
        # a node the report does not call a lymph node holds metastasis
        (
            "A single obturator node (of 9) is positive for metastatic adenocarcinoma. Para-aortic lymph "
            "nodes are negative for tumor.",
            None,
        ),
        ("Extent of invasion: Muscularis propria. Lymph nodes: Negative for metastasis.", "N0"),
        ("Adrenal Gland: Not involved. Lymph Nodes: Free of tumor.", "N0"),
        ("Lymph nodes: Not specified. Margins: Uninvolved.", None),
        ("Lymph Nodes: Free of tumor. Number of metastatic nodes: 2.", None),  # the report contradicts itself
    ],
)
def test_n0_from_nodes_stated_free_without_a_count(text: str, n: str | None) -> None:
    chosen = _select(text, "COAD").n
    assert (chosen.value if chosen else None) == n
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and "stated free of tumour" in (chosen.basis_note or "")


def test_a_node_with_metastasis_and_no_count_blocks_the_count() -> None:
    text = "Sentinel lymph node: metastatic carcinoma in one lymph node. Axillary nodes: benign (0/5)."
    assert _select(text, "IDC").n is None


def test_lymph_nodes_no_tumor_is_not_n0_by_letters() -> None:
    found = read("LYMPH NODES: NO tumor present in five nodes.")
    assert found["n"] == []


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        ("Tumor size: 2.4 x 2.0 x 1.7 cm. Margins negative.", "IDC", "T2"),
        (
            "The tumor greatest diameter is 6.5 cm. The tumor is confined within the renal capsule.",
            "CCRCC",
            "T1b",
        ),
        (
            "Renal cell carcinoma (7.0 cm maximum dimension). The renal vein, ureter and artery are present.",
            "CCRCC",
            "T1b",
        ),
        ("Tumor measures 3.0 cm. Visceral pleural invasion: present.", "LUAD", None),
        ("Tumor measures 6.0 cm in greatest dimension.", "LUAD", None),  # T2 (7th) or T3 (8th)
        ("Tumor measures 5.0 cm. The tumor extends into the perirenal fat.", "CCRCC", "T3"),
        ("Tumor measures 5.0 cm. No extension into the perinephric fat.", "CCRCC", "T1b"),
        ("Extent of invasion: muscularis propria.", "STAD", "T2"),
        ("The carcinoma invades through the muscularis propria into pericolonic fat.", "COAD", "T3"),
        ("Tumor extent: adjacent structures (spleen).", "STAD", "T4"),
    ],
)
def test_t_from_size_and_depth(text: str, code: str, t: str | None) -> None:
    chosen = _select(text, code).t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED


def test_cn0_is_assumed_only_where_nodes_are_seldom_removed() -> None:
    kidney = _select("Pathologic stage: pT1b NX MX.", "CCRCC").stage_group
    assert kidney is not None and kidney.value == "I"
    assert "cN0 assumed" in (kidney.basis_note or "")
    assert _select("Pathologic stage: pT1c.", "IDC").stage_group is None


@pytest.mark.parametrize(
    ("text", "t", "n"),
    [
        ("AJCC/UICC stage: pT2cN0L1.", ["pT2c"], ["pN0"]),  # lymphatic invasion after the run
        ("Final stage: pT3a R1 N0 MX.", ["pT3a"], ["pN0"]),  # residual tumour inside the run
        ("(G3, pT4 pN2 L1, V0, pN2 (9/30) pM1)", ["pT4"], ["pN2", "pN2"]),  # the same N written twice
        ("(G2, pT3, pNI, R0)", ["pT3"], ["pN1"]),  # OCR's pNI among other categories
        ("Stage pT2b pNl M0", ["pT2b"], ["pN1"]),
        # "PNI" is perineural invasion: alone, or after a T with a capital P
        ("Perineural invasion (PNI): present. pT3, PNI present.", ["pT3"], []),
        ("Margins free; pNI.", [], []),
        # OCR's O for 0 in the descriptors, and isolated tumour cells written without brackets
        ("Tumor classification: NOS, G II, pT1cN1aLOVORO.", ["pT1c"], ["pN1a"]),
        ("Concluding tumor classification: NOS, G III, pT2LOVORO.", ["pT2"], []),
        ("Sentinel lymph node: rare isolated cytokeratin positive cells (pNOi+).", [], ["pN0"]),
        ("pT1b pN0i- (sn)", ["pT1b"], ["pN0"]),
        ("pT2 LOW grade", ["pT2"], []),
    ],
)
def test_tnm_descriptors_and_repeats_inside_a_run(text: str, t: list[str], n: list[str]) -> None:
    found = read(text)
    assert (found["t"], found["n"]) == (t, n)


@pytest.mark.parametrize(
    ("text", "code", "n"),
    [
        (
            "Number of regional lymph nodes examined: 9. Number of regional lymph nodes involved: 0.",
            "IDC",
            "N0",
        ),
        ("Lymph nodes: number with metastases: 2, number examined: 15.", "COAD", "N1b"),
        ("Four (4) axillary lymph nodes are negative for carcinoma.", "IDC", "N0"),
        ("Lymph node status: 13 lymph nodes, of which 2 contain tumor.", "ESCA", "N1"),
        ("Five peribronchial lymph nodes, one of which is positive for tumor.", "IDC", "N1"),
        ("Three lymph nodes, none of which contain carcinoma.", "IDC", "N0"),
        # an examined total whose parts were not all read leaves N open
        (
            "Regional nodes: Number examined: 10 (perigastric 1/3; celiac see below). "
            "Periesophageal nodes: Number examined: 2. Number positive: 0.",
            "ESCC",
            None,
        ),
    ],
)
def test_n_from_synoptic_counts(text: str, code: str, n: str | None) -> None:
    chosen = _select(text, code).n
    assert (chosen.value if chosen else None) == n


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        ("Tumor measures 3.2 cm. The renal vein and ureter are free of tumor.", "CCRCC", "T1a"),
        ("Tumor size: 3 cm. Venous invasion: not specified.", "CCRCC", "T1a"),
        ("Tumor size: 3.0 cm. Sections of uninvolved kidney and perinephric fat.", "CCRCC", "T1a"),
        ("Tumor size: 6 cm. The tumor extends through the renal capsule.", "CCRCC", "T3"),
        (
            "The tumor invades the renal vein, but the vein margin is free of tumor. Tumor size: 3 cm.",
            "CCRCC",
            "T3",
        ),
        ("Maximum dimension invasive component: 42 mm.", "IDC", "T2"),
        ("Breslow thickness: 2.5 mm. Ulceration: present.", "SKCM", "T3"),
        ("Melanoma, Breslow depth 0.8 mm, Clark level III.", "SKCM", "T1"),
        ("Adrenal cortical carcinoma, tumor size 7.5 cm, confined to the adrenal gland.", "ACC", "T2"),
        ("Tumor size 4 cm. The tumor invades into periadrenal adipose tissue.", "ACC", None),
        ("Squamous carcinoma of the esophagus; the tumor invades into the adventitia.", "ESCC", "T3"),
    ],
)
def test_t_derivations_and_what_blocks_them(text: str, code: str, t: str | None) -> None:
    chosen = _select(text, code).t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and (chosen.basis_note or "").startswith("derived from")


@pytest.mark.parametrize(
    ("t", "n", "group"),
    [("T1b", "N0", "I"), ("T3", "N1", "III"), ("T1", "N1", "II"), ("T2", "N0", None), ("T4a", "N2", None)],
)
def test_esophagus_groups_only_where_the_editions_agree(t: str, n: str, group: str | None) -> None:
    derived = staging.derive_stage_group("ESCC", _finding(FindingKind.T, t), _finding(FindingKind.N, n), None)
    assert (derived.value if derived else None) == group


@pytest.mark.parametrize(
    ("code", "t", "n", "m", "group"),
    [
        ("ESCA", "T3", "N0", None, "II"),  # adenocarcinoma: IIA in the 7th edition, IIB in the 8th
        ("ESCC", "T3", "N0", None, None),  # squamous: a G1 lower-third T3 N0 is IB in the 7th edition
        ("ESCA", "T2", "N0", None, None),  # by grade: IB or IIA (7th), IC or IIA (8th)
        ("IPMN", "T3", "N1", None, "IIB"),  # invasive carcinoma in an IPMN: the exocrine pancreas table
        ("UM", "T1a", "N0", None, "I"),
        ("UM", "T3b", "N0", None, "IIIA"),
        ("UM", "T4e", "N0", None, "IIIC"),
        ("UM", "T4", "N0", None, "III"),  # T4a-T4e: IIIA, IIIB or IIIC
        ("UM", "T2", "N1", None, "IV"),
        ("UM", "T3", "N0", None, None),  # T3a is IIB, T3b-c IIIA, T3d IIIB
        ("SEM", "T2", "N0", None, "I"),  # IA, IB or IS by the serum markers: all stage I
        ("NSGCT", None, "N0", None, "I"),  # any pT, pTX included
        ("NSGCT", "T1", "N1", "M1", "III"),
        ("NSGCT", "T2", "N1", None, None),  # IIA-IIC or IIIB-IIIC by the serum markers
        ("BILIARY_TRACT", "T1b", "N0", None, "I"),  # gallbladder or any bile duct
        ("GBC", "T1", "N0", None, "I"),
        ("BILIARY_TRACT", "T2", "N0", None, None),  # distal bile duct T2 N0: IB (7th) or IIA (8th)
        ("CHOL", "T2", "N0", None, None),  # the bile duct table still decides cholangiocarcinoma
    ],
)
def test_tables_added_where_the_editions_agree(
    code: str, t: str | None, n: str, m: str | None, group: str | None
) -> None:
    derived = staging.derive_stage_group(
        code,
        _finding(FindingKind.T, t) if t else None,
        _finding(FindingKind.N, n),
        _finding(FindingKind.M, m, prefix="c") if m else None,
    )
    assert (derived.value if derived else None) == group


@pytest.mark.parametrize(
    ("code", "t", "group"),
    [
        ("UM", "T3b", "IIIA"),  # the uvea has no lymphatics and enucleation removes no nodes: cN0
        ("UM", "T2", None),  # T2a-T2d: IIA, IIB or IIIA
        ("SEM", "T1", None),  # retroperitoneal nodes are often involved: silence is not N0
        ("BILIARY_TRACT", "T1", None),  # gallbladder nodes are often sampled: silence is not N0
    ],
)
def test_cn0_assumed_for_uveal_melanoma_but_not_testis_or_gallbladder(
    code: str, t: str, group: str | None
) -> None:
    derived = staging.derive_stage_group(code, _finding(FindingKind.T, t), None, None, assume_n0=True)
    assert (derived.value if derived else None) == group
    if derived is not None:
        assert "cN0 assumed" in (derived.basis_note or "")


@pytest.mark.parametrize(
    ("text", "t"),
    [
        ("Papillary carcinoma. Tumor size: 1.4 cm. Extrathyroidal extension: not identified.", "T1b"),
        ("Papillary thyroid carcinoma (0.8 cm), confined to the thyroid gland.", "T1a"),
        ("Tumor size: 3.1 cm. Extrathyroidal extension: absent.", "T2"),
        ("Tumor size: 4.6 cm. The carcinoma invades perithyroid soft tissue.", "T3"),  # over 4 cm: T3 in both
        # minimal extension under 4 cm: T3 in the 7th edition, T2 in the 8th; naming neither gives no T
        ("Tumor size: 3.1 cm. The carcinoma invades perithyroid adipose tissue.", None),
        ("Tumor size: 3.1 cm. The carcinoma invades perithyroid adipose tissue. AJCC 8th edition.", None),
        ("Tumor size: 3.1 cm. Extrathyroidal extension: present, minimal. AJCC 7th edition.", "T3"),
        ("Tumor size: 2.5 cm. Margins: negative.", None),  # extension not stated either way
        ("Tumor size: 4.5 cm, with extrathyroidal extension; the tumor invades the trachea.", None),  # T4a
        # the largest focus decides, and an extension of any focus counts
        (
            "Tumor size: 1.6 cm. Extrathyroidal extension: present. Second tumor: Tumor size: 0.4 cm. "
            "Extrathyroidal extension: not identified.",
            None,
        ),
        # a benign nodule, a node deposit and a category's definition are not the tumour's size
        (
            "Tumor size: 0.9 cm, limited to the thyroid. The largest adenomatous nodule measures 3.5 cm.",
            "T1a",
        ),
        (
            "Metastatic papillary carcinoma (2.5 cm) in one lymph node. Papillary carcinoma (1.5 cm), "
            "confined to the thyroid.",
            "T1b",
        ),
        ("Tumor size: 0.9 cm, limited to the thyroid (category 1: tumor size 2 cm or less).", "T1a"),
    ],
)
def test_thyroid_t_from_size_where_extension_is_stated(text: str, t: str | None) -> None:
    chosen = _select(text, "THPA").t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        note = chosen.basis_note or ""
        assert chosen.basis is Basis.DERIVED and note.startswith("derived from")
        assert "confined" in note or "extension" in note


def test_thyroid_n1_from_any_involved_node() -> None:
    text = (
        "Central compartment: metastatic papillary carcinoma in 2 of 3 lymph nodes (2/3). "
        "Left paratracheal lymph node: metastatic carcinoma in one lymph node."
    )
    assert (chosen := _select(text, "THPA").n) is not None and chosen.value == "N1"
    assert _select(text, "IDC").n is None  # where the count sets the band, an uncounted node still blocks


@pytest.mark.devset
def test_thyroid_t_rule_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """The thyroid size-and-extension rule against the label, stated pT or not. Measured: 26 of 27."""
    fired = right = 0
    for record in devset:
        if record["labels"].get("tcga_project") != "THCA" or expected_value("t", record) is None:
            continue
        derived = staging.t_from_tumour_size([PageText(record["id"], 1, record["text"])], "WDTC")
        if derived is not None:
            fired += 1
            right += main_category("t", derived.value) == expected_value("t", record)
    assert fired >= 25 and right / fired >= 0.9, (fired, right)


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        (
            "Tumor focality: solitary. Tumor size: 3.0 cm. Lymph-vascular invasion: not identified.",
            "HCC",
            "T1",
        ),
        ("Tumor number: one. Satellite nodule: no. Vascular invasion: no.", "HCC", "T1"),
        (
            "Hepatocellular carcinoma forming a 3.1 x 2.5 cm mass. Vascular invasion is not. identified.",
            "HCC",
            "T1",
        ),
        (
            "Solitary tumour, 4.0 cm. Microvascular invasion: present. Portal vein invasion: absent.",
            "HCC",
            "T2",
        ),
        (
            "Tumor focality: solitary. Tumor size: 3.2 cm. Vascular invasion: Macroscopic (large vessel) "
            "invasion: absent. Microscopic (small vessel) invasion: present.",
            "HCC",
            "T2",
        ),
        (
            "Multiple tumors; tumor size: 3.5 cm, a second nodule 1.2 cm. Vascular invasion: not identified.",
            "HCC",
            "T2",
        ),
        ("Tumor focality: multiple. Tumor size: 8.0 cm. Vascular invasion: absent.", "HCC", "T3"),
        # 7th edition T2, 8th edition T1a: not guessed
        ("Single tumor measuring 1.5 cm. Microvascular invasion: present.", "HCC", None),
        ("Single tumor measuring 1.5 cm. Liver size: 15 cm. Microvascular invasion: present.", "HCC", None),
        # a large vessel may be a major branch: T3b (7th) or T4 (8th)
        ("Tumor focality: multiple. Tumor size: 8.0 cm. Portal vein invasion: present.", "HCC", None),
        ("Solitary tumor, 4 cm. Vascular invasion: present.", "HCC", None),  # which vessels?
        ("Solitary tumor, 4 cm. Venous invasion: not specified.", "HCC", None),
        ("Solitary tumor, 4 cm.", "HCC", "T1"),  # no vascular invasion reported at all: read as none
        ("Tumor number: one. Satellite nodule: yes. Vascular invasion: no.", "HCC", None),  # one or several?
        ("Forming a dominant mass. Vascular invasion: no.", "HCC", None),
        ("One section of tumor is submitted. Vascular invasion: not identified.", "HCC", None),
        # necrosis and the nodules of cirrhosis are not further tumours
        ("Solitary tumor, 3 cm, with multiple foci of necrosis. Vascular invasion: absent.", "HCC", "T1"),
        ("Single mass, 3 cm. Multiple regenerative nodules. Vascular invasion: absent.", "HCC", "T1"),
        ("Solitary tumor without vascular invasion; the tumor invades the diaphragm.", "HCC", None),
        # one mass or nodule found on sectioning, also across an OCR'd line break; not a nodule of cirrhosis
        ("Upon sectioning a firm tan mass is identified, measuring 3.0 cm.", "HCC", "T1"),
        ("A light tan opaque. nodule is identified on the cut surface.", "HCC", "T1"),
        ("A regenerative nodule is identified. Vascular invasion: absent.", "HCC", None),
        ("A satellite nodule is identified. Vascular invasion: absent.", "HCC", None),  # how large?
        # "a similar. appearing lesion" (OCR'd line break) is a second tumour
        ("Tumor size: 3.0 cm. There is a similar. appearing lesion. No vascular invasion.", "HCC", "T2"),
        (
            "A firm mass is identified. There is a similar. appearing lesion. No vascular invasion.",
            "HCC",
            None,
        ),
        # several tumours, one over 5 cm, with a vessel that may be a major branch: T3 in the 7th edition, T3
        # or T4 in the 8th
        (
            "AJCC 7th edition. Tumor focality: multiple. Tumor size: 8.0 cm. Portal vein invasion: present.",
            "HCC",
            "T3",
        ),
        (
            "AJCC 8th edition. Tumor focality: multiple. Tumor size: 8.0 cm. Portal vein invasion: present.",
            "HCC",
            None,
        ),
        # intrahepatic bile ducts: vascular invasion or several tumours make T2 whatever the vessel
        (
            "Combined hepatocellular-cholangiocarcinoma, single mass. Lymphovascular invasion: present.",
            "HCCIHCH",
            "T2",
        ),
        ("Tumor focality: multiple. Vascular invasion: not assessed.", "IHCH", "T2"),
        ("Tumor focality: single. Vascular invasion: absent. Periductal invasion is present.", "IHCH", None),
        # a cholangiocarcinoma of unknown site may be perihilar or distal: T is not the number of tumours
        ("Tumor focality: single. Vascular invasion: absent.", "CHOL", None),
    ],
)
def test_liver_t_from_number_of_tumours_and_vascular_invasion(text: str, code: str, t: str | None) -> None:
    chosen = _select(text, code).t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        note = chosen.basis_note or ""
        assert chosen.basis is Basis.DERIVED and note.startswith("derived from") and "AJCC" in note


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        ("Seminoma, 2.0 cm, confined to the testis. Lymphovascular invasion: not identified.", "SEM", "T1"),
        ("Embryonal carcinoma confined to the testis; lymphovascular invasion is present.", "NSGCT", "T2"),
        ("Tumor limited to testis; angioinvasion present.", "NSGCT", "T2"),
        ("Seminoma confined to the testis.", "SEM", None),  # vascular invasion not stated either way
        ("Confined to the testis: no. Lymphovascular invasion: absent.", "SEM", None),
        # the spermatic cord (T3), and the epididymis (T1 in the 7th edition, T2 in the 8th), raise it
        ("Seminoma confined to the testis, invading the spermatic cord. No vascular invasion.", "SEM", None),
        (
            "Tumor confined to the testis with extension into the epididymis. No vascular invasion.",
            "SEM",
            None,
        ),
        (
            "Tumor confined to the testis. Lymphovascular invasion: absent.",
            "IDC",
            None,
        ),  # not a testis tumour
    ],
)
def test_testis_t_from_confinement_and_vascular_invasion(text: str, code: str, t: str | None) -> None:
    chosen = _select(text, code).t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and "confined to the organ" in (chosen.basis_note or "")


def test_liver_t_derived_gives_a_group_with_cn0_assumed() -> None:
    group = _select("Tumor focality: solitary. Vascular invasion: not identified.", "HCC").stage_group
    assert group is not None and group.value == "I"
    assert "cN0 assumed" in (group.basis_note or "") and "cM0 assumed" in (group.basis_note or "")


@pytest.mark.parametrize(
    ("code", "t", "n", "edition", "group"),
    [
        ("HCC", "T3", "N0", None, "III"),  # 7th: IIIA or IIIB by T3a/T3b; 8th: IIIA
        ("HCC", "T3", "N0", 8, "IIIA"),
        ("HCC", "T3b", "N0", None, "IIIB"),  # a 7th-edition category
        ("HCC", "T4", "N0", None, "III"),  # IIIC in the 7th, IIIB in the 8th
        ("HCC", "T4", "N0", 7, "IIIC"),
        ("BLCA", "T2", "N1", 7, "IV"),  # IV in the 7th edition, IIIA in the 8th
        ("IHCH", "T2", "N0", None, "II"),
        ("HCCIHCH", "T1", "N0", None, "I"),
        ("CHOL", "T1", "N0", None, "I"),
        ("CHOL", "T2", "N0", None, None),  # distal bile duct: IB (7th) or IIA (8th)
    ],
)
def test_liver_and_bile_duct_groups_by_edition(
    code: str, t: str, n: str, edition: int | None, group: str | None
) -> None:
    derived = staging.derive_stage_group(
        code, _finding(FindingKind.T, t), _finding(FindingKind.N, n), None, edition
    )
    assert (derived.value if derived else None) == group


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Tumor focality: multiple. Tumor size: 8.0 cm. Portal vein invasion: present.", "III"),
        (
            "AJCC 8th edition. Tumor focality: multiple. Tumor size: 8.0 cm. Vascular invasion: present.",
            "III",
        ),
        ("Tumor focality: multiple. Tumor size: 8.0 cm. Portal vein invasion: unknown.", "III"),
        # the largest of several sizes ends a range; OCR breaks the line after "to"
        (
            "Multiple nodules measuring from 1.0 x 1.0 cm to. 11.0 x 10.0 cm. Vascular invasion is present.",
            "III",
        ),
        # up to 5 cm: T2, or T3b (7th) or T4 (8th) where the vessel is a major branch: stage II or III
        ("Tumor focality: multiple. Tumor size: 4.0 cm. Portal vein invasion: present.", None),
        # one tumour with a vessel that may be a major branch: T2 or T3b (7th), T2 or T4 (8th)
        ("Tumor focality: solitary. Tumor size: 4.0 cm. Portal vein invasion: present.", None),
        (  # growth beyond the liver blocks the rule
            "Tumor focality: multiple. Tumor size: 8.0 cm. Portal vein invasion: present. Diaphragm invaded.",
            None,
        ),
    ],
)
def test_liver_group_where_the_editions_differ_on_t_but_not_on_the_group(
    text: str, group: str | None
) -> None:
    selection = _select(text, "HCC")
    chosen = selection.stage_group
    assert (chosen.value if chosen else None) == group
    if chosen is not None:
        note = chosen.basis_note or ""
        assert selection.t is None and chosen.basis is Basis.DERIVED
        assert "T3 or T4" in note and "8th edition" in note and chosen.evidence


@pytest.mark.parametrize(
    "text",
    [
        "Chronic hepatitis, stage 3, grade 2.",
        "Chronic hepatitis consistent with hepatitis B grade 2, stage 2.",
    ],
)
def test_hepatitis_stage_is_not_a_cancer_stage(text: str) -> None:
    assert read(text)["stage_group"] == []


@pytest.mark.devset
def test_liver_t_from_tumours_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """The rule on every liver report, stated pT or not. Measured: 16 of 17 right; the one wrong (a solitary
    tumour with microvessel invasion, T2 by the report, T1 in the registry) is label noise."""
    fired = right = 0
    for record in devset:
        if record["labels"].get("tcga_project") not in ("LIHC", "CHOL") or "t" not in record["labels"]:
            continue
        code = predict_report(record["text"], record["id"]).fields["cancer_type"]
        derived = staging.t_from_focality([PageText(record["id"], 1, record["text"])], code or "")
        if derived is not None:
            fired += 1
            right += derived.value == main_category("t", record["labels"]["t"])
    assert fired >= 16 and right / fired >= 0.9, (fired, right)


@pytest.mark.devset
def test_liver_groups_and_distant_metastasis_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """Where T is open between the editions, the group they agree on; and M1 from a distant site of a liver or
    biliary cancer. Measured: 2 groups (both III, both right) and 1 M1 (right)."""
    groups = metastases = 0
    for record in devset:
        if record["labels"].get("tcga_project") not in ("LIHC", "CHOL"):
            continue
        code = predict_report(record["text"], record["id"]).fields["cancer_type"] or ""
        pages = [PageText(record["id"], 1, record["text"])]
        group = staging.stage_group_from_focality(pages, code, None, None, None, assume_n0=True)
        if group is not None:
            groups += 1
            label = expected_value("stage_group", record)
            assert main_category("stage_group", group.value) == label, record["id"]
        m = staging.m_from_distant_metastasis(pages, code)
        if m is not None:
            metastases += 1
            assert m.value == expected_value("m", record), record["id"]
    assert groups >= 2 and metastases >= 1, (groups, metastases)


@pytest.mark.parametrize(
    ("text", "t", "n", "groups"),
    [
        ("Pathologic Stage III. (pT3N1Mn/a).", ["pT3"], ["pN1"], ["III"]),  # M "not applicable" ends the run
        ("pTNM stage: pT2a1, N1 (FIGO IIA1).", ["pT2a1"], ["pN1"], ["IIA1"]),
        ("Final diagnosis: FIGO: IB.", [], [], ["IB"]),
        ("Endometrioid adenocarcinoma, FIGO grade 3.", [], [], []),
        ("FIGO III endometrioid adenocarcinoma of the endometrium.", [], [], []),  # a grade, not a stage
    ],
)
def test_m_not_applicable_and_figo_stages_are_read(
    text: str, t: list[str], n: list[str], groups: list[str]
) -> None:
    found = read(text)
    assert (found["t"], found["n"], [g.lstrip("cp") for g in found["stage_group"]]) == (t, n, groups)


@pytest.mark.parametrize(
    ("text", "t"),
    [
        ("Cervix, biopsy: squamous cell carcinoma. FIGO stage IB1.", "T1b"),
        ("Cervical adenocarcinoma (FIGO IIA2).", "T2a"),
        ("Squamous cell carcinoma of the cervix, FIGO stage IIIC1 (pelvic nodes).", None),  # nodes, not T
        ("Squamous cell carcinoma of the cervix, FIGO stage IV.", None),  # IVA (T4) or IVB (any T)
        ("Clinical FIGO stage IB2; pathologic FIGO stage IIB.", None),  # stages that disagree on T
    ],
)
def test_cervix_t_from_a_stated_figo_stage(text: str, t: str | None) -> None:
    chosen = _select(text, "CESC").t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and "stage" in (chosen.basis_note or "")


def test_figo_stages_give_t_only_for_the_cervix() -> None:
    assert _select("Endometrioid adenocarcinoma, FIGO stage IB.", "UEC").t is None


@pytest.mark.parametrize(
    ("text", "t"),
    [
        (
            "Radical hysterectomy: squamous cell carcinoma invades to a depth of 7 mm. Parametria, "
            "radical hysterectomy: no carcinoma identified. Vagina: no carcinoma identified.",
            "T1b",
        ),
        (
            "Adenocarcinoma, depth of invasion 4 mm. No parametrial involvement. Vagina free of tumor.",
            "T1",  # 5 mm or less: T1a or T1b by horizontal spread and edition
        ),
        ("Cervical biopsy: squamous carcinoma invades to a depth of 4 mm.", None),  # parametria unknown
        (
            "Carcinoma invades to a depth of 9 mm. Parametrial margin negative. Vagina free of tumor.",
            None,  # a margin's status is not the parametrium's
        ),
        (
            "Carcinoma invades to a depth of 15 mm and extends into the right parametrium. Left parametrium: "
            "no carcinoma identified. Vagina: no carcinoma identified.",
            None,
        ),
    ],
)
def test_cervix_t1_needs_the_parametria_and_vagina_stated_free(text: str, t: str | None) -> None:
    chosen = _select(text, "CESC").t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert "free of tumour" in (chosen.basis_note or "")


@pytest.mark.parametrize(
    ("text", "t"),
    [
        ("Tumor size: 1.8 cm. Depth of invasion: 4 mm.", "T1"),
        ("Tumor size: 1.8 cm. Depth of invasion: 7 mm.", None),  # T1 in the 7th edition, T2 in the 8th
        ("Tumor size: 3.0 cm. Depth of invasion: 8 mm.", "T2"),
        ("Tumor size: 5.0 cm. Depth of invasion: 6 mm.", "T3"),
        ("Tumor size: 5.0 cm. Depth of invasion: 12 mm.", None),  # T3 or, since the 2018 update, T4a
        ("Tumor size: 3.0 cm.", None),  # the 8th edition needs the depth
        ("Tumor size: 3.0 cm. Depth of invasion 8 mm. The carcinoma invades through cortical bone.", "T4a"),
        ("The carcinoma infiltrates the mandibular ramus and the masticator space.", "T4b"),
    ],
)
def test_oral_cavity_t_where_the_editions_agree(text: str, t: str | None) -> None:
    chosen = _select(text, "OCSC").t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED


@pytest.mark.parametrize(
    ("text", "t"),
    [
        ("Squamous carcinoma invades through the thyroid cartilage into the strap muscles.", "T4a"),
        ("Carcinoma with involvement of the adjacent soft tissues and thyroid gland.", "T4a"),
        (
            "The tumor involves the thyroid cartilage. but does not extend. into the thyroid lobe.",
            None,
        ),
        ("Transglottic squamous cell carcinoma, 3.5 cm.", None),  # T1-T3 depend on subsites and mobility
        (
            "Carcinoma in one lymph node with extranodal extension into the adjacent soft tissues.",
            None,  # a node's spread is N
        ),
    ],
)
def test_larynx_t4_from_extension_beyond_the_larynx(text: str, t: str | None) -> None:
    chosen = _select(text, "LXSC").t
    assert (chosen.value if chosen else None) == t


def test_a_derived_larynx_t4a_gives_stage_iv_whatever_the_nodes() -> None:
    group = _select(
        "Carcinoma invades through the thyroid cartilage into the strap muscles.", "LXSC"
    ).stage_group
    assert group is not None and group.value == "IV" and group.basis is Basis.DERIVED


@pytest.mark.parametrize(
    ("text", "t"),
    [
        ("Tumour size: LBD 15mm, height 12mm.", "T3"),
        ("Largest basal diameter 8 mm, thickness 4 mm.", "T1"),
        ("Largest basal diameter 10 mm, thickness 4 mm.", "T2"),
        ("Largest basal diameter 16 mm, thickness 13 mm.", "T4"),
        ("Large diameter 20 mm. Thickness 2 mm.", "T4"),
        ("LBD 15mm, height 12mm. Extrascleral extension is present.", None),
        (
            "LBD 15mm. There is no evidence of scleral invasion. or of extraocular growth.",
            None,
        ),  # no thickness
    ],
)
def test_uveal_melanoma_t_from_basal_diameter_and_thickness(text: str, t: str | None) -> None:
    chosen = _select(text, "UM").t
    assert (chosen.value if chosen else None) == t
    if chosen is not None:
        assert "largest basal diameter" in (chosen.basis_note or "")


@pytest.mark.parametrize(
    ("text", "code", "m"),
    [
        ("B. LIVER, BIOPSY: - METASTATIC ADENOCARCINOMA CONSISTENT WITH THE COLONIC PRIMARY.", "COAD", "M1"),
        ("A. Peritoneal implant, biopsy: - positive for adenocarcinoma.", "COAD", "M1"),
        ("This concerns 1) liver metastases of an adenocarcinoma of the colon.", "READ", "M1"),
        ("Adrenal gland, adrenalectomy: metastatic carcinoma involving the adrenal gland.", "CCRCC", "M1"),
        ("Liver, wedge biopsy: no evidence of metastatic carcinoma.", "COAD", None),
        ("No liver metastases were seen at surgery.", "COAD", None),
        ("Renal mass, most likely with brain metastasis; rule out metastatic disease.", "CCRCC", None),
        ("Omentum: metastatic high-grade serous carcinoma.", "HGSOC", None),  # peritoneal spread is T3 there
        ("Metastatic carcinoma in 2 of 12 lymph nodes.", "COAD", None),  # regional nodes are N
        ("Lymph node (hepatic artery), excision: metastatic adenocarcinoma (1/1).", "PAAD", None),
        ("Lung lymph nodes, hilar: metastatic carcinoma (1/3).", "IDC", None),
        ("Omentum, biopsy: Metastatic cholangiocarcinoma.", "CHOL", "M1"),
        ("Lung, wedge resection: metastatic hepatocellular carcinoma.", "HCC", "M1"),
        # further tumours in the liver are T for the intrahepatic bile ducts
        ("Liver, segment 3, wedge resection: metastatic cholangiocarcinoma.", "IHCH", None),
    ],
)
def test_m1_only_from_documented_distant_metastasis(text: str, code: str, m: str | None) -> None:
    chosen = _select(text, code).m
    assert (chosen.value if chosen else None) == m
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and "distant metastasis" in (chosen.basis_note or "")


def test_documented_metastasis_makes_stage_iv() -> None:
    text = "Colon, resection: adenocarcinoma, pT3 pN1 (2/14). Liver, biopsy: metastatic adenocarcinoma."
    group = _select(text, "COAD").stage_group
    assert group is not None and group.value == "IV" and "cM0 assumed" not in (group.basis_note or "")


@pytest.mark.parametrize(
    ("text", "code", "group"),
    [
        ("Pathologic stage: pT3 pN0 (0/14).", "COAD", "IIA"),
        ("Pathologic stage: pT3 pN1 (2/14).", "COAD", None),  # node-positive: III or IV, M decides
        ("Pathologic stage: pT3 pN1 (2/14) M1.", "COAD", "IV"),
        ("AJCC: pT1b NX MX.", "CCRCC", "I"),
        ("AJCC: pT3a NX MX.", "CCRCC", None),  # nodes and spread unreported
        ("AJCC: pT3a pN0 MX.", "CCRCC", "III"),
        ("AJCC: pT4 NX MX.", "CCRCC", "IV"),  # stage IV whatever M is
    ],
)
def test_no_cm0_where_distant_spread_is_common(text: str, code: str, group: str | None) -> None:
    chosen = _select(text, code).stage_group
    assert (chosen.value if chosen else None) == group


def test_a_recurrence_gives_no_derived_group() -> None:
    text = "Recurrent adenocarcinoma of the rectum, pT3 pN0 (0/4)."
    selection = _select(text, "READ")
    assert selection.t is not None and selection.stage_group is None


def test_a_stated_number_of_involved_nodes_is_not_silence() -> None:
    text = "Lymph Nodes: Free of tumor. Number of metastatic nodes: 2. Staging: pT1, limited to the kidney."
    selection = _select(text, "CCRCC")
    assert selection.n is None and selection.stage_group is None


@pytest.mark.parametrize(
    ("text", "size", "group"),
    [
        ("3.5 cm", "IB", "I"),
        ("4.5 cm", None, None),  # T2a in the 7th edition, T2b in the 8th
        ("4.5 cm. AJCC 7th edition", "IB", "I"),
        ("4.5 cm. pTNM stage (AJCC 6TH ADDITION)", "IB", "I"),  # the 6th counts as the 7th
        ("4.5 cm. AJCC 8th edition", None, None),
        ("5.5 cm. AJCC 7th edition", None, None),  # T2b in the 7th edition
    ],
)
def test_lung_t2_refined_by_size_for_the_group(text: str, size: str | None, group: str | None) -> None:
    chosen = _select(f"Tumor size: {text}. Visceral pleural invasion present. pT2 pN0.", "LUAD").stage_group
    assert (chosen.value if chosen else None) == size
    if chosen is not None:
        assert main_category("stage_group", chosen.value) == group
        assert "T2a by a tumour size" in (chosen.basis_note or "")


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        ("Tumor size: 3 cm. The tumor extends into the adrenal gland.", "CCRCC", None),  # T3a 6th, T4 7th
        ("Tumor size: 8 cm. It invades through Gerota's fascia into the perinephric fat.", "CCRCC", None),
        ("Size: 8 cm. Extends through the renal capsule, confined within Gerota's fascia.", "CCRCC", "T3"),
        ("Tumor size: 3.0 cm. Perirenal adipose tissue: grossly negative.", "CCRCC", "T1"),
        ("Tumor size: 3.0 cm. Perinephric fat invasion: present.", "CCRCC", "T3"),
        ("Tumor size: 4.5 cm. No. invasion of the renal sinus or renal vein is identified.", "CCRCC", "T1"),
        ("Tumor size: 4.5 cm. It bulges into the sinus fat without. infiltrative borders.", "CCRCC", "T1"),
        ("Sections of tumor in relation to perirenal fat. Tumor size: 3 cm.", "CCRCC", "T1"),
        ("Tumor extent: Serosa (visceral peritoneum). Invasion into perigastric fat.", "STAD", None),
        ("Tumor invading right seminal vesicle.", "PRAD", "T3"),
        ("Seminal vesicles: no tumor present. Tumor invades the bladder neck.", "PRAD", None),
        ("Ductal adenocarcinoma (2.8 cm), confined to the pancreas.", "PAAD", "T2"),
        ("Ductal adenocarcinoma, 5.0 cm.", "PAAD", None),  # T2 in the 7th edition, T3 in the 8th
        ("Ductal adenocarcinoma, 3.0 cm, invading peripancreatic soft tissue.", "PAAD", None),
    ],
)
def test_kidney_prostate_and_pancreas_t_rules(text: str, code: str, t: str | None) -> None:
    chosen = _select(text, code).t
    assert (chosen.value[:2] if chosen else None) == t
    if chosen is not None:
        assert chosen.basis is Basis.DERIVED and (chosen.basis_note or "").startswith("derived from")


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        ("Comments: 7.0 mm deep, IV level by Clark.", "SKCM", "T4"),
        ("Gross: tumor is 96g; measuring 6.7 X 4.6cm. Adrenal cortical carcinoma.", "ACC", "T2"),
        ("Tumor size: 5 cm. The tumor does not extend. into the perinephric fat.", "CCRCC", "T1b"),
        ("Sections labeled RP1 through RP4 - right perinephric fat. Tumor size: 3 cm.", "CCRCC", "T1a"),
        ("Metastatic adenocarcinoma involving pericolic lymph nodes (2/14).", "COAD", None),
        ("Tumor size: 3 cm. No. renal vein invasion is identified.", "CCRCC", "T1a"),
        ("Tumor size: 3 cm. Renal vein invasion?: No.", "CCRCC", "T1a"),
        ("Deepest extension of mass in relationship to perinephric fat. Tumor size: 3 cm.", "CCRCC", "T1a"),
        # an OCR'd full stop just before the structure does not end the sentence
        ("Carcinoma infiltrates the temporomandibular joint,. mandibular ramus and palate.", "OCSC", "T4a"),
    ],
)
def test_more_forms_of_size_and_denied_extension(text: str, code: str, t: str | None) -> None:
    chosen = _select(text, code).t
    assert (chosen.value if chosen else None) == t


@pytest.mark.parametrize(
    ("t", "n", "edition", "group"),
    [
        ("T2", "N0", None, None),  # 7th: II, 8th: IB
        ("T2", "N0", 7, "II"),
        ("T2", "N0", 8, "IB"),
        ("T3", "N2", None, "III"),  # 7th: III, 8th: IIIB
        ("T4", "N0", 7, "IV"),
        ("T4", "N0", None, None),  # 7th: IV, 8th: IIIB
    ],
)
def test_mesothelioma_groups_where_the_editions_agree_or_one_is_named(
    t: str, n: str, edition: int | None, group: str | None
) -> None:
    derived = staging.derive_stage_group(
        "PLEMESO", _finding(FindingKind.T, t), _finding(FindingKind.N, n), None, edition
    )
    assert (derived.value if derived else None) == group


_NEW_T_RULES = {"oral cavity", "larynx", "uveal melanoma", "cervix"}


@pytest.mark.devset
def test_new_t_rules_are_right_where_they_fire_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """Each rule run on every report of its cancers, T stated or not. Measured: 12 fire, 12 right."""
    fired = right = 0
    for record in devset:
        page = PageText(record["id"], 1, record["text"])
        types = [
            f
            for f in extract_page(page, (cancer_type.extract,))
            if f.kind is FindingKind.CANCER_TYPE and f.assertion is Assertion.PRESENT
        ]
        chosen = cancer_type.select_cancer_type(types)
        label = expected_value("t", record)
        if chosen is None or label is None:
            continue
        code = chosen.value
        data = staging._compiled().data
        stages = [f for f in staging.extract(page) if f.kind is FindingKind.STAGE_GROUP]
        derived = [
            (staging._rule_for(data.t_from_stage, code), staging.t_from_stage(stages, code)),
            (staging._rule_for(data.t_from_extent, code), staging.t_from_extent([page], code)),
            (staging._rule_for(data.t_from_size, code), staging.t_from_tumour_size([page], code)),
        ]
        for rule, found in derived:
            if rule is not None and rule.name in _NEW_T_RULES and found is not None:
                fired += 1
                right += main_category("t", found.value) == main_category("t", label)
    assert fired >= 10 and right / fired >= 0.9, (fired, right)


@pytest.mark.parametrize(
    ("text", "code", "t"),
    [
        ("Tumor Size: Greatest diameter is 3.5 cm.", "CCRCC", "T1a"),
        ("THE GREATEST DIAMETER OF THE NEOPLASM IS 8.5 CM.", "CCRCC", "T2a"),
        ("Lobectomy: infiltrating adenocarcinoma (5 cm), not involving the pleura.", "LUAD", "T2"),
        ("Malignancy is 1.6 cm in greatest dimension.", "LUAD", "T1"),
        ("There is a firm mass measuring 1.8 by 1.5 by 1.1 cm.", "IDC", "T1c"),
        ("There is a 3.9 x 3.5 x 3.2 cm rubbery tan-white tumor mass.", "IDC", "T2"),
        # up to four describing words, with commas and OCR'd line breaks between them
        (
            "The cut surface shows a 6.2 x 5.3 x 6.0 cm, tan-brown, lobulated,. soft, encapsulated tumor.",
            "ACC",
            "T2",
        ),
        ("Sections show a 4.5 x 3.0 x 2.5 cm homogeneous smooth round tan. tumor.", "ACC", "T1"),
        # OCR'd full stops after a multiplication sign and before the unit
        ("The tumor measures 9.5 x 7.2 X. 5.9. cm.", "CCRCC", "T2a"),
        ("Tumor size: 2.3 x. 2.2 x 2.0 cm.", "IDC", "T2"),
        # OCR split the decimal: "4. 2" is 4.2 before another dimension
        ("Tumor size: 4. 2 x 3.5 x 3.9 cm.", "CCRCC", "T1b"),
        ("Tumor size: 3.5 x 4. 2 x 3.9 cm.", "CCRCC", "T1b"),
    ],
)
def test_size_phrasings(text: str, code: str, t: str) -> None:
    chosen = _select(text, code).t
    assert chosen is not None and chosen.value == t


@pytest.mark.parametrize(
    "text",
    [
        "Breast, 12 x 8 x 2.5 cm, with a 25 x 14 cm skin. Flap. Tumour margins are clear.",  # a sentence ends
        "There is a 6.0 cm area of fibrosis adjacent to the tumor.",  # a part, not the tumour
        "Received a 3.5 cm lymph node with tumor.",
        "Tumor size: see note 3. 4 cm margin.",  # a full stop before a number that no dimension follows
    ],
)
def test_a_size_is_not_read_across_sentences_nor_from_other_structures(text: str) -> None:
    assert _select(text, "IDC").t is None


def test_ajcc_glued_to_the_category() -> None:
    assert read("forming a 2.3 cm mass (AJCCpT2). [AJCCpT2bNO 7th edition]")["t"] == ["pT2", "pT2b"]


# A code of each TCGA project's cancer, to run one rule on the dev set's texts without the whole pipeline.
_PROJECT_CODES = {
    "COAD": "COAD",
    "READ": "READ",
    "STAD": "STAD",
    "PAAD": "PAAD",
    "ESCA": "ESCA",
    "BRCA": "IDC",
    "KIRC": "CCRCC",
    "KIRP": "PRCC",
    "KICH": "CHRCC",
    "LUAD": "LUAD",
    "LUSC": "LUSC",
    "BLCA": "BLCA",
    "PRAD": "PRAD",
}


def _rule_on_the_dev_set(devset: list[dict[str, Any]], field: str, rule: Any) -> tuple[int, int, int]:
    """How often a rule fires on the dev set's texts, how many of those are labeled, how many agree."""
    fires = labeled = right = 0
    for record in devset:
        code = _PROJECT_CODES.get(record["labels"].get("tcga_project", ""))
        found = code and rule([PageText(record["id"], 1, record["text"])], code)
        if not found:
            continue
        fires += 1
        label = expected_value(field, record)
        if label is not None:
            labeled += 1
            right += main_category(field, found.value) == label
    return fires, labeled, right


@pytest.mark.devset
def test_m1_from_documented_metastasis_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """Measured: fires on 6 reports, each labeled M1."""
    fires, labeled, right = _rule_on_the_dev_set(devset, "m", staging.m_from_distant_metastasis)
    assert fires >= 5 and right == labeled, (fires, labeled, right)


@pytest.mark.devset
def test_t_from_extent_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """Measured where it fires, stated T or not: kidney 15/17 (both misses are reports calling sinus or
    perirenal fat invaded that the registry labels T2), prostate 23/25, colorectal 22/24, stomach 16/19,
    esophagus 8/9."""
    fires, labeled, right = _rule_on_the_dev_set(devset, "t", staging.t_from_extent)
    assert fires >= 80 and right / labeled >= 0.85, (fires, labeled, right)


@pytest.mark.devset
def test_n0_from_nodes_stated_free_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """N0 from regional nodes called free of tumour or negative without a count, run on every report whether
    it states N or not. Measured: fires on 19, each labeled N0."""

    def stated_free(pages: list[PageText], code: str) -> Finding | None:
        found = staging.n_from_node_counts(pages, code)
        return found if found is not None and "stated free" in (found.basis_note or "") else None

    fires, labeled, right = _rule_on_the_dev_set(devset, "n", stated_free)
    assert fires >= 15 and right / labeled >= 0.95, (fires, labeled, right)


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Lymph nodes: 1/12 positive for metastasis.", "N1"),
        ("Satellite nodules: Not specified. Lymph nodes: 2/9 positive for metastasis.", "N2"),
        ("Inguinal lymph nodes: metastatic melanoma in 5 of 11 lymph nodes (5/11).", "N3"),
        ("Lymph nodes: 0/4 positive.", "N0"),
        # satellite or in-transit metastases and matted nodes raise N beyond what the count gives
        ("Satellite nodules: present. Lymph nodes: 1/9 positive for metastasis.", None),
        ("In-transit metastasis identified. Sentinel lymph nodes: 0/2.", None),
        ("Metastatic melanoma in three matted lymph nodes (3/14).", None),
    ],
)
def test_melanoma_n_from_the_number_of_involved_nodes(text: str, n: str | None) -> None:
    chosen = _select(text, "SKCM").n
    assert (chosen.value if chosen else None) == n


def test_melanoma_n_and_breslow_t_make_stage_iii() -> None:
    text = "Malignant melanoma. Breslow tumor thickness: 2.5 mm. Lymph nodes: 2/9 positive for metastasis."
    group = _select(text, "SKCM").stage_group
    assert group is not None and group.value == "III" and group.basis is Basis.DERIVED
    assert "T3 pN2" in (group.basis_note or "") and "cM0 assumed" in (group.basis_note or "")


@pytest.mark.devset
def test_n_from_node_counts_on_the_dev_set(devset: list[dict[str, Any]]) -> None:
    """Count-based N (and N0 from nodes stated free) against the label, stated N or not. Measured: 204 fire,
    177 of 189 labeled right (174/187 before the melanoma bands, "of which" counts and "Lymph nodes:
    Negative")."""
    fires, labeled, right = _rule_on_the_dev_set(devset, "n", staging.n_from_node_counts)
    assert fires >= 200 and right / labeled >= 0.93, (fires, labeled, right)


@pytest.mark.devset
@pytest.mark.parametrize(
    "record_id",
    [
        "TCGA-A8-A07G",  # "pT1cN1aLOVORO": OCR'd descriptors after the run
        "TCGA-A7-A3IZ",  # "(pNOi+)": isolated tumour cells, unbracketed
        "TCGA-67-3772",  # pT2 pN0 of 4.3 cm under "AJCC 6TH ADDITION": T2a N0 in the 6th/7th edition
        "TCGA-D8-A1JT",  # "Lymph nodes negative for cancer"
    ],
)
def test_stage_groups_from_forms_once_missed(devset_by_id: dict[str, dict[str, Any]], record_id: str) -> None:
    record = devset_by_id[record_id]
    predicted = predict_report(record["text"], record_id).fields["stage_group"]
    assert predicted is not None and predicted == expected_value("stage_group", record)


@pytest.mark.devset
@pytest.mark.parametrize(
    ("record_id", "field", "value", "basis"),
    [
        # melanoma: N by the number of involved nodes, with T from the Breslow thickness
        ("TCGA-EB-A82B", "n", "N2", "2 of 9 regional lymph nodes involved"),
        ("TCGA-EB-A82B", "stage_group", "III", "melanoma of the skin stage table"),
        # a synoptic "Lymph nodes: Negative for metastasis" without a count
        ("TCGA-BR-4267", "n", "N0", "stated free of tumour"),
        ("TCGA-BR-4267", "stage_group", "IB", "stomach stage table"),
        # "13 lymph nodes, of which 2 contain tumor"
        ("TCGA-2H-A9GM", "n", "N1", "2 of 13 regional lymph nodes involved"),
        # a size written "9.5 x 7.2 X. 5.9. cm"
        ("TCGA-BP-4173", "t", "T2a", "largest tumour size"),
        ("TCGA-BP-4173", "stage_group", "II", "kidney stage table"),
    ],
)
def test_new_derivations_on_dev_set_reports(
    devset_by_id: dict[str, dict[str, Any]], record_id: str, field: str, value: str, basis: str
) -> None:
    record = devset_by_id[record_id]
    document = text_document(record["text"], record_id)
    chosen = getattr(profile_of([document], extract_document(document)), field).chosen
    assert chosen is not None and chosen.value == value and chosen.basis is Basis.DERIVED
    assert basis in (chosen.basis_note or "")
    assert main_category(field, chosen.value) == expected_value(field, record)


@pytest.mark.devset
def test_a_block_code_is_not_read_as_n(devset_by_id: dict[str, dict[str, Any]]) -> None:
    """A bladder resection report whose list of blocks reads "N1,2: lymph nodes. N3: possible lymph node."."""
    record = devset_by_id["TCGA-XF-AAMF"]
    assert predict_report(record["text"], record["id"]).fields["n"] is None
