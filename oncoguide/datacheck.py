"""Every data file of the project, validated: `oncoguide lint` and `make test` run this."""

from __future__ import annotations

from collections.abc import Callable

from extractors import biomarkers, cancer_type, document_info, identity, ingest, nlp, staging, treatments
from knowledge.lint import check_kb

CHECKS: dict[str, Callable[[], list[str]]] = {
    "extractors/cancer_type": cancer_type.lint,
    "extractors/staging": staging.lint,
    "extractors/biomarkers": biomarkers.lint,
    "extractors/treatments": treatments.lint,
    "extractors/nlp": nlp.lint,
    "extractors/ingest": ingest.lint,
    "extractors/identity": identity.lint,
    "extractors/document_info": document_info.lint,
    "knowledge": check_kb,
}


def lint_all() -> list[str]:
    return [f"{name}: {problem}" for name, check in CHECKS.items() for problem in check()]
