"""Assertion status (negated, possible, hypothetical, historical, family), sections and abbreviations.

Field extractors propose character spans; `assign_assertions` says how each is asserted, `sections`
says which part of the report it stands in. Rules and headers are data (`data/*.yaml`).
`with_abbreviations` tells a document's pages which abbreviations it defines for lexicon terms.
"""

from extractors.nlp.abbreviations import Definition, definitions, with_abbreviations
from extractors.nlp.assertion import assign_assertions
from extractors.nlp.rules import lint
from extractors.nlp.sections import Section, section_at, sections

__all__ = [
    "Definition",
    "Section",
    "assign_assertions",
    "definitions",
    "lint",
    "section_at",
    "sections",
    "with_abbreviations",
]
