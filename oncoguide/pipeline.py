"""The one pipeline: documents -> findings -> PatientProfile -> Guidance.

The CLI runs it in-process; the Celery workers run the same steps as separate tasks (read and extract
per document, then assemble per case); the evaluation runs it on report texts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from extractors.base import PageText
from extractors.biomarkers import registry_status
from extractors.document_info import describe
from extractors.findings import extract_document
from extractors.identity import distinct_patients
from extractors.ingest import Limits, read_document
from extractors.reconcile import reconcile
from knowledge.engine import build_guidance
from oncoguide.domain import (
    Analysis,
    BiomarkerResult,
    Document,
    Finding,
    Page,
    PageSource,
    PatientProfile,
)
from oncoguide.evaluation import main_category

PageProgress = Callable[[int, int], None]
DEFAULT_LIMITS = Limits()
# The evaluation labels receptors positive, negative or equivocal; pending or untested is no answer.
_RECEPTOR_LABELS = frozenset({BiomarkerResult.POSITIVE, BiomarkerResult.NEGATIVE, BiomarkerResult.EQUIVOCAL})


def read_and_extract(
    path: Path, *, limits: Limits = DEFAULT_LIMITS, ocr: bool = True, on_page: PageProgress | None = None
) -> tuple[Document, list[Finding]]:
    """One document: read its pages and extract its findings (the per-document worker task)."""
    document = read_document(path, limits=limits, ocr=ocr, on_page=on_page)
    return document, extract_document(document)


def profile_of(documents: Sequence[Document], findings: Sequence[Finding]) -> PatientProfile:
    pages = [PageText.of(document.id, page) for document in documents for page in document.pages if page.text]
    return reconcile(findings, pages, [describe(document) for document in documents])


class MixedPatients(ValueError):
    """The documents of one case carry different medical record numbers or dates of birth."""

    code = "mixed_patients"

    def __init__(self, groups: list[list[Document]]) -> None:
        listed = " | ".join(", ".join(document.filename for document in group) for group in groups)
        super().__init__(
            f"these records belong to {len(groups)} different patients (by record number or date of birth): "
            f"{listed}; analyse each patient's records separately"
        )


def assemble(documents: Sequence[Document], findings: Sequence[Finding]) -> Analysis:
    """A case's documents and findings -> profile and guidance (the per-case worker task)."""
    groups = distinct_patients(list(documents))
    if len(groups) > 1:
        raise MixedPatients(groups)
    profile = profile_of(documents, findings)
    return Analysis(
        generated_at=dt.datetime.now(dt.UTC),
        documents=list(documents),
        findings=list(findings),
        profile=profile,
        guidance=build_guidance(profile),
    )


def analyze(paths: Sequence[Path], **options) -> Analysis:
    """Read, extract, reconcile and match a case's files in-process."""
    documents: list[Document] = []
    findings: list[Finding] = []
    for path in paths:
        document, found = read_and_extract(path, **options)
        documents.append(document)
        findings.extend(found)
    return assemble(documents, findings)


def text_document(text: str, document_id: str, filename: str = "report.txt") -> Document:
    """A plain-text record as a one-page Document (what ingestion makes of a .txt file)."""
    page = Page(number=1, text=text, source=PageSource.PLAIN_TEXT)
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Document(id=document_id, filename=filename, media_type="text/plain", sha256=sha, pages=[page])


@dataclass(frozen=True)
class Prediction:
    """What the pipeline predicts for one report, in the evaluation's main-category form."""

    fields: dict[str, str | None]
    quotes: dict[str, str]


def predict_report(text: str, record_id: str) -> Prediction:
    document = text_document(text, record_id)
    findings = extract_document(document)
    profile = profile_of([document], findings)
    stage_fields = {"t": profile.t, "n": profile.n, "m": profile.m, "stage_group": profile.stage_group}
    fields: dict[str, str | None] = {"cancer_type": profile.cancer_type.value, "organ": profile.organ.value}
    quotes = {}
    for name, field in stage_fields.items():
        fields[name] = main_category(name, field.value)
        if field.chosen and field.chosen.evidence:
            quotes[name] = field.chosen.evidence[0].quote
    if profile.cancer_type.chosen and profile.cancer_type.chosen.evidence:
        quotes["cancer_type"] = profile.cancer_type.chosen.evidence[0].quote
    for name, marker in (("er", "ER"), ("pr", "PR"), ("her2", "HER2")):
        result = registry_status(profile.biomarkers, marker)
        fields[name] = result.value if result in _RECEPTOR_LABELS else None
    return Prediction(fields=fields, quotes=quotes)
