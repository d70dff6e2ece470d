"""The domain schema round-trips through JSON unchanged and rejects what it should."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import PrivateAttr, ValidationError

from oncoguide.domain import (
    Analysis,
    Assertion,
    Basis,
    Biomarker,
    BiomarkerResult,
    Box,
    Document,
    DocumentRef,
    DrugClass,
    Evidence,
    FieldStatus,
    Finding,
    FindingKind,
    Guidance,
    GuidanceSection,
    Page,
    PageSource,
    PatientProfile,
    ProfileField,
    SectionId,
    Source,
    Statement,
    Treatment,
    TreatmentModality,
    TreatmentStatus,
    Word,
    constructor,
)

EVIDENCE = Evidence(
    document_id="doc1",
    page=2,
    start=10,
    end=24,
    quote="KRAS p.G12C",
    box=Box(x0=72.0, top=100.5, x1=140.0, bottom=112.0),
)


def _analysis() -> Analysis:
    kras = Finding(
        kind=FindingKind.BIOMARKER,
        value="KRAS p.G12C",
        display="KRAS G12C mutation",
        biomarker=Biomarker(
            marker="KRAS", gene="KRAS", alteration="p.G12C", result=BiomarkerResult.POSITIVE, method="NGS"
        ),
        evidence=[EVIDENCE],
        confidence=0.95,
    )
    stage = Finding(
        kind=FindingKind.STAGE_GROUP,
        value="IV",
        display="Stage IV",
        basis=Basis.DERIVED,
        basis_note="described as metastatic",
        date=dt.date(2025, 3, 3),
        evidence=[EVIDENCE],
    )
    drug = Finding(
        kind=FindingKind.TREATMENT,
        value="pembrolizumab",
        display="pembrolizumab",
        assertion=Assertion.HISTORICAL,
        treatment=Treatment(
            agent="pembrolizumab",
            modality=TreatmentModality.SYSTEMIC,
            drug_class=DrugClass.IMMUNOTHERAPY,
            status=TreatmentStatus.STOPPED,
            reason_stopped="progression",
            start=dt.date(2024, 5, 1),
            line=1,
        ),
    )
    page = Page(
        number=1,
        text="Lung adenocarcinoma",
        source=PageSource.TEXT_LAYER,
        words=[Word(text="Lung", start=0, box=Box(x0=1, top=2, x1=3, bottom=4))],
        tables=[[["Gene", "Alteration"], ["KRAS", None]]],
    )
    profile = PatientProfile(
        stage_group=ProfileField(status=FieldStatus.KNOWN, value="IV", display="Stage IV", chosen=stage),
        biomarkers=[kras],
        treatments=[drug],
        documents=[DocumentRef(id="doc1", filename="pathology.pdf")],
    )
    source = Source(id="nci-staging", title="Cancer Staging", publisher="National Cancer Institute")
    guidance = Guidance(
        disclaimer="For information only.",
        sections=[
            GuidanceSection(
                id=SectionId.STAGE,
                title="What your stage means",
                statements=[Statement(text="Stage IV means...", rule_id="stage.iv", sources=[source])],
            )
        ],
        kb_version="2026.11",
    )
    return Analysis(
        generated_at=dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC),
        documents=[
            Document(id="doc1", filename="a.pdf", media_type="application/pdf", sha256="0" * 64, pages=[page])
        ],
        findings=[kras, stage, drug],
        profile=profile,
        guidance=guidance,
    )


def test_analysis_round_trips_through_json() -> None:
    analysis = _analysis()
    restored = Analysis.model_validate_json(analysis.model_dump_json())
    assert restored == analysis
    assert restored.profile.biomarkers[0].biomarker.alteration == "p.G12C"
    assert restored.findings[2].treatment.start == dt.date(2024, 5, 1)


def test_json_schema_is_generated_for_every_model() -> None:
    schema = Analysis.model_json_schema()
    assert {"Document", "Finding", "PatientProfile", "Guidance", "Evidence"} <= set(schema["$defs"])


def test_unknown_keys_are_rejected_not_dropped() -> None:
    data = EVIDENCE.model_dump()
    data["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        Evidence.model_validate(data)


def test_a_statement_without_a_source_is_invalid() -> None:
    with pytest.raises(ValidationError):
        Statement(text="Uncited claim", rule_id="r1", sources=[])


def test_page_numbers_start_at_one() -> None:
    with pytest.raises(ValidationError):
        Page(number=0, source=PageSource.PLAIN_TEXT)


def test_document_text_joins_pages() -> None:
    pages = [Page(number=i, text=f"p{i}", source=PageSource.TEXT_LAYER) for i in (1, 2)]
    document = Document(id="d", filename="f.pdf", media_type="application/pdf", sha256="x", pages=pages)
    assert document.text == "p1\n\np2"


def test_unknown_is_the_default_profile_state() -> None:
    profile = PatientProfile()
    assert profile.stage_group.status is FieldStatus.UNKNOWN
    assert profile.stage_group.value is None


def test_constructed_words_are_validated_words() -> None:
    new_word, new_box = constructor(Word), constructor(Box)
    made = new_word(
        {"text": "pT2", "start": 7, "box": new_box({"x0": 1.5, "top": 2.0, "x1": 3.25, "bottom": 4.0})}
    )
    validated = Word(text="pT2", start=7, box=Box(x0=1.5, top=2.0, x1=3.25, bottom=4.0))
    assert made == validated
    assert made.model_dump_json() == validated.model_dump_json()
    assert repr(made) == repr(validated)
    assert made.model_fields_set == validated.model_fields_set == {"text", "start", "box"}
    assert made.box.model_fields_set == validated.box.model_fields_set
    assert Word.model_validate_json(made.model_dump_json()) == made
    # The fields set is shared by every constructed word: assigning a field must leave it as it was.
    other = new_word({"text": "N0", "start": 11, "box": made.box})
    made.start = 8
    assert other.model_fields_set == {"text", "start", "box"}
    assert made.model_copy(update={"start": 9}).start == 9 and made.start == 8


def test_constructor_refuses_models_that_need_more_than_their_fields() -> None:
    class Cached(Box):
        _area: float = PrivateAttr(default=0.0)

    with pytest.raises(TypeError, match="Cached"):
        constructor(Cached)
