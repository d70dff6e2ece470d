"""The NLP layer's data: ConText rules and section headers, validated when loaded."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

_DATA = Path(__file__).with_name("data")

# Categories that assert something, and helper categories that only end other modifiers' scope.
ASSERTING = ("NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "HISTORICAL", "FAMILY")
HELPERS = ("HISTORICAL_END", "SUBJECT_CHANGE")
Category = Literal[
    "NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "HISTORICAL", "FAMILY", "HISTORICAL_END",
    "SUBJECT_CHANGE",
]  # fmt: skip
Direction = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContextRuleData(_Strict):
    literal: str = Field(min_length=1)
    category: Category
    direction: Direction
    max_scope: int | None = Field(default=None, gt=0)
    pattern: list[dict[str, Any]] | None = None
    terminated_by: list[Literal["HISTORICAL_END", "SUBJECT_CHANGE"]] = Field(default_factory=list)


class ContextRules(_Strict):
    version: int
    sentence_continues_after: list[str]
    negating_suffixes: list[str]
    rules: list[ContextRuleData]


class SectionData(_Strict):
    category: str = Field(pattern=r"^[a-z_]+$")
    headers: list[str] = Field(min_length=1)
    bounded: bool = False
    max_chars: int | None = Field(default=None, gt=0)
    results: bool = True  # false: it describes the test (method, limits, background), states no result


class SectionRules(_Strict):
    version: int
    sections: list[SectionData]


def _load(name: str) -> Any:
    return yaml.safe_load((_DATA / name).read_text(encoding="utf-8"))


@cache
def context_rules() -> ContextRules:
    return ContextRules.model_validate(_load("context_rules.yaml"))


@cache
def section_rules() -> SectionRules:
    return SectionRules.model_validate(_load("sections.yaml"))


def lint() -> list[str]:
    """Problems in the NLP data files, human-readable; empty when all is well."""
    problems: list[str] = []
    try:
        rules = context_rules().rules
    except Exception as error:  # a broken file is a lint finding, not a crash
        return [f"context_rules.yaml: {error}"]
    seen: dict[str, str] = {}
    for rule in rules:
        key = rule.literal.lower()
        if key in seen and rule.pattern is None:
            problems.append(f"context_rules.yaml: {rule.literal!r} is listed twice")
        seen[key] = rule.category
        if rule.category in HELPERS and rule.direction != "PSEUDO":
            problems.append(f"context_rules.yaml: helper {rule.literal!r} must be PSEUDO")
        if (rule.category in HELPERS or rule.direction == "TERMINATE") and rule.max_scope != 1:
            problems.append(f"context_rules.yaml: {rule.literal!r} needs max_scope 1 to end other scopes")
        if rule.literal != rule.literal.strip():
            problems.append(f"context_rules.yaml: {rule.literal!r} has stray spaces")
    try:
        sections = section_rules().sections
    except Exception as error:
        return [*problems, f"sections.yaml: {error}"]
    headers: dict[str, str] = {}
    for section in sections:
        if not section.results and not (section.bounded and section.max_chars):
            # A section that silences results must end soon, or one missed header silences the report.
            problems.append(f"sections.yaml: {section.category}: results false needs bounded and max_chars")
        for header in section.headers:
            key = header.upper()
            if key in headers:
                problems.append(f"sections.yaml: {header!r} is in {headers[key]} and {section.category}")
            headers[key] = section.category
    return problems
