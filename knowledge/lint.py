"""`oncoguide kb check`: what the schema cannot see in the knowledge base.

Sources (each statement and passage cites one, every id resolves, only usable publishers, FDA entries
dated, a fact citing the FDA carries `last_reviewed`, a withdrawn approval is cited only by text that
says so), references (markers, placeholders with a value guaranteed by the rule's conditions), OncoTree
codes, regular expressions that compile, reading level and forbidden phrases, for rule statements and
for the passages `oncoguide ask` answers with.

Reading level is measured per statement, with its placeholders filled by sample values and the record
quote left out (a quote is the record's own text, not ours): each statement is shown as one item, so
each must read on its own at US grade 8 or below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import textstat

from extractors.cancer_type import cancer_types
from knowledge.rules import KB_DIR, PLACEHOLDERS, KnowledgeBase, Passage, Rule, placeholders, read_kb
from oncoguide.domain import BiomarkerResult, Guidance
from oncoguide.paths import ONCOTREE

MAX_GRADE = 8.0
_ALLOWED_HOSTS = ("cancer.gov", "fda.gov", "oncotree.mskcc.org", "genenames.org", "clinicaltrials.gov")
_FDA_KINDS = frozenset({"fda_label", "fda_approval"})
_FORBIDDEN = (
    re.compile(r"\byou should take\b", re.IGNORECASE),
    re.compile(r"\blife expectancy\b", re.IGNORECASE),
    re.compile(r"%\s*(?:\w+\s+){0,2}surviv", re.IGNORECASE),
    re.compile(r"\bpercent\s+(?:\w+\s+){0,2}surviv", re.IGNORECASE),
    re.compile(r"\bsurvival\s+(?:rate|percentage)s?\b", re.IGNORECASE),
)
_SAMPLE = {
    "cancer_name": "lung adenocarcinoma",
    "organ_name": "lung",
    "stage_group": "IVB",
    "t": "T2a",
    "n": "N2",
    "m": "M1c",
    "marker": "KRAS",
    "alteration": "p.G12C",
    "result": "positive",
    "value": "60",
    "agent": "carboplatin",
    "status": "received",
    "untested_list": "ROS1, MET and RET",
    "record": "",
}


# --- reading level ---------------------------------------------------------------------------


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade of a text (textstat; pinned to a release that counts syllables offline)."""
    return textstat.flesch_kincaid_grade(text)


def sample_text(text: str) -> str:
    """A statement as a reader sees it, with sample values in its placeholders."""
    return " ".join(text.format_map(_SAMPLE).split())


def statement_grades(kb: KnowledgeBase) -> list[tuple[str, float]]:
    """(rule id, grade) of every statement of the knowledge base."""
    return [
        (rule.id, reading_grade(sample_text(template.text)))
        for rule in kb.rules
        for template in rule.statements
        if set(placeholders(template.text)) <= PLACEHOLDERS
    ]


def _record_pattern(kb: KnowledgeBase) -> re.Pattern[str]:
    """The record citations of meta.yaml's template, as they appear in a filled statement."""
    parts = re.split(r"\{\w+\}", kb.meta.record_citation)
    return re.compile(".*?".join(map(re.escape, parts)))


def patient_text(text: str, kb: KnowledgeBase) -> str:
    """A guidance statement without its record quotes: the words we wrote, as the reader gets them."""
    return " ".join(_record_pattern(kb).sub(" ", text).split())


def guidance_grades(guidance: Guidance, kb: KnowledgeBase) -> list[tuple[str, float]]:
    """(rule id, grade) of every statement of a person's guidance, record quotes left out."""
    return [
        (statement.rule_id, reading_grade(patient_text(statement.text, kb)))
        for section in guidance.sections
        for statement in section.statements
    ]


# --- checks ----------------------------------------------------------------------------------


def _marker_refs(rule: Rule) -> Iterator[str]:
    for condition in rule.when.biomarkers:
        yield from condition.markers
    yield from rule.when.not_positive
    yield from rule.when.untested


def _guarded(rule: Rule, name: str) -> bool:
    """Whether the rule's conditions guarantee the placeholder a value whenever the rule fires."""
    when, each = rule.when, rule.for_each
    cancer_known = bool(when.cancer_under) or "cancer_type" in when.known
    match name:
        case "cancer_name" | "organ_name":
            return cancer_known
        case "stage_group":
            return bool(when.stage) or "stage_group" in when.known
        case "t" | "n" | "m":
            return bool(getattr(when, name)) or name in when.known
        case "marker":
            return each in ("biomarker", "untested_marker")
        case "result":
            return each == "biomarker"
        case "alteration":
            return each == "biomarker" and all(c.alterations for c in when.biomarkers)
        case "value":
            return each == "biomarker" and all(c.min_value is not None for c in when.biomarkers)
        case "agent" | "status":
            return each == "treatment"
        case "untested_list":
            return bool(when.untested)
    return name == "record"


def _oncotree_codes() -> set[str] | None:
    if not ONCOTREE.exists():
        return None
    codes: set[str] = set()

    def walk(node: dict) -> None:
        for code, child in node.get("children", {}).items():
            codes.add(code)
            walk(child)

    walk(json.loads(ONCOTREE.read_text(encoding="utf-8"))["TISSUE"])
    return codes


def _source_problems(kb: KnowledgeBase) -> Iterator[str]:
    for source in kb.sources.values():
        host = urlparse(source.url).hostname or ""
        if not any(host == allowed or host.endswith("." + allowed) for allowed in _ALLOWED_HOSTS):
            yield f"source {source.id}: {host or source.url} is not a usable source"
        if source.kind in _FDA_KINDS and source.date is None:
            yield f"source {source.id}: an FDA label or approval needs its date"


def _code_problems(kb: KnowledgeBase) -> Iterator[str]:
    tree = cancer_types()
    released = _oncotree_codes()
    tissues = {code for code, entry in tree.items() if entry.parent == "TISSUE"}
    for rule in kb.rules:
        for code in [*rule.when.cancer_under, *rule.when.cancer_not_under]:
            if code not in tree or (released is not None and code not in released):
                yield f"rule {rule.id}: {code} is not a known OncoTree code"
        for code in rule.when.organs:
            if code not in tissues:
                yield f"rule {rule.id}: {code} is not an OncoTree tissue"
    for result in BiomarkerResult:
        if result not in kb.meta.result_words:
            yield f"meta.yaml: result_words: no words for {result.value}"
    for code in kb.meta.stage_iv_without_distant_spread:
        if code not in tree:
            yield f"meta.yaml: stage_iv_without_distant_spread: {code} is not a known OncoTree code"
    for code in kb.meta.organ_names:
        if code not in tissues:
            yield f"meta.yaml: organ_names: {code} is not an OncoTree tissue"
    for group_id, group in kb.site_groups.items():
        for code in group.cancer_types:
            if code not in tree or (released is not None and code not in released):
                yield f"sites.yaml: {group_id}: {code} is not a known OncoTree code"


def _text_problems(where: str, text: str) -> Iterator[str]:
    for pattern in _FORBIDDEN:
        if found := pattern.search(text):
            yield f"{where}: forbidden phrase “{found.group(0)}”"


def _citation_problems(
    kb: KnowledgeBase, where: str, sources: list[str], reviewed, text: str
) -> Iterator[str]:
    """The sources of one statement or passage: present, known, FDA facts reviewed, withdrawals said."""
    if not sources:
        yield f"{where}: no source"
    for source_id in sources:
        entry = kb.sources.get(source_id)
        if entry is None:
            yield f"{where}: unknown source {source_id}"
            continue
        if entry.kind in _FDA_KINDS and reviewed is None:
            yield f"{where}: cites {source_id} (FDA) without last_reviewed"
        if entry.withdrawn is not None and "withdrawn" not in text.lower():
            yield f"{where}: cites {source_id}, withdrawn on {entry.withdrawn}, without saying so"


def _pattern_problems(where: str, patterns: list[str]) -> Iterator[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            yield f"{where}: bad regular expression {pattern!r} ({error})"


def _passage_problems(kb: KnowledgeBase, passage: Passage) -> Iterator[str]:
    where = f"passage {passage.id}"
    yield from _citation_problems(kb, where, passage.sources, passage.last_reviewed, passage.text)
    for text in (passage.title, passage.text):
        yield from _text_problems(where, text)
    grade = reading_grade(" ".join(passage.text.split()))
    if grade > MAX_GRADE:
        yield f"{where}: reads at US grade {grade:.1f}, above {MAX_GRADE:g}"


def passage_grades(kb: KnowledgeBase) -> list[tuple[str, float]]:
    """(passage id, grade) of every passage `oncoguide ask` may answer with."""
    return [(p.id, reading_grade(" ".join(p.text.split()))) for p in kb.passages]


def _rule_problems(kb: KnowledgeBase, rule: Rule) -> Iterator[str]:
    for marker in _marker_refs(rule):
        if marker not in kb.markers:
            yield f"rule {rule.id}: unknown marker {marker} (not in markers.yaml)"
    for group in [*rule.when.primary_site_in, *rule.when.primary_site_not_in]:
        if group not in kb.site_groups:
            yield f"rule {rule.id}: unknown site group {group} (not in sites.yaml)"
    if rule.for_each == "untested_marker" and not rule.when.untested:
        yield f"rule {rule.id}: for_each untested_marker needs `untested` markers"
    if rule.for_each == "biomarker" and not rule.when.biomarkers:
        yield f"rule {rule.id}: for_each biomarker needs `biomarkers` conditions"
    for condition in rule.when.biomarkers:
        yield from _pattern_problems(f"rule {rule.id}", condition.alteration_patterns)
    for number, template in enumerate(rule.statements, start=1):
        where = f"rule {rule.id} statement {number}"
        yield from _citation_problems(kb, where, template.sources, template.last_reviewed, template.text)
        names = placeholders(template.text)
        for name in names:
            if name not in PLACEHOLDERS:
                yield f"{where}: unknown placeholder {{{name}}}"
            elif not _guarded(rule, name):
                yield f"{where}: {{{name}}} may have no value when the rule fires"
        yield from _text_problems(where, template.text)
        if set(names) <= PLACEHOLDERS:
            grade = reading_grade(sample_text(template.text))
            if grade > MAX_GRADE:
                yield f"{where}: reads at US grade {grade:.1f}, above {MAX_GRADE:g}"


def check_kb(directory: Path = KB_DIR) -> list[str]:
    """Every problem of the knowledge base in a directory; [] when it is fine."""
    kb, problems = read_kb(directory)
    if kb is None:
        return problems
    problems.extend(_source_problems(kb))
    problems.extend(_code_problems(kb))
    for rule in kb.rules:
        problems.extend(_rule_problems(kb, rule))
    for passage in kb.passages:
        problems.extend(_passage_problems(kb, passage))
    if kb.ask is not None:
        problems.extend(_pattern_problems("ask.yaml: personal", kb.ask.personal))
        for name in ("personal_answer", "no_answer", "footer"):
            problems.extend(_text_problems(f"ask.yaml: {name}", getattr(kb.ask, name)))
        if "not medical advice" not in kb.ask.footer.lower():
            problems.append("ask.yaml: the footer must say it is not medical advice")
    elif kb.passages:
        problems.append("ask.yaml: missing, but there are passages to answer with")
    problems.extend(_text_problems("meta.yaml: disclaimer", kb.meta.disclaimer))
    if "not medical advice" not in kb.meta.disclaimer.lower():
        problems.append("meta.yaml: the disclaimer must say it is not medical advice")
    return problems
