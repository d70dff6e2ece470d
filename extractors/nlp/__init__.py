"""Assertion status (negated, possible, hypothetical, historical, family) and sections of a page.

Field extractors propose character spans; `assign_assertions` says how each is asserted, `sections`
says which part of the report it stands in. Rules and headers are data (`data/*.yaml`).
"""

from extractors.nlp.assertion import assign_assertions
from extractors.nlp.rules import lint
from extractors.nlp.sections import Section, section_at, sections

__all__ = ["Section", "assign_assertions", "lint", "section_at", "sections"]
