"""All field extractors over one page, with the assertion status of every finding's evidence."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from extractors import biomarkers, cancer_type, staging, treatments
from extractors.base import PageText
from extractors.nlp import assign_assertions, with_abbreviations
from oncoguide.domain import Assertion, Document, Finding, FindingKind

FieldExtractor = Callable[[PageText], list[Finding]]
FIELD_EXTRACTORS: tuple[FieldExtractor, ...] = (
    cancer_type.extract,
    staging.extract,
    biomarkers.extract,
    treatments.extract,
)

# For these kinds a negative is part of the value itself ("EGFR not detected" is a negative result,
# "no nodal metastasis (pN0)" is N0), so a negation cue must not erase the finding.
_NEGATION_IS_THE_VALUE = frozenset(
    {FindingKind.BIOMARKER, FindingKind.T, FindingKind.N, FindingKind.M, FindingKind.STAGE_GROUP}
)


def extract_page(page: PageText, extractors: Sequence[FieldExtractor] = FIELD_EXTRACTORS) -> list[Finding]:
    findings = [finding for extract in extractors for finding in extract(page)]
    spans = [(f.evidence[0].start, f.evidence[0].end) for f in findings]
    assertions = assign_assertions(page.text, spans) if spans else []
    return [_assert(finding, assertion) for finding, assertion in zip(findings, assertions, strict=True)]


def extract_document(document: Document) -> list[Finding]:
    """Findings of every readable page of one document, reading the abbreviations it defines."""
    pages = [PageText.of(document.id, page) for page in document.pages if page.text]
    return [finding for page in with_abbreviations(pages, is_lexicon_term) for finding in extract_page(page)]


def is_lexicon_term(phrase: str) -> bool:
    """A cancer type or histology, biomarker, or treatment name: a long form the extractors can read."""
    return (
        cancer_type.names_cancer(phrase)
        or biomarkers.names_marker(phrase)
        or treatments.names_treatment(phrase)
    )


def _assert(finding: Finding, assertion: Assertion) -> Finding:
    if assertion is Assertion.PRESENT or finding.assertion is not Assertion.PRESENT:
        return finding
    if assertion is Assertion.NEGATED and finding.kind in _NEGATION_IS_THE_VALUE:
        return finding
    return finding.model_copy(update={"assertion": assertion})
