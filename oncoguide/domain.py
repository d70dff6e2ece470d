"""The domain schema, defined once and imported by every layer.

Documents and pages come out of ingestion, findings out of extraction, the profile out of
reconciliation and the guidance out of the rules engine. All are pydantic v2 models so they
round-trip through JSON unchanged (the API, the CLI and the workers exchange them as JSON).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class Model(BaseModel):
    """Base for every domain model: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


M = TypeVar("M", bound=Model)


def constructor(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """`model.model_construct` for values known valid that give every field, at a third of its cost.

    For the many small objects a reader builds from data it has just read (a page's ~400 words and
    their boxes): no validation, no loop over the fields, and one fields-set shared by all instances
    instead of a set each, so a word and its box are 3 objects for the cyclic GC to track, not 5. The
    set never changes: every field is in it. The instances equal, and serialize as, validated ones.
    """
    if (
        model.__pydantic_post_init__
        or model.__private_attributes__
        or model.model_config.get("extra") == "allow"
    ):
        raise TypeError(f"{model.__name__} needs more than its fields set when constructed")
    every_field = set(model.model_fields)
    new, put = object.__new__, object.__setattr__

    def construct(values: dict[str, Any]) -> M:
        instance = new(model)
        # The four slots pydantic's model_construct sets.
        put(instance, "__dict__", values)
        put(instance, "__pydantic_fields_set__", every_field)
        put(instance, "__pydantic_extra__", None)
        put(instance, "__pydantic_private__", None)
        return instance

    return construct


# --- documents -------------------------------------------------------------------------------


class PageSource(StrEnum):
    TEXT_LAYER = "text_layer"  # text read from the PDF's own text layer
    OCR = "ocr"  # text recognised by Tesseract from the page image
    PLAIN_TEXT = "plain_text"  # a plain-text record (one page)
    NEEDS_OCR = "needs_ocr"  # no text layer and no OCR engine available: text is empty
    FAILED = "failed"  # the page could not be read; `error` says why


class Box(Model):
    """A rectangle on a page in PDF points, origin top-left (pdfplumber's convention)."""

    x0: float
    top: float
    x1: float
    bottom: float


class Word(Model):
    """A word of the page text with its box; `start` is its offset in `Page.text`."""

    text: str
    start: int
    box: Box


class Page(Model):
    number: int = Field(ge=1, description="1-based page number in its document")
    text: str = ""
    source: PageSource
    words: list[Word] = Field(default_factory=list)
    tables: list[list[list[str | None]]] = Field(default_factory=list)
    error: str | None = None


class Document(Model):
    id: str
    filename: str
    media_type: str
    sha256: str
    pages: list[Page]
    warnings: list[str] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)


# --- findings --------------------------------------------------------------------------------


class Evidence(Model):
    """Where a value came from: exact enough for a navigator to find and check it."""

    document_id: str
    page: int = Field(ge=1)
    start: int = Field(ge=0, description="character offset in the page text")
    end: int = Field(ge=0)
    quote: str
    box: Box | None = None


class Assertion(StrEnum):
    PRESENT = "present"
    NEGATED = "negated"
    POSSIBLE = "possible"
    HYPOTHETICAL = "hypothetical"  # planned, pending, "if positive"
    HISTORICAL = "historical"
    FAMILY = "family"


class FindingKind(StrEnum):
    CANCER_TYPE = "cancer_type"
    HISTOLOGY = "histology"
    PRIMARY_SITE = "primary_site"
    LATERALITY = "laterality"
    GRADE = "grade"
    T = "t"
    N = "n"
    M = "m"
    STAGE_GROUP = "stage_group"
    METASTATIC_SITE = "metastatic_site"
    BIOMARKER = "biomarker"
    TREATMENT = "treatment"


class Basis(StrEnum):
    STATED = "stated"  # written in the record
    DERIVED = "derived"  # computed from other findings; `Finding.basis_note` says how


class BiomarkerResult(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"
    NOT_TESTED = "not_tested"
    PENDING = "pending"
    MEASURED = "measured"  # a value with no positive or negative cut-off: Ki-67, a recurrence score


class Biomarker(Model):
    """A biomarker result at the level of the variant or the score."""

    marker: str = Field(description="what was tested: an HGNC symbol or a named marker (PD-L1, TMB, MSI)")
    gene: str | None = Field(default=None, description="HGNC symbol where the marker is a gene")
    alteration: str | None = Field(
        default=None, description="HGVS protein change (p.G12C) or a named class (exon 19 deletion, fusion)"
    )
    partner: str | None = Field(default=None, description="fusion partner gene")
    result: BiomarkerResult
    method: str | None = Field(default=None, description="IHC, FISH, NGS, PCR ...")
    score: str | None = Field(default=None, description="IHC score (0, 1+, 2+, 3+) or MSI-H/MSS style value")
    value: float | None = Field(default=None, description="numeric value: percent, ratio, mut/Mb")
    unit: str | None = Field(default=None, description="%, TPS, CPS, ratio, mut/Mb")


class DrugClass(StrEnum):
    CHEMOTHERAPY = "chemotherapy"
    TARGETED = "targeted"
    IMMUNOTHERAPY = "immunotherapy"
    HORMONE = "hormone"
    OTHER = "other"


class TreatmentModality(StrEnum):
    SYSTEMIC = "systemic"
    SURGERY = "surgery"
    RADIATION = "radiation"


class TreatmentStatus(StrEnum):
    RECEIVED = "received"
    ONGOING = "ongoing"
    PLANNED = "planned"
    CONSIDERED = "considered"
    DECLINED = "declined"
    STOPPED = "stopped"


class Treatment(Model):
    agent: str = Field(description="generic drug name, or the procedure for surgery and radiation")
    modality: TreatmentModality
    drug_class: DrugClass | None = None
    rxnorm: str | None = None
    status: TreatmentStatus
    reason_stopped: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    line: int | None = Field(default=None, ge=1, description="line of therapy in metastatic disease")


class Finding(Model):
    """One typed value read from one place in one document."""

    kind: FindingKind
    value: str = Field(description="normalised value: an OncoTree code, T2a, IVB, left, ...")
    display: str = Field(description="the value in words a person can read")
    prefix: str | None = Field(default=None, description="TNM prefix: c, p, yp, r")
    system: str | None = Field(default=None, description="coding or staging system: OncoTree, AJCC 8th ...")
    code: str | None = Field(default=None, description="secondary code, e.g. ICD-10-CM")
    assertion: Assertion = Assertion.PRESENT
    basis: Basis = Basis.STATED
    basis_note: str | None = None
    date: dt.date | None = None
    biomarker: Biomarker | None = None
    treatment: Treatment | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


# --- the reconciled profile ------------------------------------------------------------------


class FieldStatus(StrEnum):
    KNOWN = "known"
    UNKNOWN = "unknown"  # no record establishes it: a valid, explicit value
    CONFLICT = "conflict"  # findings disagree and no rule settles it: shown, never dropped


class ProfileField(Model):
    status: FieldStatus = FieldStatus.UNKNOWN
    value: str | None = None
    display: str | None = None
    chosen: Finding | None = None
    supporting: list[Finding] = Field(default_factory=list)
    conflicting: list[Finding] = Field(default_factory=list)
    note: str | None = Field(default=None, description="why this value was chosen, in words")


class DocumentRef(Model):
    """A document of the case as guidance names it to the reader."""

    id: str
    filename: str
    kind: str | None = Field(default=None, description="how guidance names it: pathology report, ...")
    date: dt.date | None = None

    def label(self) -> str:
        """ "pathology report of 18 February 2026", or the file name where the kind is unknown."""
        if self.kind is None:
            return f"record {self.filename}"
        return f"{self.kind} of {self.date.day} {self.date:%B %Y}" if self.date else self.kind


class PatientProfile(Model):
    cancer_type: ProfileField = Field(default_factory=ProfileField)
    organ: ProfileField = Field(default_factory=ProfileField)
    histology: ProfileField = Field(default_factory=ProfileField)
    primary_site: ProfileField = Field(default_factory=ProfileField)
    laterality: ProfileField = Field(default_factory=ProfileField)
    grade: ProfileField = Field(default_factory=ProfileField)
    t: ProfileField = Field(default_factory=ProfileField)
    n: ProfileField = Field(default_factory=ProfileField)
    m: ProfileField = Field(default_factory=ProfileField)
    stage_group: ProfileField = Field(default_factory=ProfileField)
    metastatic_sites: list[Finding] = Field(default_factory=list)
    biomarkers: list[Finding] = Field(default_factory=list)
    treatments: list[Finding] = Field(default_factory=list)
    documents: list[DocumentRef] = Field(default_factory=list)

    def document_label(self, document_id: str) -> str:
        return next((d.label() for d in self.documents if d.id == document_id), f"record {document_id}")


# --- guidance --------------------------------------------------------------------------------


class Source(Model):
    id: str
    title: str
    publisher: str
    url: str | None = None


class Statement(Model):
    text: str
    rule_id: str
    sources: list[Source] = Field(min_length=1)
    facts: list[str] = Field(default_factory=list, description="the profile facts that fired the rule")
    evidence: list[Evidence] = Field(default_factory=list)


class SectionId(StrEnum):
    ABOUT = "about"
    STAGE = "stage"
    BIOMARKERS = "biomarkers"
    TREATMENT_APPROACHES = "treatment_approaches"
    TREATMENT_HISTORY = "treatment_history"
    MISSING = "missing"
    QUESTIONS = "questions"
    TRIALS = "trials"
    SUPPORT = "support"
    GLOSSARY = "glossary"


class GuidanceSection(Model):
    id: SectionId
    title: str
    statements: list[Statement] = Field(default_factory=list)


class Guidance(Model):
    disclaimer: str
    sections: list[GuidanceSection]
    kb_version: str


class Analysis(Model):
    """Everything one run of the pipeline produced for one case."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    generated_at: dt.datetime
    documents: list[Document]
    findings: list[Finding]
    profile: PatientProfile
    guidance: Guidance
