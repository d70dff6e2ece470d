"""Findings of all of a patient's documents -> one PatientProfile.

Each field's own module knows how to choose among its findings (cancer_type, staging, biomarkers,
treatments); this module decides which assertions count as facts about the patient and assembles the
profile, keeping what disagrees with the choice as `conflicting` rather than dropping it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from extractors import biomarkers, cancer_type, staging, treatments
from extractors.base import PageText
from oncoguide.domain import (
    Assertion,
    BiomarkerResult,
    DocumentRef,
    FieldStatus,
    Finding,
    FindingKind,
    PatientProfile,
    ProfileField,
)

# A finding counts as a fact about the patient's cancer only when asserted as present.
_FACT = frozenset({Assertion.PRESENT})
# Treatments are history by nature, and a plan or an option discussed is worth showing with its status.
_TREATMENT_ASSERTIONS = frozenset({Assertion.PRESENT, Assertion.HISTORICAL, Assertion.HYPOTHETICAL})
_BIOMARKER_ASSERTIONS = frozenset({Assertion.PRESENT, Assertion.HISTORICAL, Assertion.NEGATED})


def reconcile(
    findings: Sequence[Finding], pages: Sequence[PageText], documents: Sequence[DocumentRef]
) -> PatientProfile:
    by_kind: dict[FindingKind, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_kind[finding.kind].append(finding)
    facts = {kind: [f for f in group if f.assertion in _FACT] for kind, group in by_kind.items()}

    cancer = cancer_type.select_cancer_type(facts.get(FindingKind.CANCER_TYPE, []))
    code = cancer.value if cancer else None
    stage = staging.select_stage(
        [
            f
            for kind in (FindingKind.T, FindingKind.N, FindingKind.M, FindingKind.STAGE_GROUP)
            for f in facts.get(kind, [])
        ],
        code,
        pages,
    )
    return PatientProfile(
        cancer_type=_field(cancer, facts.get(FindingKind.CANCER_TYPE, []), same=_same_organ),
        organ=_organ_field(cancer),
        histology=_most_supported(facts.get(FindingKind.HISTOLOGY, [])),
        primary_site=_most_supported(facts.get(FindingKind.PRIMARY_SITE, [])),
        laterality=_most_supported(facts.get(FindingKind.LATERALITY, [])),
        grade=_most_supported(facts.get(FindingKind.GRADE, [])),
        t=_stage_field(stage.t, stage.conflicts.get("t", [])),
        n=_stage_field(stage.n, stage.conflicts.get("n", [])),
        m=_stage_field(stage.m, stage.conflicts.get("m", [])),
        stage_group=_stage_field(stage.stage_group, stage.conflicts.get("stage_group", [])),
        metastatic_sites=_distinct(facts.get(FindingKind.METASTATIC_SITE, [])),
        biomarkers=biomarkers.select_biomarkers(
            [f for f in by_kind.get(FindingKind.BIOMARKER, []) if _is_biomarker_fact(f)]
        ),
        treatments=treatments.select_treatments(
            [f for f in by_kind.get(FindingKind.TREATMENT, []) if f.assertion in _TREATMENT_ASSERTIONS]
        ),
        documents=list(documents),
    )


def _is_biomarker_fact(finding: Finding) -> bool:
    # "ALK testing pending" is a fact (a pending result); "if HER2 positive ..." is not.
    if finding.assertion is Assertion.HYPOTHETICAL:
        return finding.biomarker is not None and finding.biomarker.result is BiomarkerResult.PENDING
    return finding.assertion in _BIOMARKER_ASSERTIONS


def _same_organ(a: Finding, b: Finding) -> bool:
    return cancer_type.organ_of(a.value) == cancer_type.organ_of(b.value)


def _field(chosen: Finding | None, candidates: Iterable[Finding], same=None) -> ProfileField:
    if chosen is None:
        return ProfileField()
    agrees = same or (lambda a, b: a.value == b.value)
    supporting = [f for f in candidates if agrees(f, chosen)]
    conflicting = [f for f in candidates if not agrees(f, chosen) and f.confidence >= chosen.confidence]
    return ProfileField(
        status=FieldStatus.KNOWN,
        value=chosen.value,
        display=chosen.display,
        chosen=chosen,
        supporting=supporting,
        conflicting=conflicting,
        note=chosen.basis_note,
    )


def _organ_field(cancer: Finding | None) -> ProfileField:
    organ = cancer_type.organ_of(cancer.value) if cancer else None
    if organ is None:
        return ProfileField()
    return ProfileField(status=FieldStatus.KNOWN, value=organ, display=organ.title(), chosen=cancer)


def _stage_field(chosen: Finding | None, conflicts: list[Finding]) -> ProfileField:
    field = _field(chosen, [chosen] if chosen else [])
    if conflicts:
        field.conflicting = conflicts
        if chosen is None:
            field.status = FieldStatus.CONFLICT
    return field


def _most_supported(findings: Sequence[Finding]) -> ProfileField:
    """The value with the greatest total confidence; equally supported rivals are a conflict."""
    if not findings:
        return ProfileField()
    weight: dict[str, float] = defaultdict(float)
    for finding in findings:
        weight[finding.value] += finding.confidence
    ranked = sorted(weight, key=lambda value: (-weight[value], value))
    best = max((f for f in findings if f.value == ranked[0]), key=lambda f: f.confidence)
    field = _field(best, findings)
    field.conflicting = [
        f for f in findings if f.value != best.value and weight[f.value] >= weight[best.value]
    ]
    if field.conflicting:
        field.status = FieldStatus.CONFLICT
    return field


def _distinct(findings: Sequence[Finding]) -> list[Finding]:
    best: dict[str, Finding] = {}
    for finding in findings:
        if finding.value not in best or finding.confidence > best[finding.value].confidence:
            best[finding.value] = finding
    return [best[value] for value in sorted(best)]
