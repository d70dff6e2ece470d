"""The rules engine: a PatientProfile and the knowledge base in, cited Guidance out.

Pure and deterministic: the output order is section order, then rule id, then the order of the items
a rule repeats over (sorted by value, never by the order the profile lists them). Only findings the
records assert count: a negated, possible, planned or family-history biomarker fires nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractors.cancer_type import cancer_types, lineage
from knowledge.rules import (
    KB_DIR,
    BiomarkerCondition,
    KBError,
    KnowledgeBase,
    Rule,
    TreatmentCondition,
    When,
    load_kb,
)
from oncoguide.domain import (
    Assertion,
    BiomarkerResult,
    Evidence,
    FieldStatus,
    Finding,
    Guidance,
    GuidanceSection,
    PatientProfile,
    ProfileField,
    SectionId,
    Source,
    Statement,
)

_COUNTING = frozenset({Assertion.PRESENT, Assertion.HISTORICAL})
_NO_RESULT = frozenset({BiomarkerResult.NOT_TESTED, BiomarkerResult.PENDING})
_STAGE_BASE = re.compile(r"^(0|IV|III|II|I)")


# --- reading the profile ---------------------------------------------------------------------


def _value(field_: ProfileField) -> str | None:
    return field_.value if field_.status == FieldStatus.KNOWN else None


def _stage_matches(stage: str, wanted: str) -> bool:
    base = _STAGE_BASE.match(stage)
    return stage == wanted or (base is not None and base.group(1) == wanted)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.lower().removeprefix("p."))


def _finding_key(finding: Finding) -> tuple:
    """A total order on findings so that results never depend on the order of the profile's lists."""
    biomarker, treatment = finding.biomarker, finding.treatment
    first = finding.evidence[0] if finding.evidence else None
    return (
        biomarker.marker if biomarker else "",
        (biomarker.alteration or "") if biomarker else "",
        biomarker.result.value if biomarker else "",
        biomarker.value if biomarker and biomarker.value is not None else -1.0,
        treatment.agent if treatment else "",
        treatment.status.value if treatment else "",
        finding.value,
        (first.document_id, first.page, first.start) if first else ("", 0, 0),
        finding.model_dump_json(),
    )


@dataclass
class _Match:
    """What fired a rule: facts in words, and the findings whose evidence backs them."""

    facts: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    biomarkers: list[Finding] = field(default_factory=list)
    treatments: list[Finding] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)


class _Case:
    """The profile as the rules read it: counted findings, sorted; markers under their KB ids."""

    def __init__(self, profile: PatientProfile, kb: KnowledgeBase) -> None:
        self.profile = profile
        self.kb = kb
        self.biomarkers = sorted(
            (f for f in profile.biomarkers if f.biomarker and f.assertion in _COUNTING), key=_finding_key
        )
        self.treatments = sorted(
            (f for f in profile.treatments if f.treatment and f.assertion in _COUNTING), key=_finding_key
        )
        self.cancer = _value(profile.cancer_type)
        self.lineage = lineage(self.cancer) if self.cancer else []
        organ = _value(profile.organ)
        self.organ = organ or (self.lineage[-1] if self.lineage else None)
        self.stage = _value(profile.stage_group)

    def marker_of(self, finding: Finding) -> str | None:
        return self.kb.marker_id(finding.biomarker.marker) if finding.biomarker else None

    def results(self, marker: str) -> list[Finding]:
        return [f for f in self.biomarkers if self.marker_of(f) == marker]

    def is_positive(self, marker: str) -> bool:
        return any(f.biomarker.result == BiomarkerResult.POSITIVE for f in self.results(marker))

    def has_result(self, marker: str) -> bool:
        return any(f.biomarker.result not in _NO_RESULT for f in self.results(marker))

    def metastatic(self) -> bool:
        """M1 or stage IV; else, when neither a stage nor M is known, a distant metastatic site.

        Where a cancer's stage IV includes groups with no distant spread (meta.yaml), stage IV counts
        only with a distant site that M0 does not contradict.

        A stated stage 0-III or M0 wins over a site mention, and lymph nodes alone do not count: most
        node mentions of a pathology report ("sentinel node") are regional spread, not distant.
        """
        m = _value(self.profile.m) or ""
        stage = self.stage or ""
        if m.startswith("M1"):
            return True
        if stage.startswith("IV"):
            regional = self.kb.meta.stage_iv_without_distant_spread
            if not any(stage in regional.get(code, ()) for code in self.lineage):
                return True
            return m != "M0" and self._distant_site()
        if stage or m:
            return False
        return self._distant_site()

    def _distant_site(self) -> bool:
        sites = self.profile.metastatic_sites
        return any(site.assertion in _COUNTING and site.value != "LYMPH_NODE" for site in sites)

    def site_groups(self) -> set[str]:
        """The sites.yaml groups the primary site falls in: by the cancer type (rectal cancer is always
        left-sided), or by the words of the site and its evidence. A site whose words place it in two
        groups (left and right) is in none: that is for the care team to settle, not for us."""
        by_type = {gid for gid, g in self.kb.site_groups.items() if set(g.cancer_types) & set(self.lineage)}
        if by_type:
            return by_type
        site = self.profile.primary_site
        if site.status != FieldStatus.KNOWN:
            return set()
        findings = [f for f in (site.chosen, *site.supporting) if f is not None]
        words = " ".join(
            [site.value or "", site.display or ""]
            + [text for f in findings for text in (f.value, f.display, *(e.quote for e in f.evidence))]
        )
        text = " " + " ".join(re.findall(r"[a-z]+", words.lower())) + " "
        groups = {
            gid
            for gid, group in self.kb.site_groups.items()
            if any(f" {' '.join(re.findall(r'[a-z]+', phrase.lower()))} " in text for phrase in group.phrases)
        }
        return groups if len(groups) == 1 else set()


def _biomarker_matches(case: _Case, finding: Finding, condition: BiomarkerCondition) -> bool:
    biomarker = finding.biomarker
    if case.marker_of(finding) not in condition.markers or biomarker.result not in condition.results:
        return False
    if condition.alterations and _norm(biomarker.alteration or "") not in {
        _norm(a) for a in condition.alterations
    }:
        return False
    if condition.alteration_patterns and not any(
        re.search(pattern, biomarker.alteration or "", re.IGNORECASE)
        for pattern in condition.alteration_patterns
    ):
        return False
    if condition.scores and _norm(biomarker.score or "") not in {_norm(s) for s in condition.scores}:
        return False
    if condition.min_value is not None:
        unit_ok = not condition.units or (biomarker.unit or "") in condition.units
        return unit_ok and biomarker.value is not None and biomarker.value >= condition.min_value
    return True


def _treatment_matches(finding: Finding, condition: TreatmentCondition) -> bool:
    treatment = finding.treatment
    return (
        (not condition.agents or treatment.agent.lower() in {a.lower() for a in condition.agents})
        and (not condition.classes or treatment.drug_class in condition.classes)
        and treatment.status in condition.statuses
    )


def _describe_biomarker(finding: Finding) -> str:
    b = finding.biomarker
    parts = [
        b.marker,
        b.alteration,
        b.score,
        f"{b.value:g} {b.unit or ''}".strip() if b.value is not None else None,
    ]
    return " ".join(p for p in parts if p) + f" {b.result.value}"


def _match(rule: Rule, case: _Case) -> _Match | None:
    """The facts that fire the rule, or None when some condition fails."""
    when: When = rule.when
    p = case.profile
    found = _Match()
    if when.cancer_under or when.cancer_not_under:
        under = [code for code in when.cancer_under if code in case.lineage]
        if when.cancer_under and not under:
            return None
        if any(code in case.lineage for code in when.cancer_not_under):
            return None
        if under:
            found.facts.append(f"cancer_type {case.cancer} is under {under[0]}")
            found.findings.append(p.cancer_type.chosen)
    if when.organs:
        if case.organ not in when.organs:
            return None
        found.facts.append(f"organ {case.organ}")
    if when.stage:
        if not case.stage or not any(_stage_matches(case.stage, s) for s in when.stage):
            return None
        found.facts.append(f"stage_group {case.stage}")
        found.findings.append(p.stage_group.chosen)
    for name in ("t", "n", "m"):
        wanted: list[str] = getattr(when, name)
        value = _value(getattr(p, name))
        if wanted:
            if not value or not any(value.startswith(w) for w in wanted):
                return None
            found.facts.append(f"{name} {value}")
            found.findings.append(getattr(p, name).chosen)
    if when.metastatic is not None:
        if case.metastatic() != when.metastatic:
            return None
        found.facts.append("metastatic" if when.metastatic else "not metastatic in the records")
    for name in when.known:
        if getattr(p, name).status != FieldStatus.KNOWN:
            return None
        found.facts.append(f"{name} known: {getattr(p, name).value}")
        found.findings.append(getattr(p, name).chosen)
    for name in when.unknown:
        if getattr(p, name).status == FieldStatus.KNOWN:
            return None
        found.facts.append(f"{name} {getattr(p, name).status.value}")
    for name in when.conflict:
        if getattr(p, name).status != FieldStatus.CONFLICT:
            return None
        found.facts.append(f"{name} conflict")
    for condition in when.biomarkers:
        hits = [f for f in case.biomarkers if _biomarker_matches(case, f, condition)]
        if not hits:
            return None
        found.biomarkers.extend(h for h in hits if h not in found.biomarkers)
    if when.any_biomarker is not None:
        if bool(case.biomarkers) != when.any_biomarker:
            return None
        found.facts.append(f"{len(case.biomarkers)} biomarker results")
    for marker in when.not_positive:
        if case.is_positive(marker):
            return None
        found.facts.append(f"{marker} not positive")
    if when.untested:
        found.untested = [m for m in when.untested if not case.has_result(m)]
        if not found.untested:
            return None
        found.facts.append("no result for " + ", ".join(found.untested))
    if when.primary_site_in or when.primary_site_not_in:
        groups = case.site_groups()
        inside = [g for g in when.primary_site_in if g in groups]
        if when.primary_site_in and not inside:
            return None
        if any(g in groups for g in when.primary_site_not_in):
            return None
        for group in inside:
            found.facts.append(f"primary site in {group}")
            if p.primary_site.chosen is not None:
                found.findings.append(p.primary_site.chosen)
        if when.primary_site_not_in:
            found.facts.append("primary site not in " + ", ".join(when.primary_site_not_in))
    for condition in when.treatments:
        hits = [f for f in case.treatments if _treatment_matches(f, condition)]
        if not hits:
            return None
        found.treatments.extend(h for h in hits if h not in found.treatments)
    for condition in when.no_treatment:
        if any(_treatment_matches(f, condition) for f in case.treatments):
            return None
        found.facts.append(
            "no " + (", ".join(condition.agents or condition.classes) or "treatment") + " found"
        )
    return found


# --- writing statements ----------------------------------------------------------------------


def _join_words(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _record(kb: KnowledgeBase, profile: PatientProfile, finding: Finding | None) -> str:
    if finding is None or not finding.evidence:
        return ""
    first = finding.evidence[0]
    quote = " ".join(first.quote.split())
    document = profile.document_label(first.document_id)
    return kb.meta.record_citation.format(document=document, page=first.page, quote=quote)


def _values(case: _Case, match: _Match, item: Finding | str | None) -> dict[str, str | None]:
    kb, p = case.kb, case.profile
    types = cancer_types()
    biomarker = item if isinstance(item, Finding) and item.biomarker else next(iter(match.biomarkers), None)
    treatment = item if isinstance(item, Finding) and item.treatment else next(iter(match.treatments), None)
    marker_id = item if isinstance(item, str) else (case.marker_of(biomarker) if biomarker else None)
    subject = biomarker or treatment or next(iter(match.findings), None)
    b = biomarker.biomarker if biomarker else None
    # The lexicon's OncoTree name reads the same for every record; the display is the fallback.
    cancer_name = types[case.cancer].name if case.cancer in types else p.cancer_type.display
    return {
        "cancer_name": cancer_name.lower() if cancer_name and case.cancer else None,
        # Tissues without a plain name in meta.yaml fall back to OncoTree's ("adrenal gland").
        "organ_name": kb.meta.organ_names.get(case.organ or "")
        or (types[case.organ].name.lower() if case.organ in types else None),
        "stage_group": case.stage,
        "t": _value(p.t),
        "n": _value(p.n),
        "m": _value(p.m),
        "marker": kb.markers[marker_id].display if marker_id in kb.markers else (b.marker if b else None),
        "alteration": b.alteration if b else None,
        "result": kb.meta.result_words[b.result] if b else None,
        "value": f"{b.value:g}" if b and b.value is not None else None,
        "agent": treatment.treatment.agent if treatment else None,
        "status": treatment.treatment.status.value if treatment else None,
        "untested_list": _join_words([kb.markers[m].display for m in match.untested])
        if match.untested
        else None,
        "record": _record(kb, p, subject),
    }


def _fill(rule: Rule, text: str, values: dict[str, str | None]) -> str:
    try:
        filled = text.format_map({k: v for k, v in values.items() if v is not None})
    except KeyError as error:
        raise KBError(f"rule {rule.id}: placeholder {error} has no value for this profile") from None
    return " ".join(filled.split())


def _evidence(findings: Iterable[Finding | None]) -> list[Evidence]:
    seen: list[Evidence] = []
    for finding in findings:
        for evidence in finding.evidence if finding else []:
            if evidence not in seen:
                seen.append(evidence)
    return seen


def _statements(rule: Rule, case: _Case, match: _Match) -> list[Statement]:
    kb = case.kb
    items: list[Finding | str | None]
    also: dict[int, list[Finding]] = {}  # findings that say the same as an item's and back its statement
    if rule.for_each == "biomarker":
        # NTRK1, NTRK2 and NTRK3 "not detected" are one statement about NTRK, not three.
        firsts: dict[tuple[str | None, str | None, str], Finding] = {}
        for finding in match.biomarkers:
            b = finding.biomarker
            key = (case.marker_of(finding), b.alteration if b else None, b.result.value if b else "")
            if key in firsts:
                also[id(firsts[key])].append(finding)
            else:
                firsts[key] = finding
                also[id(finding)] = []
        items = list(firsts.values())
    elif rule.for_each == "treatment":
        items = list(match.treatments if rule.when.treatments else case.treatments)
    elif rule.for_each == "untested_marker":
        items = list(match.untested)
    else:
        items = [None]
    statements = []
    for item in items:
        values = _values(case, match, item)
        # A repeated statement is backed by its own item only, not by every item the rule matched.
        if isinstance(item, Finding):
            same = also.get(id(item), [])
            facts = [*match.facts, *map(_describe_item, [item, *same])]
            backing = [item, *same]
        else:
            findings = [*match.biomarkers, *match.treatments]
            facts = [*match.facts, *map(_describe_item, findings)]
            backing = [*match.findings, *findings]
        for template in rule.statements:
            missing = [s for s in template.sources if s not in kb.sources]
            if missing:
                raise KBError(f"rule {rule.id}: unknown source {', '.join(missing)}")
            statements.append(
                Statement(
                    text=_fill(rule, template.text, values),
                    rule_id=rule.id,
                    sources=[_source(kb, s) for s in template.sources],
                    facts=facts,
                    evidence=_evidence(backing),
                )
            )
    return statements


def _describe_item(finding: Finding) -> str:
    if finding.treatment:
        return f"{finding.treatment.agent} {finding.treatment.status.value}"
    return _describe_biomarker(finding)


def _source(kb: KnowledgeBase, source_id: str) -> Source:
    entry = kb.sources[source_id]
    return Source(id=entry.id, title=entry.title, publisher=entry.publisher, url=entry.url)


# --- public API ------------------------------------------------------------------------------


def build_guidance(profile: PatientProfile, kb_dir: Path = KB_DIR) -> Guidance:
    """The guidance for a profile: every rule whose conditions hold adds its statements."""
    kb = load_kb(kb_dir)
    case = _Case(profile, kb)
    by_section: dict[SectionId, list[Statement]] = {section: [] for section in SectionId}
    for rule in kb.rules:  # already in section, then id order
        match = _match(rule, case)
        if match is not None:
            by_section[rule.section].extend(_statements(rule, case, match))
    return Guidance(
        disclaimer=kb.meta.disclaimer,
        sections=[
            GuidanceSection(id=section, title=kb.meta.section_titles[section], statements=statements)
            for section, statements in by_section.items()
        ],
        kb_version=kb.meta.kb_version,
    )


def explain(guidance: Guidance) -> str:
    """The trace of a guidance: for each statement its rule, the facts that fired it, evidence, sources."""
    lines = [f"Knowledge base version {guidance.kb_version}"]
    for section in guidance.sections:
        if not section.statements:
            continue
        lines += ["", f"## {section.title} [{section.id.value}]"]
        for number, statement in enumerate(section.statements, start=1):
            lines.append(f"{number}. rule {statement.rule_id}: {statement.text}")
            lines.append("   facts: " + ("; ".join(statement.facts) or "(always shown)"))
            lines.extend(
                f"   evidence: {e.document_id}, page {e.page}, characters {e.start}-{e.end}: “{e.quote}”"
                for e in statement.evidence
            )
            lines.extend(
                f"   source: {s.id}: {s.title} ({s.publisher}) {s.url or ''}".rstrip()
                for s in statement.sources
            )
    return "\n".join(lines)
