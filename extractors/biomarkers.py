"""Biomarker results (receptors, genes, variants, PD-L1, TMB, MSI, MMR) from report text and tables.

A result is read around a marker's name: the words after it ("ER positive (95%)", "HER2 not
amplified", a sign "ER (+)") or, where a report puts them first, right before it ("negative for HER2",
"no mutation detected in KRAS"). Names joined by commas, "and", "or" or "/" share one result ("No EGFR,
ALK or ROS1 alterations detected"). Where no result word is written, a number against the marker's
threshold (PD-L1 TPS 60%), an IHC score (HER2 1+), a templated field's value on its scale ("ER (xy%,
n/a) : 95") or a named variant (KRAS p.G12C) says it. Names in a sentence about other people,
controls or an earlier cancer, or in a cited title, give no result; nor do names in text that
describes a test rather than reports its result: a method, limitations or background section
(`extractors/nlp/data/sections.yaml`), criteria ("Greater than 2.0: EGFR amplification"), the
literature ("BRAF mutations can be found in 14% of colorectal cancers") or a test's name ("EGFR
mutation or gene amplification status"). Tables are read row by row with
their headers, and their rows are cited where they stand in the page text; variants of uncertain
significance are skipped. An in situ hybridisation result settles an equivocal IHC score and keeps
it beside the result. The stains of a panel's proteins give the panel's result together: a lost
protein makes it positive, all of them kept negative (MLH1, MSH2, MSH6 and PMS2 give dMMR or pMMR).
All medicine (names, words, thresholds) lives in data/biomarkers.yaml.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from extractors.base import PageText
from extractors.nlp.rules import context_rules
from extractors.nlp.sections import sections
from oncoguide.domain import Basis, Biomarker, BiomarkerResult, Evidence, Finding, FindingKind

_DATA = Path(__file__).with_name("data") / "biomarkers.yaml"
_BARE_REACH = 12  # characters after a marker within which a unitless number may be its value
_WINDOW = 80  # characters after a marker (or a list of markers) read for its result
_LEAD_IN = 120  # further characters of words that only lead up to a result ("Performed on another specimen")
_BEFORE = 80  # characters before it searched for a leading cue ("negative for")
_ROW_REACH = 300  # characters from one table cell to the next in the text layer
_HEADING_REACH = 300  # characters before a table searched for a VUS heading
_SENTENCE_REACH = 300  # characters after a name searched for the end of its sentence
_TABLE, _STATED, _IMPLIED, _UNSURE = 0.95, 0.9, 0.8, 0.7
_DEFINITE = {BiomarkerResult.POSITIVE: 2, BiomarkerResult.NEGATIVE: 2, BiomarkerResult.EQUIVOCAL: 1}
_POS, _NEG = BiomarkerResult.POSITIVE, BiomarkerResult.NEGATIVE
_OPPOSITE = {_POS: _NEG, _NEG: _POS}
_LOSS_KINDS = ("lost", "retained")  # leading words that say a marker's product is lost or kept
_PUNCTUATION = " \t\n:.,;-"
# Between two names of one list: punctuation, "and"/"or", a bracketed synonym ("HER2 (ERBB2)"); a comma
# may carry an OCR'd period ("EGFR,. KRAS and BRAF negative").
_CONNECTOR = re.compile(r"(?:[\s,/&()]|,\.)*(?:(?:and|or|nor)\b(?:[\s,/&()]|,\.)*)?", re.IGNORECASE)
# A one-digit position needs its "p." ("p.M1I"): "Neu (H2N)" names a clone.
_PROTEIN = re.compile(
    r"(?<![\w.>])(?:p\.\s?\(?(?=[A-Z](?:[a-z]{2})?\d)|(?=[A-Z](?:[a-z]{2})?\d{2}))"
    r"([A-Z](?:[a-z]{2})?)(\d{1,4})([A-Z](?:[a-z]{2})?|\*|X|fs\*?\d*|del|dup|ins[A-Z]*)\)?(?![\w>])"
)
# A fusion partner is a gene symbol: two letters at least before any digit (EML4, not a clone "A485"),
# joined by a hyphen without spaces or by "::"; "EGFR - POLYSOMY" is a list item and its result.
_PARTNER_BEFORE = re.compile(r"(?<![\w-])([A-Z]{2}[A-Z0-9]{0,8})(?:-|\s*::\s*)$")
_PARTNER_AFTER = re.compile(r"^(?:-|\s*::\s*)([A-Z]{2}[A-Z0-9]{0,8})\b")
# Where one sentence ends and the next begins (OCR breaks lines with ". " before lower-case words).
_SENTENCE_BREAK = re.compile(r"[.;]\s+(?=[A-Z])")
# Where the sentence holding a name starts, looking back from it: a sentence break or a new line.
_SENTENCE_START = re.compile(rf"{_SENTENCE_BREAK.pattern}|\n")
_LAST_WORD = re.compile(r"(\w+)\.\Z")  # the word a period follows
_IHC_SCORE = re.compile(r"(?<![\d.])([0-3])\s?\+|\bscore\s*(?:=|of|:)?\s*([0-3])(?![\d.])|\b(zero)\b", re.I)
_NUMBER = r"(?P<below><|less\s+than\s+)?(?<![\w.])(?P<number>\d+(?:\.\d+)?)"
# The value of a templated field after its scale: a number, or a letter O that OCR made of a zero.
_FIELD_VALUE = re.compile(r"\s*[:=]?\s*(\d+(?:\.\d+)?|[oO])(?!\w|\.\d)")
_IHC_FIELD = "score"  # the field scale whose value is an IHC score ("Her-2/neu (0-3+, n/a) : 1")


# --- data schema ---------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MarkerSpec(_Model):
    gene: str | None = None
    exact: list[str] = Field(default_factory=list)  # matched case-sensitively ("ER", "PR", "MET")
    aliases: list[str] = Field(default_factory=list)
    thresholds: dict[str, float] = Field(default_factory=dict)  # unit -> value from which it is positive
    units: list[str] = Field(default_factory=list)  # further units its values may carry
    bare_unit: str | None = None  # the unit of a number written alone right after the marker
    bare_max: float | None = None  # the largest such number that can be a value (not a record number)
    amplification_is_result: bool = False  # its amplification is the result itself, not a variant
    loss: BiomarkerResult = BiomarkerResult.POSITIVE  # what a lost product means ("loss of STK11")
    # Its own words before its name that say its product is lost or kept ("negative for MLH1").
    before: dict[Literal["lost", "retained"], list[str]] = Field(default_factory=dict)
    # The panel whose result it is part of (MLH1 of MMR): reported only as that panel's result.
    panel: str | None = None
    ambiguous: list[BiomarkerResult] = Field(default_factory=list)  # general result words it ignores
    ihc_scores: dict[str, BiomarkerResult] = Field(default_factory=dict)
    scores: dict[BiomarkerResult, str] = Field(default_factory=dict)  # result -> score (MSS, pMMR)
    valued_result: BiomarkerResult | None = None
    cues: dict[BiomarkerResult, list[str]] = Field(default_factory=dict)


class GroupSpec(_Model):
    exact: list[str]
    markers: list[str]


class SelfResult(_Model):
    pattern: str
    marker: str
    result: BiomarkerResult


class AlterationSpec(_Model):
    pattern: str
    name: str
    negated_by: str | None = None
    implies: bool = True  # the phrase alone says the alteration is present


class Columns(_Model):
    marker: list[str]
    alteration: list[str]
    result: list[str]
    ignore: list[str]


class Lexicon(_Model):
    version: int
    markers: dict[str, MarkerSpec]
    groups: dict[str, GroupSpec]
    self_results: list[SelfResult]
    after: dict[BiomarkerResult, list[str]]
    own_sentence: list[str]
    alterations: list[AlterationSpec]
    test_names: list[str]
    before: dict[BiomarkerResult, list[str]]
    loss_before: dict[Literal["lost", "retained"], list[str]]
    gene_tests: dict[Literal["after", "before"], list[str]]
    handed_on: str
    own_objects: list[str]
    discard: list[str]
    discard_before: list[str]
    signs: dict[BiomarkerResult, list[str]]
    field_scales: dict[str, list[str]]
    citations: list[str]
    legends: list[str]
    lead_ins: list[str]
    vus_headings: list[str]
    methods: dict[str, list[str]]
    units: dict[str, list[str]]
    columns: Columns


# --- compiled form -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    lexicon: Lexicon
    mention: re.Pattern[str]  # one group per name, saying which name matched
    mention_search: re.Pattern[str]  # the same names without their groups, to search a text with
    names: tuple[tuple[tuple[str, ...], BiomarkerResult | None], ...]  # per group index
    after: dict[str, re.Pattern[str]]  # marker -> its result cues, general and its own
    before: re.Pattern[str]
    before_kinds: tuple[str, ...]  # per group: a result, or "lost" / "retained"
    own_before: dict[str, re.Pattern[str]]  # marker -> its own leading words, groups "lost" / "retained"
    gene_after: re.Pattern[str]
    gene_before: re.Pattern[str]
    alteration: re.Pattern[str]
    discard: re.Pattern[str]
    discard_before: re.Pattern[str]
    citation: re.Pattern[str]
    handed_on: re.Pattern[str]
    sign: re.Pattern[str]
    scale: re.Pattern[str]
    scale_units: tuple[str, ...]
    legend: re.Pattern[str]
    lead_in: re.Pattern[str]
    vus: re.Pattern[str]
    method: re.Pattern[str]
    value: re.Pattern[str]
    columns: dict[str, re.Pattern[str]]


def _alternation(patterns: Sequence[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _from_word_start(body: str, *, whole: bool = True) -> re.Pattern[str]:
    """`body` starting a word and, if `whole`, ending one too."""
    return re.compile(rf"(?<![\w])(?:{body})" + (r"(?![\w])" if whole else ""), re.IGNORECASE)


def _named(groups: dict[str, Sequence[str]]) -> tuple[str, list[str]]:
    keys = [key for key, patterns in groups.items() if patterns]
    body = "|".join(f"(?P<g{i}>{_alternation(groups[key])})" for i, key in enumerate(keys))
    return body, keys


@cache
def _compiled() -> _Compiled:
    lexicon = Lexicon.model_validate(yaml.safe_load(_DATA.read_text(encoding="utf-8")))
    alternatives: list[str] = []
    names: list[tuple[tuple[str, ...], BiomarkerResult | None]] = []
    # Names that carry a result first, then groups, then markers: the first alternative wins.
    for entry in lexicon.self_results:
        alternatives.append(entry.pattern)
        names.append(((entry.marker,), entry.result))
    for group in lexicon.groups.values():
        alternatives.append(_alternation([rf"(?-i:{re.escape(e)})" for e in group.exact]))
        names.append((tuple(group.markers), None))
    for marker, spec in lexicon.markers.items():
        patterns = [rf"(?-i:{re.escape(e)})" for e in spec.exact] + spec.aliases
        alternatives.append(_alternation(patterns))
        names.append(((marker,), None))
    mention = "|".join(f"(?P<m{i}>{p})" for i, p in enumerate(alternatives))

    after: dict[str, re.Pattern[str]] = {}
    for marker, spec in lexicon.markers.items():
        cues = {r: list(ps) for r, ps in lexicon.after.items() if r not in spec.ambiguous}
        for result, patterns in spec.cues.items():
            cues.setdefault(result, []).extend(patterns)
        negated = [a.negated_by for a in lexicon.alterations if a.negated_by]
        cues.setdefault(BiomarkerResult.NEGATIVE, []).extend(negated)
        # Longest phrases first so that "not amplified" is tried before "amplified" at one position.
        # Weak words ("present", "found") count only in the marker's own sentence: group "w_<result>".
        weak = set(lexicon.own_sentence)
        groups: dict[str, list[str]] = {}
        for result, patterns in cues.items():
            groups[result.value] = [p for p in patterns if p not in weak]
            groups[f"w_{result.value}"] = [p for p in patterns if p in weak]
        ordered = {g: sorted(ps, key=len, reverse=True) for g, ps in groups.items() if ps}
        body = "|".join(f"(?P<{g}>{_alternation(ps)})" for g, ps in ordered.items())
        after[marker] = re.compile(rf"(?<![\w-])(?:{body})(?![\w])", re.IGNORECASE)

    leading = {
        **{result.value: patterns for result, patterns in lexicon.before.items()},
        **lexicon.loss_before,
    }
    before_body, before_keys = _named(leading)
    own_before = {
        marker: re.compile(
            rf"(?:{'|'.join(f'(?P<{k}>{_alternation(ps)})' for k, ps in spec.before.items() if ps)})"
            r"\s*(?:the\s+)?\Z",
            re.IGNORECASE,
        )
        for marker, spec in lexicon.markers.items()
        if any(spec.before.values())
    }
    sign_body = "|".join(f"(?P<{r.value}>{_alternation(ps)})" for r, ps in lexicon.signs.items())
    scales = "|".join(f"(?P<f{i}>{_alternation(ps)})" for i, ps in enumerate(lexicon.field_scales.values()))
    alteration_body = "|".join(f"(?P<a{i}>{a.pattern})" for i, a in enumerate(lexicon.alterations))
    own_objects = _alternation([*lexicon.own_objects, *(a.pattern for a in lexicon.alterations)])
    methods = "|".join(f"(?P<{k}>{_alternation(ps)})" for k, ps in lexicon.methods.items())
    units = {unit: _alternation(ps) for unit, ps in lexicon.units.items()}
    before_unit = "|".join(f"(?P<pre_{i}>{p})" for i, p in enumerate(units.values()))
    after_unit = "|".join(f"(?P<post_{i}>{p})" for i, p in enumerate(units.values()))
    value = rf"(?:(?:{before_unit})\s*(?:of|:|=|is)?\s*)?{_NUMBER}\s*(?:(?P<pct>%)|(?:{after_unit})(?![\w]))?"
    return _Compiled(
        lexicon=lexicon,
        mention=_from_word_start(mention),
        mention_search=_from_word_start(_alternation(alternatives)),
        names=tuple(names),
        after=after,
        before=re.compile(rf"(?:{before_body})\s*(?:the\s+)?\Z", re.IGNORECASE),
        before_kinds=tuple(before_keys),
        own_before=own_before,
        gene_after=re.compile(
            rf"[\s,.:;]*(?:{_alternation(lexicon.gene_tests.get('after', []))})(?![\w])", re.IGNORECASE
        ),
        gene_before=_from_word_start(_alternation(lexicon.gene_tests.get("before", []))),
        alteration=re.compile(
            rf"(?<![\w])(?:{alteration_body})(?![\w])(?![\s-]*(?:{_alternation(lexicon.test_names)})\b)",
            re.IGNORECASE,
        ),
        discard=_from_word_start(_alternation(lexicon.discard)),
        discard_before=_from_word_start(_alternation(lexicon.discard_before)),
        citation=_from_word_start(_alternation(lexicon.citations), whole=False),
        handed_on=re.compile(
            rf"{lexicon.handed_on}(?!\s+(?:\w+\s+){{0,3}}?(?:{own_objects})(?![\w]))", re.IGNORECASE
        ),
        sign=re.compile(sign_body, re.IGNORECASE),
        scale=re.compile(rf"\s*(?:{scales})", re.IGNORECASE),
        scale_units=tuple(lexicon.field_scales),
        legend=_from_word_start(_alternation(lexicon.legends), whole=False),
        lead_in=re.compile(rf"(?:[\s:.,;-]|{_alternation(lexicon.lead_ins)})*", re.IGNORECASE),
        vus=_from_word_start(_alternation(lexicon.vus_headings)),
        method=_from_word_start(methods),
        value=re.compile(value, re.IGNORECASE),
        columns={
            kind: _from_word_start(_alternation(ps), whole=False)
            for kind, ps in lexicon.columns.model_dump().items()
        },
    )


def lint() -> list[str]:
    """Problems of the biomarker data: schema errors, bad patterns, unknown markers or units."""
    try:
        lexicon = _compiled().lexicon
    except (OSError, ValueError, yaml.YAMLError, re.error) as error:
        return [f"biomarkers.yaml: {error}"]
    problems: list[str] = []
    known_units = {"%", *lexicon.units}
    for name, group in lexicon.groups.items():
        unknown = [m for m in group.markers if m not in lexicon.markers]
        problems += [f"biomarkers.yaml: group {name}: unknown marker {m}" for m in unknown]
    for entry in lexicon.self_results:
        if entry.marker not in lexicon.markers:
            problems.append(f"biomarkers.yaml: self_results: unknown marker {entry.marker}")
    cues = {p for patterns in lexicon.after.values() for p in patterns}
    problems += [
        f"biomarkers.yaml: own_sentence: {p} is no result word" for p in lexicon.own_sentence if p not in cues
    ]
    for marker, spec in lexicon.markers.items():
        if not spec.exact and not spec.aliases:
            problems.append(f"biomarkers.yaml: {marker}: no name to find it by")
        if spec.panel and spec.panel not in lexicon.markers:
            problems.append(f"biomarkers.yaml: {marker}: unknown panel {spec.panel}")
        if spec.loss not in _OPPOSITE:
            problems.append(f"biomarkers.yaml: {marker}: loss must be positive or negative")
        for unit in [*spec.thresholds, *spec.units]:
            if unit not in known_units:
                problems.append(f"biomarkers.yaml: {marker}: unknown unit {unit}")
    problems += [
        f"biomarkers.yaml: field_scales: unknown unit {unit}"
        for unit in lexicon.field_scales
        if unit not in {*known_units, _IHC_FIELD}
    ]
    return problems


# --- reading one phrase --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reading:
    result: BiomarkerResult
    end: int  # offset in the phrase where what was read ends
    explicit: bool
    alteration: str | None = None
    partner: str | None = None
    method: str | None = None
    score: str | None = None
    value: float | None = None
    unit: str | None = None


def _first_cue(
    pattern: re.Pattern[str], phrase: str, compiled: _Compiled, broken: bool
) -> tuple[BiomarkerResult, int, int] | None:
    """The deciding result word: a positive or negative first, else equivocal, pending, not tested.

    `broken`: a sentence ended between the name and the phrase, so weak words say nothing of it.
    """
    found: dict[int, tuple[BiomarkerResult, int, int]] = {}
    for match in pattern.finditer(phrase):
        group = match.lastgroup or ""
        if group.startswith("w_") and (broken or _SENTENCE_BREAK.search(phrase[: match.start() + 1])):
            continue  # "HER2 gene. An adequate number of cells were present" says nothing of HER2
        if compiled.handed_on.match(phrase, match.end()):
            continue  # "EGFR. Positive for monosomy 10": the result of what follows
        result = BiomarkerResult(group.removeprefix("w_"))
        tier = _DEFINITE.get(result, 0)
        if tier not in found:
            found[tier] = (result, match.start(), match.end())
    return found[max(found)] if found else None


def _broken(phrase: str, skip: re.Match[str] | None) -> bool:
    """Whether only punctuation ending a sentence was stepped over ("APC. SENTINEL NODE: ... PRESENT");
    after words that lead up to a result ("Performed on another specimen. Specimen: present") it goes on."""
    if skip is None or skip.group(0).strip(_PUNCTUATION):
        return False
    return _SENTENCE_BREAK.search(phrase[: skip.end() + 1]) is not None


def _alteration_in(phrase: str, compiled: _Compiled) -> tuple[str | None, int, bool]:
    """The first variant or alteration named in the phrase, where it ends, whether it says it is present."""
    protein = _PROTEIN.search(phrase)
    named = compiled.alteration.search(phrase)
    if protein and (named is None or protein.start() <= named.start()):
        return f"p.{protein.group(1)}{protein.group(2)}{protein.group(3)}", protein.end(), True
    if named:
        spec = compiled.lexicon.alterations[int((named.lastgroup or "a0")[1:])]
        return spec.name, named.end(), spec.implies
    return None, 0, False


def _value_in(phrase: str, spec: MarkerSpec, compiled: _Compiled) -> tuple[float, str, bool, int] | None:
    allowed = {*spec.thresholds, *spec.units, spec.bare_unit} - {None}
    if not allowed:
        return None
    unit_names = list(compiled.lexicon.units)
    for match in compiled.value.finditer(phrase):
        named = [k for k, v in match.groupdict().items() if v and k.startswith(("pre_", "post_"))]
        unit = (
            unit_names[int(named[0].split("_")[1])]
            if named
            else ("%" if match.group("pct") else spec.bare_unit)
        )
        if unit == spec.bare_unit and not named and not _is_bare_value(match, spec):
            continue
        if unit in allowed:
            return float(match.group("number")), unit, bool(match.group("below")), match.end()
    return None


def _is_bare_value(match: re.Match[str], spec: MarkerSpec) -> bool:
    """A number alone counts only right after its marker and within range ("Recurrence Score: 18")."""
    limit = spec.bare_max if spec.bare_max is not None else float("inf")
    return match.start() <= _BARE_REACH and float(match.group("number")) <= limit


def _read(
    marker: str, phrase: str, compiled: _Compiled, lead: BiomarkerResult | None, window: int = _WINDOW
) -> _Reading | None:
    """The result of `marker` stated in `phrase` (the words after its name), given a leading cue."""
    spec = compiled.lexicon.markers[marker]
    if scale := compiled.scale.match(phrase):
        unit = compiled.scale_units[int((scale.lastgroup or "f0")[1:])]
        return _field_reading(spec, unit, _FIELD_VALUE.match(phrase, scale.end()))
    # A sign against the name ("ER (+)", "HER2-/") is its result word; otherwise words that only lead
    # up to the result ("Performed on another specimen. Specimen (accession number): Positive") are
    # stepped over and the result is read in the window after them.
    sign = compiled.sign.match(phrase)
    skip = None if sign else compiled.lead_in.match(phrase)
    offset = skip.end() if skip else 0
    words = phrase[offset : offset + window]
    cue = (
        (BiomarkerResult(sign.lastgroup or ""), sign.start(), sign.end())
        if sign
        else _first_cue(compiled.after[marker], words, compiled, _broken(phrase, skip))
    )
    if lead and cue and _SENTENCE_BREAK.search(words[: cue[1]]):
        cue = None  # "Negative for ... the ALK gene. Probe ... % Positive nuclei": a later sentence's word
    value = _value_in(words, spec, compiled)
    # A measured marker's number written before any result word decides ("Ki-67 20%, ... negative margins"):
    # what is read ends with the number.
    if (spec.thresholds or spec.valued_result) and value and cue and value[3] <= cue[1]:
        cue = None
    end = cue[2] if cue else 0
    alteration, implied = None, False
    if spec.gene and not spec.scores:
        alteration, altered_end, implied = _alteration_in(words, compiled)
        if alteration == "amplification" and spec.amplification_is_result:
            alteration, implied = None, False  # "HER2 gene amplification by FISH" names the test
        else:
            end = max(end, altered_end)
    score = None
    if spec.ihc_scores and (scored := _IHC_SCORE.search(words)):
        raw = scored.group(1) or scored.group(2) or "0"
        score = raw if raw == "0" else f"{raw}+"
        end = max(end, scored.end())
    if value:
        end = max(end, value[3])
    # Hedges and method text void the sentence they stand in, the one that states the result, not the
    # notes after it ("negative for HER2. NOTE: some antibodies ..."), to its end within the phrase.
    rest = phrase[offset:]
    stop = _SENTENCE_BREAK.search(rest, end)
    if compiled.discard.search(rest[: stop.start() if stop else len(rest)]):
        return None
    # The method that gave the result stands nearest before its word ("IHC 2+; FISH not amplified").
    methods = list(compiled.method.finditer(phrase[: max(offset + end, 1)]))
    leading = [m for m in methods if cue is None or m.start() < offset + cue[1]]
    method = leading[-1] if leading else methods[0] if methods else None
    result, explicit = (lead, True) if lead else (cue[0], True) if cue else (None, False)
    scored_result = spec.ihc_scores.get(score) if score is not None else None
    if result is None:
        result = scored_result
    elif _DEFINITE.get(scored_result, 0) == 2 and _DEFINITE.get(result, 0) == 2 and scored_result != result:
        return None  # "Negative reaction (score 3+)": the words and the score disagree
    if result is None and value is not None:
        number, unit, below, _ = value
        threshold = spec.thresholds.get(unit)
        if threshold is None:
            result = spec.valued_result
        elif not below:
            result = BiomarkerResult.POSITIVE if number >= threshold else BiomarkerResult.NEGATIVE
        elif number <= threshold:
            result = BiomarkerResult.NEGATIVE
        # "<5%" against a 1% cut-off may be either: no result.
    if result is None and implied:
        result = BiomarkerResult.POSITIVE
    if result is None:
        return None
    return _Reading(
        result=result,
        end=offset + end,
        explicit=explicit,
        alteration=alteration,
        method=method.lastgroup if method else None,
        score=spec.scores.get(result, score),
        value=value[0] if value else None,
        unit=value[1] if value else None,
    )


def _field_reading(spec: MarkerSpec, unit: str, value: re.Match[str] | None) -> _Reading | None:
    """A templated field's value read on its scale ("ER (xy%, n/a) : 95"); "n/a" is no result."""
    if value is None:
        return None
    number = 0.0 if value.group(1) in ("o", "O") else float(value.group(1))
    if unit == _IHC_FIELD:
        score = None if number not in (0, 1, 2, 3) else "0" if number == 0 else f"{number:g}+"
        result = spec.ihc_scores.get(score) if score else None
        return _Reading(result, value.end(), explicit=False, score=score) if result else None
    threshold = spec.thresholds.get(unit)
    if threshold is not None:
        result = BiomarkerResult.POSITIVE if number >= threshold else BiomarkerResult.NEGATIVE
    elif unit in spec.units and spec.valued_result is not None:
        result = spec.valued_result
    else:
        return None
    return _Reading(result, value.end(), explicit=False, value=number, unit=unit)


def _finding(
    page: PageText, marker: str, reading: _Reading, span: tuple[int, int], confidence: float
) -> Finding:
    biomarker = Biomarker(
        marker=marker,
        gene=_compiled().lexicon.markers[marker].gene,
        alteration=reading.alteration,
        partner=reading.partner,
        result=reading.result,
        method=reading.method,
        score=reading.score,
        value=reading.value,
        unit=reading.unit,
    )
    if reading.result in (BiomarkerResult.PENDING, BiomarkerResult.NOT_TESTED):
        confidence = min(confidence, _UNSURE)
    words = " ".join(part for part in (marker, reading.alteration) if part)
    return Finding(
        kind=FindingKind.BIOMARKER,
        value=f"{words} {reading.result.value}",
        display=_display(biomarker),
        biomarker=biomarker,
        evidence=[page.evidence(*span)],
        confidence=confidence,
    )


def _display(marker: Biomarker) -> str:
    """ "HER2: negative (FISH, IHC 2+, ratio 1.3)": the result, then how it was found."""
    words = " ".join(part for part in (marker.marker, marker.alteration) if part)
    score = marker.score
    ihc_scores = _compiled().lexicon.markers[marker.marker].ihc_scores
    if score and score in ihc_scores:
        # An IHC score beside another method's result says so ("FISH, IHC 2+"), and its own category
        # where the result settled it ("negative (IHC 2+ equivocal)").
        score = score if marker.method == "IHC" else f"IHC {score}"
        if ihc_scores[marker.score] is not marker.result:
            score = f"{score} {ihc_scores[marker.score].value}"
    details = [d for d in (marker.method, score) if d]
    if marker.value is not None:
        number = f"{marker.value:g}"
        details.append(
            f"{number}%"
            if marker.unit == "%"
            else f"{marker.unit} {number}"
            if marker.unit in {"TPS", "CPS", "ratio", "Allred"}
            else f"{number} {marker.unit}"
        )
    if marker.partner:
        details.append(f"{marker.partner}-{marker.marker}")
    return f"{words}: {marker.result.value.replace('_', ' ')}" + (
        f" ({', '.join(details)})" if details else ""
    )


# --- prose ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    markers: tuple[str, ...]
    result: BiomarkerResult | None  # for names that carry their result ("MSS")


def _mentions(text: str, compiled: _Compiled) -> Iterator[_Mention]:
    # The text is searched without the names' groups, about three times faster: a group at the head of
    # each alternative is entered at every word. Where a name is found, matching with the groups there
    # gives the same match and says which name it is.
    for found in compiled.mention_search.finditer(text):
        match = compiled.mention.match(text, found.start())
        assert match is not None and match.end() == found.end()
        markers, result = compiled.names[int((match.lastgroup or "m0")[1:])]
        yield _Mention(match.start(), match.end(), markers, result)


def names_marker(phrase: str) -> bool:
    """Whether a phrase is a biomarker name of the lexicon (an abbreviation worth reading)."""
    return _compiled().mention.fullmatch(phrase) is not None


def _short_form_mentions(page: PageText, text: str, mentions: list[_Mention]) -> list[_Mention]:
    """Add the uses of abbreviations the document defined, read as the marker their long form names."""
    compiled = _compiled()
    extra = []
    for use in page.short_form_uses():
        named = compiled.mention.fullmatch(use.long_form)
        if named is None or text[use.start : use.end] != page.text[use.start : use.end]:  # blanked legend
            continue
        if not any(m.start < use.end and use.start < m.end for m in mentions):
            markers, result = compiled.names[int((named.lastgroup or "m0")[1:])]
            extra.append(_Mention(use.start, use.end, markers, result))
    return sorted([*mentions, *extra], key=lambda m: m.start) if extra else mentions


def _lists(mentions: list[_Mention], text: str, compiled: _Compiled) -> Iterator[list[_Mention]]:
    """Runs of names that share one result: "EGFR, ALK, MET exon 14 or RET", "ER/PR"."""
    run: list[_Mention] = []
    for mention in mentions:
        if run and mention.result is None and run[-1].result is None:
            between = compiled.alteration.sub(" ", _PROTEIN.sub(" ", text[run[-1].end : mention.start]))
            if _CONNECTOR.fullmatch(between):
                run.append(mention)
                continue
        if run:
            yield run
        run = [mention]
    if run:
        yield run


def _prose_findings(
    page: PageText, text: str, named: list[_Mention], covered: list[tuple[int, int]], compiled: _Compiled
) -> list[Finding]:
    """Findings of the page's prose; `text` is the page text with its legends blanked out, `named` the
    names found in it."""
    mentions = [
        m for m in _short_form_mentions(page, text, named) if not any(s <= m.start < e for s, e in covered)
    ]
    runs = list(_lists(mentions, text, compiled))
    findings: list[Finding] = []
    for index, run in enumerate(runs):
        start, end = run[0].start, run[-1].end
        if _about_another(text, start, compiled):
            continue
        reach = runs[index - 1][-1].end if index else 0
        before = compiled.before.search(text[max(reach, start - _BEFORE) : start])
        kind = compiled.before_kinds[int((before.lastgroup or "g0")[1:])] if before else None
        run_before = (before, kind)
        if run[0].result is not None:
            lead = _lead(kind, compiled.lexicon.markers[run[0].markers[0]])
            if (finding := _self_finding(page, run[0], lead, compiled)) is not None:
                findings.append(finding)
            continue
        limit = runs[index + 1][0].start if index + 1 < len(runs) else len(text)
        phrase = text[end : min(limit, end + _WINDOW + _LEAD_IN)]
        # A cue that leads into the next name belongs to it ("ER positive and negative for HER2").
        if (
            index + 1 < len(runs)
            and limit <= end + len(phrase)
            and (lead_in := compiled.before.search(phrase))
        ):
            phrase = phrase[: lead_in.start()]
        for position, mention in enumerate(run):
            # A name's own qualifier ("MET exon 14") sits between it and the next name of the list.
            own = text[mention.end : run[position + 1].start] if position + 1 < len(run) else phrase
            for marker in dict.fromkeys(mention.markers):
                spec = compiled.lexicon.markers[marker]
                if spec.panel and _names_a_gene(text, start, own, phrase, compiled):
                    continue  # "MLH1 promoter methylation", "germline testing: negative for MLH1"
                before, kind = _own_before(marker, text[max(reach, start - _BEFORE) : start], run_before)
                lead = _lead(kind, spec)
                reading = _read(marker, own, compiled, lead) if own is not phrase else None
                if reading is None or reading.alteration is None:
                    shared = _read(marker, phrase, compiled, lead)
                    if shared and reading and reading.alteration:
                        shared = _Reading(**{**_as_dict(shared), "alteration": reading.alteration})
                    reading = shared
                if (
                    before
                    and lead is BiomarkerResult.POSITIVE
                    and (reading is None or not reading.alteration)
                ):
                    # "loss of STK11": the variant is named in the leading words.
                    reading = _read(marker, before.group(0), compiled, lead) or reading
                reading = _with_partner(reading, marker, text, mention)
                if reading is None or (_named_only(reading) and _hedged(text, mention, compiled)):
                    continue
                span_start = start - len(before.group(0)) if before else start
                span_end = max(mention.end, end + reading.end)
                confidence = _STATED if reading.explicit else _IMPLIED
                findings.append(_finding(page, marker, reading, (span_start, span_end), confidence))
    return findings


def _own_before(
    marker: str, leading: str, general: tuple[re.Match[str] | None, str | None]
) -> tuple[re.Match[str] | None, str | None]:
    """The words before a name that say its result: the marker's own ("negative for MLH1": the protein
    is lost) before the general ones."""
    pattern = _compiled().own_before.get(marker)
    own = pattern.search(leading) if pattern else None
    return (own, own.lastgroup) if own else general


def _names_a_gene(text: str, start: int, own: str, phrase: str, compiled: _Compiled) -> bool:
    """Whether a stained protein's name stands for its gene: gene words right after it or its list
    ("MLH1 promoter methylation", "MLH1 and MSH2 mutations") or before it in its sentence ("germline")."""
    if compiled.gene_after.match(own) or compiled.gene_after.match(phrase):
        return True
    return compiled.gene_before.search(text, _sentence_start(text, start), start) is not None


def _named_only(reading: _Reading) -> bool:
    """A variant or fusion named with no result word, number or score: "BRAF V600E mutation and ..."."""
    return (
        not reading.explicit
        and reading.alteration is not None
        and reading.value is None
        and reading.score is None
    )


def _hedged(text: str, mention: _Mention, compiled: _Compiled) -> bool:
    """Whether the sentence holding a name is a hedge, a method or a statement about others ("BRAF
    V600E mutation and RET/PTC rearrangements are overall specific for malignancy")."""
    stop = _SENTENCE_BREAK.search(text, mention.end, mention.end + _SENTENCE_REACH)
    end = stop.start() if stop else mention.end + _SENTENCE_REACH
    return compiled.discard.search(text, _sentence_start(text, mention.start), end) is not None


def _lead(kind: str | None, spec: MarkerSpec) -> BiomarkerResult | None:
    """The result that words before a name give it; a lost or kept product means what its loss means."""
    if kind in _LOSS_KINDS:
        return spec.loss if kind == "lost" else _OPPOSITE[spec.loss]
    result = BiomarkerResult(kind) if kind else None
    return None if result in spec.ambiguous else result


def _about_another(text: str, start: int, compiled: _Compiled) -> bool:
    """Whether the name at `start` stands in a cited title or in a sentence about other people,
    controls or an earlier cancer ("for patients with HER2-positive breast cancer")."""
    if compiled.citation.search(text, max(0, start - 2 * _BEFORE), start):
        return True
    return compiled.discard_before.search(text, _sentence_start(text, start), start) is not None


def _sentence_start(text: str, start: int) -> int:
    """Where the sentence holding `start` begins, looking back `2 * _BEFORE` characters at most: after the
    last sentence break (the break needs the next letter), but not a period after a function word, an
    OCR'd line break ("four copies of. EGFR")."""
    reach = max(0, start - 2 * _BEFORE)
    # From the last break back, reading before each only as far back as a word that continues a
    # sentence can reach: a word longer than all of them is none of them, whole or cut short.
    for match in reversed(list(_SENTENCE_START.finditer(text, reach, start + 1))):
        word = _LAST_WORD.search(text, max(reach, match.start() - _continuing_reach()), match.start() + 1)
        if word is None or word.group(1).lower() not in _continues_after():
            return match.end()
    return reach


@cache
def _continues_after() -> frozenset[str]:
    return frozenset(word.lower() for word in context_rules().sentence_continues_after)


@cache
def _continuing_reach() -> int:
    return max(map(len, _continues_after()), default=0) + 1


def _self_finding(
    page: PageText, mention: _Mention, lead: BiomarkerResult | None, compiled: _Compiled
) -> Finding | None:
    """A name that carries its result ("MSS", "MSI-H"), unless hedged or turned by "not"."""
    text = page.text
    around = text[max(0, mention.start - _BEFORE // 2) : mention.end + _WINDOW // 2]
    if compiled.discard.search(around) or mention.result is None:
        return None
    result = BiomarkerResult.NEGATIVE if lead is BiomarkerResult.NEGATIVE else mention.result
    marker = mention.markers[0]
    score = compiled.lexicon.markers[marker].scores.get(result)
    reading = _Reading(result=result, end=0, explicit=True, score=score)
    return _finding(page, marker, reading, (mention.start, mention.end), _STATED)


def _as_dict(reading: _Reading) -> dict[str, object]:
    return {name: getattr(reading, name) for name in _Reading.__slots__}


def _with_partner(reading: _Reading | None, marker: str, text: str, mention: _Mention) -> _Reading | None:
    """ "EML4-ALK" names a fusion and its partner, whatever else the phrase says.

    Fusions are named by gene symbols: "ER-ICA" (ER by immunocytochemistry) or "NEG-HER2" (a control
    slide) name none.
    """
    gene = _compiled().lexicon.markers[marker].gene
    if gene is None or text[mention.start : mention.end].upper().replace("-", "") != gene:
        return reading
    partner = _PARTNER_BEFORE.search(text[max(0, mention.start - 12) : mention.start])
    partner = partner or _PARTNER_AFTER.match(text[mention.end : mention.end + 12])
    if partner is None or partner.group(1) == marker:
        return reading
    if reading is None:
        return _Reading(BiomarkerResult.POSITIVE, 0, False, alteration="fusion", partner=partner.group(1))
    return _Reading(**{**_as_dict(reading), "alteration": "fusion", "partner": partner.group(1)})


# --- tables --------------------------------------------------------------------------------------


def _cell_pattern(cell: str) -> re.Pattern[str] | None:
    words = cell.split()
    return re.compile(r"\s+".join(re.escape(w) for w in words)) if words else None


def _locate(text: str, cells: Sequence[str], cursor: int) -> tuple[int, int] | None:
    """Where a table row stands in the page text: its first cell, then the others in order nearby."""
    first = _cell_pattern(cells[0])
    found = first.search(text, cursor) if first else None
    if found is None:
        return None
    end = found.end()
    for cell in cells[1:]:
        pattern = _cell_pattern(cell)
        match = pattern.search(text, end, end + _ROW_REACH) if pattern else None
        if match:
            end = match.end()
    return found.start(), end


def _column_kinds(header: Sequence[str], compiled: _Compiled) -> list[str] | None:
    """The role of each column by its header; None where the first row is no header."""
    kinds = []
    for cell in header:
        kind = next(
            (k for k in ("marker", "ignore", "alteration", "result") if compiled.columns[k].search(cell)), ""
        )
        kinds.append(kind)
    return kinds if kinds and kinds[0] == "marker" else None


def _table_findings(
    page: PageText, compiled: _Compiled, quiet: list[tuple[int, int]]
) -> tuple[list[Finding], list[tuple[int, int]]]:
    findings: list[Finding] = []
    covered: list[tuple[int, int]] = []
    cursor = 0
    for table in page.tables:
        rows = [[cell or "" for cell in row] for row in table if row and any(row)]
        if not rows:
            continue
        kinds = _column_kinds(rows[0], compiled)
        body = rows[1:] if kinds else rows
        # A table continued from the previous page has no header: name first, the rest is its result.
        kinds = kinds or ["marker"] + ["result"] * (len(rows[0]) - 1)
        located = [(row, _locate(page.text, row, cursor)) for row in body]
        places = [place for _, place in located if place]
        if not places:
            continue
        heading_from = max(cursor, places[0][0] - _HEADING_REACH)
        is_vus = bool(compiled.vus.search(page.text, heading_from, places[0][0]))
        cursor = places[-1][1]
        for row, place in located:
            if place is None:
                continue
            covered.append(place)
            in_quiet = any(s <= place[0] < e for s, e in quiet)
            if not is_vus and not in_quiet and not compiled.vus.search(" ".join(row)):
                findings.extend(_row_findings(page, row, kinds, place, compiled))
    return findings, covered


def _row_findings(
    page: PageText, row: Sequence[str], kinds: Sequence[str], place: tuple[int, int], compiled: _Compiled
) -> list[Finding]:
    mentions = list(_mentions(row[0], compiled))
    if not mentions or mentions[0].start > 0:
        return []
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, cell in zip(kinds[1:], row[1:], strict=False):
        by_kind[kind or "other"].append(" ".join(cell.split()))
    # Result cells first: the first result word decides; the variant and other cells add detail.
    phrase = " ; ".join(by_kind["result"] + by_kind["alteration"] + by_kind["other"])
    findings = []
    for marker in dict.fromkeys(m for mention in mentions for m in mention.markers):
        self_result = next((m.result for m in mentions if m.result and marker in m.markers), None)
        reading = _read(marker, phrase, compiled, self_result, window=len(phrase))
        if reading is not None:
            findings.append(_finding(page, marker, reading, place, _TABLE))
    return findings


# --- the contract --------------------------------------------------------------------------------


def extract(page: PageText) -> list[Finding]:
    """Biomarker findings of one page, each citing its marker-and-result phrase."""
    compiled = _compiled()
    named = list(_mentions(page.text, compiled))
    if not named and not page.abbreviations:
        return []
    # Text that describes a test (its method, limits, background, genes covered) names markers without
    # stating their results: nothing in it is read.
    quiet = [(s.start, s.end) for s in sections(page.text) if not s.results]
    findings, covered = _table_findings(page, compiled, quiet)
    # Score legends and reference ranges ("[NEGATIVE: 0, 1+ ...]", "Positive >= 1%") state no result:
    # they are blanked, keeping every offset, before the prose is read. The names are looked for
    # again only where something was blanked.
    text, blanked = compiled.legend.subn(lambda m: " " * len(m.group(0)), page.text)
    if blanked:
        named = list(_mentions(text, compiled))
    return findings + _prose_findings(page, text, named, covered + quiet, compiled)


def _rank(finding: Finding) -> tuple[int, int, float]:
    """Definite beats pending, then specific (value, score, variant, partner) beats general."""
    marker = finding.biomarker
    assert marker is not None
    detail = (marker.value, marker.score, marker.alteration, marker.partner, marker.method)
    return _DEFINITE.get(marker.result, 0), sum(d is not None for d in detail), finding.confidence


def select_biomarkers(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per marker and variant; a positive and a negative no rule settles are both kept.

    A pending result gives way to any definite one for the marker, and a gene-level positive to a
    positive named variant of the same gene.
    """
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    definite_markers = set()
    for finding in _with_panels(findings):
        if finding.biomarker is None:
            continue
        marker = finding.biomarker
        groups[(marker.marker, marker.alteration or "")].append(finding)
        if marker.result in _DEFINITE:
            definite_markers.add(marker.marker)
    chosen: list[Finding] = []
    for (marker, _), group in groups.items():
        best_tier = max(_rank(f)[0] for f in group)
        if best_tier == 0 and marker in definite_markers:
            continue  # "results pending" is settled by any later result for the marker
        best: dict[BiomarkerResult, Finding] = {}
        for finding in sorted(group, key=_rank, reverse=True):
            result = finding.biomarker.result if finding.biomarker else None
            if result is not None and _rank(finding)[0] == best_tier and result not in best:
                best[result] = finding
        if BiomarkerResult.POSITIVE in best or BiomarkerResult.NEGATIVE in best:
            best = {r: _settling(f, group) for r, f in best.items() if _DEFINITE.get(r) == 2}
        chosen.extend(best.values())
    # Specific over general: "KRAS positive" says less than "KRAS p.G12C positive" beside it.
    specific_positive = {
        f.biomarker.marker
        for f in chosen
        if f.biomarker and f.biomarker.alteration and f.biomarker.result is BiomarkerResult.POSITIVE
    }
    chosen = [
        f
        for f in chosen
        if not (
            f.biomarker
            and not f.biomarker.alteration
            and f.biomarker.result is BiomarkerResult.POSITIVE
            and f.biomarker.marker in specific_positive
        )
    ]
    return sorted(chosen, key=_order)


def _with_panels(findings: Sequence[Finding]) -> list[Finding]:
    """A panel's result in place of its proteins' stains: a lost protein makes the panel positive
    ("loss of MLH1 and PMS2": dMMR), every protein kept makes it negative (all four retained: pMMR).
    Some kept and the others unstated, or one both lost and kept, say nothing of the panel."""
    markers = _compiled().lexicon.markers
    members: dict[str, list[str]] = defaultdict(list)
    for name, spec in markers.items():
        if spec.panel:
            members[spec.panel].append(name)
    chosen = [f for f in findings if not (f.biomarker and markers[f.biomarker.marker].panel)]
    for panel, proteins in members.items():
        stains: dict[str, dict[BiomarkerResult, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for finding in findings:
            if finding.biomarker and finding.biomarker.marker in proteins:
                stains[finding.biomarker.marker][finding.biomarker.result].append(finding)
        lost = [p for p in proteins if stains[p][_POS] and not stains[p][_NEG]]
        retained = [p for p in proteins if stains[p][_NEG] and not stains[p][_POS]]
        if lost:
            chosen.append(
                _panel_finding(panel, _POS, [stains[p][_POS][0] for p in lost], f"loss of {_join(lost)}")
            )
        elif len(retained) == len(proteins):
            note = f"{_join(retained)} retained"
            chosen.append(_panel_finding(panel, _NEG, [stains[p][_NEG][0] for p in retained], note))
    return chosen


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _panel_finding(panel: str, result: BiomarkerResult, stains: Sequence[Finding], note: str) -> Finding:
    spec = _compiled().lexicon.markers[panel]
    methods = {f.biomarker.method for f in stains if f.biomarker}
    biomarker = Biomarker(
        marker=panel,
        gene=spec.gene,
        result=result,
        method=methods.pop() if len(methods) == 1 else None,
        score=spec.scores.get(result),
    )
    return stains[0].model_copy(
        update={
            "value": f"{panel} {result.value}",
            "display": f"{_display(biomarker)}: {note}",
            "biomarker": biomarker,
            "evidence": list({_place(q): q for f in stains for q in f.evidence}.values()),
            "confidence": min(f.confidence for f in stains),
            "basis": Basis.DERIVED,
            "basis_note": note,
        }
    )


def _place(quote: Evidence) -> tuple[str, int, int, int]:
    return quote.document_id, quote.page, quote.start, quote.end


def _settling(finding: Finding, group: Sequence[Finding]) -> Finding:
    """A definite result that settles an equivocal IHC score keeps that score and its evidence.

    HER2 IHC 2+ is decided by in situ hybridisation: "not amplified" is the result, 2+ how it began.
    """
    marker = finding.biomarker
    if (
        marker is None
        or marker.score is not None
        or not _compiled().lexicon.markers[marker.marker].ihc_scores
    ):
        return finding
    scored = [
        f
        for f in group
        if f.biomarker and f.biomarker.result is BiomarkerResult.EQUIVOCAL and f.biomarker.score is not None
    ]
    if not scored:
        return finding
    ihc = max(scored, key=_rank)
    assert ihc.biomarker is not None
    settled = marker.model_copy(update={"score": ihc.biomarker.score})
    return finding.model_copy(
        update={
            "biomarker": settled,
            "display": _display(settled),
            "evidence": finding.evidence + ihc.evidence,
        }
    )


def _order(finding: Finding) -> tuple[str, str, str]:
    marker = finding.biomarker
    assert marker is not None
    return marker.marker, marker.alteration or "", marker.result.value


def receptor_result(biomarkers: Sequence[Finding], marker: str) -> BiomarkerResult | None:
    """The result of a receptor (ER, PR, HER2) from the chosen findings, or None where unknown.

    A positive or negative settles an equivocal one (HER2 IHC 2+ is decided by in situ hybridisation);
    a positive and a negative side by side are a conflict no rule settles, so nothing is answered.
    """
    candidates = [f for f in biomarkers if f.biomarker and f.biomarker.marker == marker]
    if not candidates:
        return None
    definite = {
        f.biomarker.result for f in candidates if f.biomarker and _DEFINITE.get(f.biomarker.result) == 2
    }
    if len(definite) > 1:
        return None
    best = max(candidates, key=_rank)
    return best.biomarker.result if best.biomarker else None


def ihc_category(biomarkers: Sequence[Finding], marker: str) -> BiomarkerResult | None:
    """The category of the marker's IHC score (HER2 2+ is equivocal even where FISH then settles it), or
    None where no score is reported or the reported scores disagree."""
    scores = _compiled().lexicon.markers[marker].ihc_scores
    categories = {
        scores[f.biomarker.score]
        for f in biomarkers
        if f.biomarker and f.biomarker.marker == marker and f.biomarker.score in scores
    }
    return categories.pop() if len(categories) == 1 else None


def registry_status(biomarkers: Sequence[Finding], marker: str) -> BiomarkerResult | None:
    """The receptor status in the sense of the TCGA registry, whose HER2 field is the status by IHC: the IHC
    score's category where one is reported, the final result (after FISH) otherwise."""
    return ihc_category(biomarkers, marker) or receptor_result(biomarkers, marker)
