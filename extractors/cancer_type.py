"""Cancer type, histology, sites, laterality and grade from report text, coded with OncoTree.

A report names its cancer either in one phrase ("clear cell renal cell carcinoma") or as a histology
found at a site ("LUNG, RIGHT UPPER LOBE: ... ADENOCARCINOMA"). Both are read with one compiled regex
over every phrase of the lexicon (a character trie, so the alternation costs little per position);
the site of a histology is the nearest site mention around it, else the site the page is mostly about.
Confidence says where a mention stands: a diagnosis line outweighs clinical history, and a mention
right after "history of", "negative for" or "rule out" counts for little. `select_cancer_type` then
walks the OncoTree tree from the best-supported organ down to the most specific code the evidence
supports.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from extractors.base import PageText
from extractors.phrase_regex import phrase_trie
from oncoguide.domain import Basis, Evidence, Finding, FindingKind
from oncoguide.paths import ONCOTREE

_DATA = Path(__file__).with_name("data")
# Between two words: spaces, OCR'd line breaks ("SQUAMOUS. CELL"), hyphens, commas and brackets
# ("renal cell carcinoma, conventional (clear cell) type").
_SEP_CHARS = r"[\s.,()\-]"
_SEP = _SEP_CHARS + "*"
_TISSUE_ROOT = "TISSUE"
_NODES = "LYMPH"

# Confidence of a mention by how it names the type, then scaled by where it stands.
_DIRECT = 0.9
_AT_PRIMARY_SITE = 0.95  # "adenocarcinoma consistent with lung primary"
_AT_LOCAL_SITE = 0.85
_AT_PAGE_SITE = 0.55  # the histology alone, placed at the site the page is mostly about
_WEAK = 0.5  # an adjective alone ("papillary") counts half
_IN_DIAGNOSIS = 1.0
_IN_HISTORY = 0.6
_IN_PROVISIONAL = 0.4  # a frozen section's diagnosis, which the final diagnosis may revise
_IN_BODY = 0.85
_DISCOUNTED = 0.25  # "history of ...", "negative for ...", "rule out ..."
_INCIDENTAL = 0.4  # "minute focus of ...", a prostate cancer found in a cystoprostatectomy
_CUE_REACH = 45  # characters before a mention searched for a cue
_AFTER_REACH = 30
_SITE_BEFORE = 150  # "LUNG, RIGHT UPPER LOBE: LOBECTOMY. - INVASIVE SQUAMOUS CELL CARCINOMA"
_SITE_AFTER = 40  # "adenocarcinoma of the lung"
_PRIMARY_REACH = 30
# Selection: descend to a child type only with this much support, and twice any sibling's.
_MIN_SUPPORT = 0.3
_DOMINANCE = 2.0
_ORGAN_MARGIN = 1.5
_TYPE_AS_SITE = 2.0  # weight of a cancer-type mention in how much a page speaks of an organ


# --- data schemas --------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CancerType(_Model):
    name: str
    tissue: str
    parent: str
    icd10: str | None = None
    in_situ: bool = False
    phrases: list[str] = Field(default_factory=list)


class CancerTypes(_Model):
    version: int
    types: dict[str, CancerType]
    histology_at_site: dict[str, dict[str, str]]
    # Of several sites named around a histology without a cue, these are its usual primary.
    preferred_sites: dict[str, list[str]] = Field(default_factory=dict)


class Histology(_Model):
    display: str
    default: str | None = None  # the type this histology names where no site is found ("melanoma")
    weight: float = Field(default=1.0, gt=0, le=1)  # "carcinoma" alone tells the organ less than a subtype
    phrases: list[str]
    weak_phrases: list[str] = Field(default_factory=list)


class Histologies(_Model):
    version: int
    histology: dict[str, Histology]


class Site(_Model):
    display: str
    tissue: str | None = None
    paired: bool = False
    primary: bool = True
    phrases: list[str]


class Sites(_Model):
    version: int
    sites: dict[str, Site]


class Laterality(_Model):
    left: list[str]
    right: list[str]
    bilateral: list[str]


class IncidentalOrgan(_Model):
    tissue: str
    with_: list[str] = Field(alias="with")


class Cues(_Model):
    version: int
    discount_before: list[str]
    discount_after: list[str]
    incidental_before: list[str]
    incidental_organs: list[IncidentalOrgan]
    metastatic_before: list[str]
    primary_after_site: list[str]
    primary_before_site: list[str]
    site_after_histology: list[str]
    diagnosis_headers: list[str]
    history_headers: list[str]
    provisional_headers: list[str]
    laterality: Laterality


class GradeRule(_Model):
    system: str
    pattern: str
    value: str  # a format string over the pattern's named groups, after `_grade_fields`
    words: dict[str, str] = Field(default_factory=dict)


class Grades(_Model):
    version: int
    grades: list[GradeRule]


@dataclass(frozen=True, slots=True)
class _Term:
    kind: str  # "type" | "histology" | "site"
    key: str
    weak: bool = False


@dataclass(frozen=True, slots=True)
class _Lexicon:
    types: CancerTypes
    histology: Histologies
    sites: Sites
    cues: Cues
    grades: Grades
    terms: dict[str, tuple[_Term, ...]]
    matcher: re.Pattern[str]
    discount_before: re.Pattern[str]
    discount_after: re.Pattern[str]
    incidental_before: re.Pattern[str]
    incidental_organs: tuple[tuple[str, re.Pattern[str]], ...]
    metastatic_before: re.Pattern[str]
    primary_after: re.Pattern[str]
    primary_before: re.Pattern[str]
    attached_site: re.Pattern[str]
    headers: re.Pattern[str]
    header_factor: dict[str, float]
    laterality: re.Pattern[str]
    laterality_of: dict[str, str]
    grade_patterns: tuple[tuple[GradeRule, re.Pattern[str]], ...]


# --- loading and compiling -------------------------------------------------------------------


def _load(name: str) -> dict:
    return yaml.load((_DATA / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _key(text: str) -> str:
    """The lookup key of a phrase or of matched text: lower case without separators."""
    return re.sub(_SEP_CHARS + "+", "", text.lower())


def _phrase_trie_regex(phrases: Iterable[str]) -> str:
    return phrase_trie((p.lower() for p in phrases), f"{_SEP_CHARS}+", _SEP)


def _phrases_regex(phrases: Iterable[str]) -> str:
    return rf"(?<![\w])(?:{_phrase_trie_regex(phrases)})(?![\w])"


@cache
def _lexicon() -> _Lexicon:
    types = CancerTypes.model_validate(_load("cancer_types.yaml"))
    histology = Histologies.model_validate(_load("histology.yaml"))
    sites = Sites.model_validate(_load("sites.yaml"))
    cues = Cues.model_validate(_load("cancer_cues.yaml"))
    grades = Grades.model_validate(_load("cancer_grades.yaml"))

    terms: dict[str, list[_Term]] = defaultdict(list)
    for code, entry in types.types.items():
        for phrase in entry.phrases:
            terms[_key(phrase)].append(_Term("type", code))
    for key, entry in histology.histology.items():
        for phrase in entry.phrases:
            terms[_key(phrase)].append(_Term("histology", key))
        for phrase in entry.weak_phrases:
            terms[_key(phrase)].append(_Term("histology", key, weak=True))
    for key, entry in sites.sites.items():
        for phrase in entry.phrases:
            terms[_key(phrase)].append(_Term("site", key))
    every_phrase = [
        phrase
        for group in (
            [p for e in types.types.values() for p in e.phrases],
            [p for e in histology.histology.values() for p in (*e.phrases, *e.weak_phrases)],
            [p for e in sites.sites.values() for p in e.phrases],
        )
        for phrase in group
    ]
    headers = [*cues.diagnosis_headers, *cues.history_headers, *cues.provisional_headers]
    sides = cues.laterality
    return _Lexicon(
        types=types,
        histology=histology,
        sites=sites,
        cues=cues,
        grades=grades,
        terms={key: tuple(dict.fromkeys(found)) for key, found in terms.items()},
        matcher=re.compile(_phrases_regex(every_phrase), re.IGNORECASE),
        # "differential diagnosis includes low grade chromophobe carcinoma": a few words may intervene.
        discount_before=re.compile(_phrases_regex(cues.discount_before) + r"(?:[\s,\-]+\w+){0,3}\W*$", re.I),
        discount_after=re.compile(r"^\W*" + _phrases_regex(cues.discount_after), re.IGNORECASE),
        # "minute focus of (well differentiated) adenocarcinoma", "focal prostatic adenocarcinoma"
        incidental_before=re.compile(
            _phrases_regex(cues.incidental_before) + r"(?:[\s,\-]+\w+){0,2}[\s,\-]*$", re.IGNORECASE
        ),
        incidental_organs=tuple(
            (organ.tissue, re.compile(_phrases_regex(organ.with_), re.IGNORECASE))
            for organ in cues.incidental_organs
        ),
        metastatic_before=re.compile(
            _phrases_regex(cues.metastatic_before) + r"[\W\w]{0,25}$", re.IGNORECASE
        ),
        primary_after=re.compile(r"^[\s,.:]*(?:\w+\s+){0,2}" + _phrases_regex(cues.primary_after_site), re.I),
        primary_before=re.compile(
            _phrases_regex(cues.primary_before_site) + r"[\s:,.\-]*(?:\w+\s+){0,2}$", re.I
        ),
        attached_site=re.compile(
            _SEP + f"(?:{_phrase_trie_regex(cues.site_after_histology)})" + _SEP, re.IGNORECASE
        ),
        headers=re.compile(f"({_phrases_regex(headers)})" + r"\s*[:.\-]", re.IGNORECASE),
        header_factor={
            **{_key(h): _IN_DIAGNOSIS for h in cues.diagnosis_headers},
            **{_key(h): _IN_HISTORY for h in cues.history_headers},
            **{_key(h): _IN_PROVISIONAL for h in cues.provisional_headers},
        },
        laterality=re.compile(_phrases_regex([*sides.left, *sides.right, *sides.bilateral]), re.IGNORECASE),
        laterality_of={
            **{_key(w): "left" for w in sides.left},
            **{_key(w): "right" for w in sides.right},
            **{_key(w): "bilateral" for w in sides.bilateral},
        },
        grade_patterns=tuple((rule, re.compile(rule.pattern, re.IGNORECASE)) for rule in grades.grades),
    )


# --- public API ------------------------------------------------------------------------------


def cancer_types() -> dict[str, CancerType]:
    """The lexicon's cancer types by OncoTree code (name, tissue, parent, ICD-10-CM)."""
    return _lexicon().types.types


def names_cancer(phrase: str) -> bool:
    """Whether a phrase is a cancer type or histology of the lexicon (an abbreviation worth reading)."""
    return bool(_cancer_terms(phrase))


def _cancer_terms(phrase: str) -> tuple[_Term, ...]:
    return tuple(t for t in _lexicon().terms.get(_key(phrase), ()) if t.kind != "site")


def organ_of(code: str) -> str | None:
    """The OncoTree tissue (level 1) of a code of the lexicon, e.g. LUAD -> LUNG."""
    entry = _lexicon().types.types.get(code)
    return entry.tissue if entry else None


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    terms: tuple[_Term, ...]


@dataclass(frozen=True, slots=True)
class _Page:
    """What one scan of a page found, shared by the readers of each kind."""

    page: PageText
    hits: tuple[_Hit, ...]
    header_starts: list[int]
    header_factor: list[float]
    primary_sites: frozenset[int]  # start offsets of site mentions cued as the primary site
    main_site: str | None
    tissue_weight: dict[str, float]  # how much the page speaks of each organ
    site_weight: dict[str, float]
    # Per organ, whether the page names an operation that removes it along with another, where a cancer
    # of it is often incidental: filled by `_is_incidental` on the first type of that organ found.
    incidental: dict[str, bool]


def extract(page: PageText) -> list[Finding]:
    lexicon = _lexicon()
    text = page.text
    if not text.strip():
        return []
    hits = tuple(
        _Hit(m.start(), m.end(), found)
        for m in lexicon.matcher.finditer(text)
        if (found := lexicon.terms.get(_key(m.group())))
    )
    hits = _with_short_forms(page, hits)
    header_starts: list[int] = []
    header_factor: list[float] = []
    for m in lexicon.headers.finditer(text):
        header_starts.append(m.start())
        header_factor.append(lexicon.header_factor.get(_key(m.group(1)), _IN_DIAGNOSIS))
    primary_sites = frozenset(h.start for h in hits if _is_site(h) and _is_primary_cued(text, h))
    site_weight = _site_weight(hits, primary_sites)
    tissue_weight: dict[str, float] = defaultdict(float)
    for site, weight in site_weight.items():
        tissue_weight[lexicon.sites.sites[site].tissue or site] += weight
    for hit in hits:  # a named cancer type speaks of its organ too ("endometrial carcinoma checklist")
        for term in hit.terms:
            if term.kind == "type":
                tissue_weight[lexicon.types.types[term.key].tissue] += _TYPE_AS_SITE
    scan = _Page(
        page,
        hits,
        header_starts,
        header_factor,
        primary_sites,
        _main_site(site_weight),
        tissue_weight,
        site_weight,
        {},
    )

    findings: list[Finding] = []
    for index, hit in enumerate(hits):
        for term in hit.terms:
            if term.kind == "type":
                findings.append(_type_finding(scan, hit, term.key, _DIRECT))
            elif term.kind == "histology":
                findings.extend(_histology_findings(scan, index, term))
    findings.extend(_laterality_findings(scan))
    findings.extend(_grade_findings(page))
    return findings


def select_cancer_type(findings: Sequence[Finding]) -> Finding | None:
    """The patient's cancer type: the best-supported organ, then its most specific supported code.

    Findings are expected to be present-assertion CANCER_TYPE findings of all documents; passing
    mentions carry a low confidence and so a small weight.
    """
    types = _lexicon().types.types
    support: dict[str, float] = defaultdict(float)
    organ_weight: dict[str, float] = defaultdict(float)
    for finding in findings:
        if finding.kind is not FindingKind.CANCER_TYPE or finding.value not in types:
            continue
        organ_weight[types[finding.value].tissue] += finding.confidence
        for code in lineage(finding.value):
            support[code] += finding.confidence
    if not organ_weight:
        return None
    ranked = sorted(organ_weight.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] < _ORGAN_MARGIN * ranked[1][1]:
        return None
    node = ranked[0][0]
    children = _children()
    while True:
        candidates = [(support[c], c) for c in children.get(node, ()) if support[c] > 0]
        invasive = [(s, c) for s, c in candidates if not types[c].in_situ and s >= _MIN_SUPPORT]
        if invasive:  # an invasive cancer is the patient's type even where in-situ disease is also described
            candidates = invasive
        if not candidates:
            break
        candidates.sort(reverse=True)
        best, runner_up = candidates[0][0], candidates[1][0] if len(candidates) > 1 else 0.0
        if best < _MIN_SUPPORT or best < _DOMINANCE * runner_up:
            break
        node = candidates[0][1]
    stated = [f for f in findings if f.kind is FindingKind.CANCER_TYPE and f.value == node]
    if stated:
        return max(stated, key=lambda f: f.confidence)
    return _derived(node, [f for f in findings if f.value in types and node in lineage(f.value)])


def lint() -> list[str]:
    """Problems of the lexicon: schema errors, codes unknown to OncoTree, wrong tissues or parents."""
    try:
        lexicon = _lexicon()
    except (OSError, ValueError, yaml.YAMLError, re.error) as error:
        return [f"cancer-type data: {error}"]
    problems: list[str] = []
    types = lexicon.types.types
    for code, entry in types.items():
        if entry.parent != _TISSUE_ROOT and entry.parent not in types:
            problems.append(f"cancer_types.yaml: {code}: parent {entry.parent} is not in the lexicon")
    histology, sites = lexicon.histology.histology, lexicon.sites.sites
    for key, by_site in lexicon.types.histology_at_site.items():
        if key not in histology:
            problems.append(f"cancer_types.yaml: histology_at_site: unknown histology {key}")
        for site, code in by_site.items():
            if site not in sites:
                problems.append(f"cancer_types.yaml: histology_at_site.{key}: unknown site {site}")
            if code not in types:
                problems.append(f"cancer_types.yaml: histology_at_site.{key}.{site}: unknown code {code}")
    for key, preferred in lexicon.types.preferred_sites.items():
        problems.extend(
            f"cancer_types.yaml: preferred_sites.{key}: {site} has no code in histology_at_site"
            for site in preferred
            if site not in lexicon.types.histology_at_site.get(key, {})
        )
    problems.extend(
        f"cancer_cues.yaml: incidental_organs: unknown tissue {organ.tissue}"
        for organ in lexicon.cues.incidental_organs
        if organ.tissue not in types
    )
    problems.extend(_oncotree_problems(types, sites))
    return problems


# --- reading a page --------------------------------------------------------------------------


def _with_short_forms(page: PageText, hits: tuple[_Hit, ...]) -> tuple[_Hit, ...]:
    """Add the uses of abbreviations the document defined ("IMPC"), read as their long forms."""
    extra = [
        _Hit(use.start, use.end, terms)
        for use in page.short_form_uses()
        if (terms := _cancer_terms(use.long_form))
        and not any(h.start < use.end and use.start < h.end for h in hits)
    ]
    return tuple(sorted((*hits, *extra), key=lambda h: h.start)) if extra else hits


def _is_site(hit: _Hit) -> bool:
    return any(t.kind == "site" for t in hit.terms)


def _site_of(hit: _Hit) -> str | None:
    return next((t.key for t in hit.terms if t.kind == "site"), None)


def _is_primary_cued(text: str, hit: _Hit) -> bool:
    lexicon = _lexicon()
    after = text[hit.end : hit.end + _PRIMARY_REACH]
    before = text[max(0, hit.start - _PRIMARY_REACH) : hit.start]
    return bool(lexicon.primary_after.search(after) or lexicon.primary_before.search(before))


def _site_weight(hits: Sequence[_Hit], primary_sites: frozenset[int]) -> dict[str, float]:
    """How much the page speaks of each site that can be a primary: a cued primary counts extra."""
    sites = _lexicon().sites.sites
    weight: dict[str, float] = defaultdict(float)
    for hit in hits:
        site = _site_of(hit)
        if site and sites[site].primary:
            weight[site] += 4.0 if hit.start in primary_sites else 1.0
    return weight


def _main_site(weight: dict[str, float]) -> str | None:
    """The site the page is mostly about, if one clearly leads."""
    if not weight:
        return None
    ranked = sorted(weight.values(), reverse=True)
    if len(ranked) > 1 and ranked[0] < 1.5 * ranked[1]:
        return None
    return max(weight, key=weight.__getitem__)


def _place_factor(scan: _Page, start: int) -> float:
    """How much a mention's section counts: a diagnosis section over clinical history."""
    index = bisect_right(scan.header_starts, start) - 1
    return scan.header_factor[index] if index >= 0 else _IN_BODY


def _is_discounted(text: str, hit: _Hit) -> bool:
    lexicon = _lexicon()
    before = text[max(0, hit.start - _CUE_REACH) : hit.start]
    after = text[hit.end : hit.end + _AFTER_REACH]
    return bool(lexicon.discount_before.search(before) or lexicon.discount_after.search(after))


def _confidence(scan: _Page, hit: _Hit, base: float) -> float:
    text = scan.page.text
    confidence = base * _place_factor(scan, hit.start)
    if _is_discounted(text, hit):
        confidence *= _DISCOUNTED
    if _lexicon().incidental_before.search(text[max(0, hit.start - _CUE_REACH) : hit.start]):
        confidence *= _INCIDENTAL
    return round(min(confidence, 1.0), 3)


def _type_finding(scan: _Page, hit: _Hit, code: str, base: float, note: str | None = None) -> Finding:
    entry = _lexicon().types.types[code]
    if _is_incidental(scan, entry.tissue):
        base *= _INCIDENTAL
    return _coded(code, note, [scan.page.evidence(hit.start, hit.end)], _confidence(scan, hit, base))


def _is_incidental(scan: _Page, tissue: str) -> bool:
    """Whether the page names an operation that removes the organ along with another (a prostate in a
    cystoprostatectomy); the page is searched once per organ, and only for organs a type was found of."""
    if tissue not in scan.incidental:
        organs = _lexicon().incidental_organs
        scan.incidental[tissue] = any(pattern.search(scan.page.text) for t, pattern in organs if t == tissue)
    return scan.incidental[tissue]


def _coded(code: str, note: str | None, evidence: list[Evidence], confidence: float) -> Finding:
    """A cancer-type finding with the OncoTree code's name and ICD-10 code; derived where a note says how."""
    entry = _lexicon().types.types[code]
    return Finding(
        kind=FindingKind.CANCER_TYPE,
        value=code,
        display=entry.name,
        system="OncoTree",
        code=entry.icd10,
        basis=Basis.DERIVED if note else Basis.STATED,
        basis_note=note,
        evidence=evidence,
        confidence=confidence,
    )


def _histology_findings(scan: _Page, index: int, term: _Term) -> list[Finding]:
    lexicon = _lexicon()
    text, hit = scan.page.text, scan.hits[index]
    histology = lexicon.histology.histology[term.key]
    findings: list[Finding] = []
    if not term.weak:
        findings.append(
            Finding(
                kind=FindingKind.HISTOLOGY,
                value=histology.display,
                display=histology.display,
                evidence=[scan.page.evidence(hit.start, hit.end)],
                confidence=_confidence(scan, hit, _DIRECT),
            )
        )
    metastatic = bool(lexicon.metastatic_before.search(text[max(0, hit.start - _CUE_REACH) : hit.start]))
    around = _sites_around(scan, index)
    before = next((h for h in reversed(around) if h.end <= hit.start and _is_site(h)), None)
    # Carcinoma in a lymph node is regional spread (the N category), not a distant metastatic site.
    if (
        metastatic
        and before is not None
        and before.start not in scan.primary_sites
        and _tissue_of(before) != _NODES
    ):
        findings.append(_metastatic_site(scan, before))
    combos = lexicon.types.histology_at_site.get(term.key, {})
    usable = [h for h in around if _site_of(h) in combos]
    preferred = lexicon.types.preferred_sites.get(term.key, ())
    usual = [h for h in usable if _site_of(h) in preferred]
    cued = [h for h in usable if h.start in scan.primary_sites or _attached(text, hit, h)]
    refined = _refinement(around, combos)
    local, site, base = None, None, 0.0
    if cued:
        local, base = min(cued, key=lambda h: _distance(hit, h)), _AT_PRIMARY_SITE
    elif refined is not None:
        # "Renal cell carcinoma, conventional (clear cell) type": the histology refines the type
        # named next to it (RCC -> CCRCC) and so names its site.
        local, site, base = refined[0], refined[1], _AT_LOCAL_SITE
    elif usable and not metastatic:
        # "Uterus, bilateral tubes and ovaries: endometrioid adenocarcinoma": of several sites named
        # around a histology, the histology's usual primary, else the organ the page is mostly about.
        local, base = (
            max(
                usual or usable,
                key=lambda h: (
                    scan.tissue_weight[_tissue_of(h)],
                    scan.site_weight[_site_of(h)],
                    -_distance(hit, h),
                ),
            ),
            _AT_LOCAL_SITE,
        )
    elif not metastatic and scan.main_site and not any(_primary_capable(h) for h in around):
        site, base = scan.main_site, _AT_PAGE_SITE
    if local is not None and site is None:
        site = _site_of(local)
    code = combos.get(site or "")
    if code is None and histology.default:
        return [
            *findings,
            _type_finding(scan, hit, histology.default, _AT_PAGE_SITE * (_WEAK if term.weak else 1.0)),
        ]
    if code is None or site is None:
        return findings
    site_entry = lexicon.sites.sites[site]
    note = f"{histology.display} at the {site_entry.display.lower()}"
    finding = _type_finding(scan, hit, code, base * histology.weight * (_WEAK if term.weak else 1.0), note)
    if local is not None:
        finding.evidence.append(scan.page.evidence(local.start, local.end))
    findings.append(finding)
    if local is not None and _is_site(local) and not term.weak:
        findings.append(
            Finding(
                kind=FindingKind.PRIMARY_SITE,
                value=site,
                display=site_entry.display,
                evidence=[scan.page.evidence(local.start, local.end)],
                confidence=_confidence(scan, hit, base),
            )
        )
    return findings


def _attached(text: str, hit: _Hit, site: _Hit) -> bool:
    """A site written right after its histology: "carcinosarcoma of (the) endometrium"."""
    return site.start >= hit.end and bool(_lexicon().attached_site.fullmatch(text[hit.end : site.start]))


def _refinement(around: Sequence[_Hit], combos: dict[str, str]) -> tuple[_Hit, str] | None:
    """A type named near a histology that one of the histology's codes refines, with that code's site."""
    for other in around:
        for term in other.terms:
            if term.kind != "type":
                continue
            for site, code in combos.items():
                if term.key in lineage(code):
                    return other, site
    return None


def _primary_capable(hit: _Hit) -> bool:
    site = _site_of(hit)
    return site is not None and _lexicon().sites.sites[site].primary


def _sites_around(scan: _Page, index: int) -> list[_Hit]:
    """Site and type mentions just before a histology ("LUNG, LOBECTOMY: ...") or after ("of the lung")."""
    hits, hit = scan.hits, scan.hits[index]
    around: list[_Hit] = []
    for other in reversed(hits[:index]):
        if hit.start - other.end > _SITE_BEFORE:
            break
        if _is_site(other) or any(t.kind == "type" for t in other.terms):
            around.insert(0, other)
    next_header = bisect_right(scan.header_starts, hit.end)
    stop = scan.header_starts[next_header] if next_header < len(scan.header_starts) else len(scan.page.text)
    for other in hits[index + 1 :]:
        if other.start - hit.end > _SITE_AFTER or other.start >= stop:  # not across a section header
            break
        if _is_site(other) or any(t.kind == "type" for t in other.terms):
            around.append(other)
    return around


def _distance(hit: _Hit, other: _Hit) -> int:
    return other.start - hit.end if other.start >= hit.end else hit.start - other.end


def _tissue_of(site_hit: _Hit) -> str:
    site = _site_of(site_hit) or ""
    return _lexicon().sites.sites[site].tissue or site


def _metastatic_site(scan: _Page, site_hit: _Hit) -> Finding:
    site = _site_of(site_hit) or ""
    return Finding(
        kind=FindingKind.METASTATIC_SITE,
        value=site.upper(),
        display=_lexicon().sites.sites[site].display,
        evidence=[scan.page.evidence(site_hit.start, site_hit.end)],
        confidence=_confidence(scan, site_hit, _AT_LOCAL_SITE),
    )


def _laterality_findings(scan: _Page) -> list[Finding]:
    """Left/right/bilateral written next to a paired organ ("left breast", "KIDNEY, RIGHT")."""
    lexicon = _lexicon()
    sites = lexicon.sites.sites
    text = scan.page.text
    findings: list[Finding] = []
    for hit in scan.hits:
        site = _site_of(hit)
        if site is None or not sites[site].paired:
            continue
        window_start, window_end = max(0, hit.start - 20), min(len(text), hit.end + 20)
        for m in lexicon.laterality.finditer(text, window_start, window_end):
            side = lexicon.laterality_of[_key(m.group())]
            start, end = min(m.start(), hit.start), max(m.end(), hit.end)
            findings.append(
                Finding(
                    kind=FindingKind.LATERALITY,
                    value=side,
                    display=side,
                    evidence=[scan.page.evidence(start, end)],
                    confidence=_confidence(scan, hit, _AT_LOCAL_SITE),
                )
            )
            break
    return findings


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


def _grade_fields(rule: GradeRule, match: re.Match[str]) -> dict[str, str]:
    fields = {
        k: rule.words.get(v.lower(), _ROMAN.get(v.lower(), v)) for k, v in match.groupdict().items() if v
    }
    if "primary" in fields and "secondary" in fields and "total" not in fields:
        fields["total"] = str(int(fields["primary"]) + int(fields["secondary"]))
    return fields


def _grade_findings(page: PageText) -> list[Finding]:
    findings: list[Finding] = []
    for rule, pattern in _lexicon().grade_patterns:
        for m in pattern.finditer(page.text):
            try:
                value = rule.value.format(**_grade_fields(rule, m))
            except KeyError:
                continue
            findings.append(
                Finding(
                    kind=FindingKind.GRADE,
                    value=value,
                    display=value,
                    system=rule.system,
                    evidence=[page.evidence(m.start(), m.end())],
                    confidence=_DIRECT,
                )
            )
    return findings


# --- the OncoTree tree of the lexicon --------------------------------------------------------


def lineage(code: str) -> list[str]:
    """The code and its ancestors in the lexicon, up to its tissue."""
    types = _lexicon().types.types
    chain: list[str] = []
    while code in types and code not in chain:
        chain.append(code)
        code = types[code].parent
    return chain


@cache
def _children() -> dict[str, tuple[str, ...]]:
    children: dict[str, list[str]] = defaultdict(list)
    for code, entry in _lexicon().types.types.items():
        if entry.parent != _TISSUE_ROOT:
            children[entry.parent].append(code)
    return {parent: tuple(codes) for parent, codes in children.items()}


def _derived(code: str, under: Sequence[Finding]) -> Finding:
    stated = sorted({f.value for f in under})
    return _coded(
        code,
        f"the common type of {', '.join(stated)}: none of them clearly outweighs the others",
        [e for f in sorted(under, key=lambda f: -f.confidence)[:3] for e in f.evidence],
        round(max((f.confidence for f in under), default=0.0) * 0.8, 3),
    )


def _oncotree_problems(types: dict[str, CancerType], sites: dict[str, Site]) -> list[str]:
    """Check codes against the OncoTree release in shared/ (lint and test time only)."""
    import json

    if not ONCOTREE.exists():
        return [f"OncoTree release not found at {ONCOTREE}: codes not checked"]
    tree = json.loads(ONCOTREE.read_text(encoding="utf-8"))
    nodes: dict[str, tuple[str | None, str]] = {}  # code -> (parent, tissue)

    def walk(node: dict, tissue: str | None) -> None:
        for code, child in node.get("children", {}).items():
            child_tissue = tissue or code
            nodes[code] = (child.get("parent"), child_tissue)
            walk(child, child_tissue)

    walk(tree[_TISSUE_ROOT], None)
    problems = []
    for code, entry in types.items():
        if code not in nodes:
            problems.append(f"cancer_types.yaml: {code} is not an OncoTree code")
            continue
        parent, tissue = nodes[code]
        if entry.tissue != tissue:
            problems.append(f"cancer_types.yaml: {code}: tissue {entry.tissue}, OncoTree says {tissue}")
        if entry.parent != parent:
            problems.append(f"cancer_types.yaml: {code}: parent {entry.parent}, OncoTree says {parent}")
    tissues = {tissue for _, tissue in nodes.values()}
    problems.extend(
        f"sites.yaml: {key}: tissue {site.tissue} is not an OncoTree tissue"
        for key, site in sites.items()
        if site.tissue and site.tissue not in tissues
    )
    return problems
