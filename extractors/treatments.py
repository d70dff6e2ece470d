"""Treatment history: drugs, regimens, surgeries and radiation with their status, dates and line.

One compiled regex over every name of `data/treatments.yaml` (a character trie per case mode: names
written in capitals there, such as regimen acronyms, match only in capitals as whole words) finds the
mentions; a regimen acronym expands to its agents, all cited on the acronym. The status of a mention
comes from cues (data) in its own sentence: the nearest cue before or after it wins, the longer on a
tie, and weak cues ("adjuvant chemotherapy") count only where nothing else is said.

Status decisions:
- A therapy that was given and then stopped ("discontinued for progression", "stop FOLFOX") is
  RECEIVED with `reason_stopped` (and `end` where a last dose is dated): the record shows the patient
  had it. STOPPED is not emitted, so "received" means the same whether or not the stop is written.
- "not recommended", "not indicated" and therapies a test report or a label associates with a result
  ("The FDA has approved X for ...") are no treatment of the patient: no finding. On a page that reads
  like a laboratory report, a drug needs an explicit patient cue to count.
- Supportive drugs (bone agents, antiemetics, growth factors) are recognised and not reported: the
  schema cannot yet mark a treatment as supportive, and they are no line of cancer therapy.
- A mention with no cue at all counts as received with a low confidence: in a report, a named therapy
  is most often one that was given.
Negation, family history and uncertainty are left to the caller's ConText pass (extractors.findings),
except that mentions inside a family-history section are skipped here too.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractors.base import PageText
from extractors.nlp import Section, section_at, sections
from extractors.nlp.rules import context_rules
from extractors.phrase_regex import phrase_trie
from oncoguide.domain import (
    DrugClass,
    Finding,
    FindingKind,
    Treatment,
    TreatmentModality,
    TreatmentStatus,
)

_DATA = Path(__file__).with_name("data") / "treatments.yaml"
_SEP = r"[\s\-]+"  # between the words of a name: "whole breast" and "whole-breast" alike
# A cue that starts with a word must start a word; one that starts with ":" may follow a word.
_WORD_START = r"(?:(?<![\w/-])|(?=[^\w\s]))"
_WORD_END = r"(?![\w/])"
_REACH = 200  # characters of a sentence searched on each side of a mention
_REGIMEN_CONTEXT_REACH = 40
_LINE_MODIFIER_REACH = 40  # "first-line FOLFOX plus bevacizumab": the line word modifies both
_CUED, _WEAK, _UNCUED = 0.9, 0.75, 0.6  # confidence by what decided the status
_FAMILY_SECTION = "family_history"
_GIVEN = frozenset({TreatmentStatus.RECEIVED, TreatmentStatus.ONGOING, TreatmentStatus.STOPPED})

CueStatus = Literal[
    "received", "stopped", "ongoing", "planned", "considered", "declined", "not_given", "association"
]
_NO_TREATMENT: frozenset[str] = frozenset({"not_given", "association"})
_PATIENT_CUES: frozenset[str] = frozenset({"received", "stopped", "ongoing", "planned", "declined"})


# --- data schema -----------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agent(_Model):
    drug_class: DrugClass = Field(alias="class")
    brands: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    rxnorm: str | None = None
    supportive: bool = False
    generic: bool = False


class Procedure(_Model):
    modality: TreatmentModality
    phrases: list[str]


class Regimen(_Model):
    agents: list[str]
    aliases: list[str] = Field(default_factory=list)
    needs_context: bool = False


class CueGroup(_Model):
    status: CueStatus
    weak: bool = False
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)


class DateCues(_Model):
    start: list[str]
    end: list[str]


class Lexicon(_Model):
    version: int
    agents: dict[str, Agent]
    procedures: dict[str, Procedure]
    regimens: dict[str, Regimen]
    regimen_context: list[str]
    not_after: list[str]
    lab_report_markers: list[str]
    field_no: list[str]
    field_yes: list[str]
    lines: dict[str, int]
    reasons: dict[str, list[str]]
    date_cues: DateCues
    cues: list[CueGroup]


# --- compiled form ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    agent: str
    modality: TreatmentModality
    drug_class: DrugClass | None
    rxnorm: str | None
    supportive: bool


@dataclass(frozen=True, slots=True)
class _Name:
    terms: tuple[_Term, ...]  # one term for an agent or procedure, its agents for a regimen
    regimen: str | None
    needs_context: bool


@dataclass(frozen=True, slots=True)
class _Compiled:
    lexicon: Lexicon
    names: re.Pattern[str]
    folded: dict[str, _Name]  # names matched in any case, by _fold
    exact: dict[str, _Name]  # names written in capitals, matched as written
    regimen_context: re.Pattern[str]
    not_after: re.Pattern[str]
    lab_report: re.Pattern[str]
    lines: tuple[tuple[re.Pattern[str], int], ...]
    field_value: re.Pattern[str]
    field_no: re.Pattern[str]
    field_yes: re.Pattern[str]
    maintenance: re.Pattern[str]
    reasons: tuple[tuple[str, re.Pattern[str]], ...]
    before: re.Pattern[str]  # strong cues, one named group per cue group
    after: re.Pattern[str]
    weak_before: re.Pattern[str]
    weak_after: re.Pattern[str]
    group_status: dict[str, str]
    start_date: re.Pattern[str]
    end_date: re.Pattern[str]


def _fold(text: str) -> str:
    return re.sub(_SEP, "", text.lower())


def _strip(text: str) -> str:
    return re.sub(_SEP, "", text)


def _is_exact(phrase: str) -> bool:
    """A name written in capitals ("FOLFOX", "SBRT", "5-FU") matches only in capitals."""
    return any(ch.isalpha() for ch in phrase) and phrase == phrase.upper()


def _trie(phrases: Iterable[str]) -> str:
    return phrase_trie(phrases, _SEP, _SEP)


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns) or "(?!)"


def _words(patterns: Iterable[str]) -> str:
    """Cue patterns as whole words; a space in a pattern matches any whitespace (lines wrap in PDFs)."""
    return rf"{_WORD_START}(?:{_spaced(patterns)}){_WORD_END}"


def _spaced(patterns: Iterable[str]) -> str:
    return _alternation(p.replace(" ", r"\s+") for p in patterns)


def _cue_regex(groups: Sequence[tuple[int, CueGroup]], side: Literal["before", "after"]) -> re.Pattern[str]:
    # The word boundaries, which take no characters, stand once around all the groups rather than in
    # each: the same matches, for half the time of trying them group by group at every position.
    parts = [f"(?P<g{i}>{_spaced(getattr(g, side))})" for i, g in groups if getattr(g, side)]
    return re.compile(f"{_WORD_START}(?:{'|'.join(parts)}){_WORD_END}" if parts else "(?!)", re.IGNORECASE)


_DATE = (
    r"(?:\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?\d{4})"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_DATE_RANGE = re.compile(rf"({_DATE})\s*(?:to|through|-|–)\s*({_DATE})", re.IGNORECASE)
_ITEM_DATE = re.compile(rf"[ \t]*(?:[-•*][ \t]*)?({_DATE})(?:\s*(?:to|through|-|–)\s*({_DATE}))?\s*:", re.I)
_ITEM_START = re.compile(r"^[ \t]*(?:[-•*]|\d{1,2}[.)])[ \t]", re.MULTILINE)
_ITEM_LABEL = re.compile(r"[ \t]*(?:[-•*]|\d{1,2}[.)])[ \t]+([^:\n]{1,60}):")
# Where a sentence ends in page text whose lines wrap: punctuation then space, a blank line, or a line
# that starts a list item, a "Label:" or an ALL-CAPS header.
_SENTENCE_END = re.compile(
    r"[.!?](?=\s)|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:[-•*]\s|\d{1,2}[.)]\s|[A-Z][A-Za-z0-9 /&()-]{1,50}:|[A-Z][A-Z /&-]{3,}\n))"
)
_LAST_WORD = re.compile(r"([A-Za-z.]+)\.$")
_FIELD_LABEL = r"[A-Za-z][\w /()-]{0,30}:"  # a form label: the field before it was left empty
_CLAUSE_BREAK = re.compile(r"[:;.]\s")


@cache
def _lexicon() -> _Compiled:
    lexicon = Lexicon.model_validate(yaml.load(_DATA.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    term_of: dict[str, _Term] = {}
    folded: dict[str, _Name] = {}
    exact: dict[str, _Name] = {}

    def add(phrase: str, name: _Name) -> None:
        if _is_exact(phrase):
            exact.setdefault(_strip(phrase), name)
        else:
            folded.setdefault(_fold(phrase), name)

    for key, agent in lexicon.agents.items():
        term = _Term(key, TreatmentModality.SYSTEMIC, agent.drug_class, agent.rxnorm, agent.supportive)
        term_of[key] = term
        for phrase in (key, *agent.aliases, *agent.brands):
            add(phrase, _Name((term,), None, False))
    for key, procedure in lexicon.procedures.items():
        term = _Term(key, procedure.modality, None, None, False)
        term_of[key] = term
        for phrase in (key, *procedure.phrases):
            add(phrase, _Name((term,), None, False))
    for key, regimen in lexicon.regimens.items():
        terms = tuple(term_of[a] for a in regimen.agents if a in term_of)
        for phrase in (key, *regimen.aliases):
            add(phrase, _Name(terms, key, regimen.needs_context))

    def phrases(exact_case: bool) -> list[str]:
        every = [
            *(p for k, a in lexicon.agents.items() for p in (k, *a.aliases, *a.brands)),
            *(p for k, pr in lexicon.procedures.items() for p in (k, *pr.phrases)),
            *(p for k, r in lexicon.regimens.items() for p in (k, *r.aliases)),
        ]
        return [p for p in every if _is_exact(p) == exact_case]

    names = rf"(?<![\w/])(?:(?P<folded>(?i:{_trie(phrases(False))}))|(?P<exact>{_trie(phrases(True))}))(?!\w)"
    indexed = list(enumerate(lexicon.cues))
    strong = [(i, g) for i, g in indexed if not g.weak]
    weak = [(i, g) for i, g in indexed if g.weak]
    dates = lexicon.date_cues
    return _Compiled(
        lexicon=lexicon,
        names=re.compile(names),
        folded=folded,
        exact=exact,
        regimen_context=re.compile(_words(lexicon.regimen_context), re.IGNORECASE),
        not_after=re.compile(r"[\s\-]*" + _words(lexicon.not_after), re.IGNORECASE),
        lab_report=re.compile(_words(lexicon.lab_report_markers), re.IGNORECASE),
        lines=tuple((re.compile(_words([p]), re.IGNORECASE), n) for p, n in lexicon.lines.items()),
        field_value=re.compile(rf"(?:[ \t]+[A-Za-z]+){{0,2}}[ \t]*:[ \t]*(?P<value>{_FIELD_LABEL}|[^\n]*)"),
        field_no=re.compile(rf"(?:{_words(lexicon.field_no)})\W*$|{_FIELD_LABEL}|\s*$", re.IGNORECASE),
        field_yes=re.compile(_words(lexicon.field_yes), re.IGNORECASE),
        maintenance=re.compile(r"\bmaintenance\b", re.IGNORECASE),
        reasons=tuple((r, re.compile(_words(ps), re.IGNORECASE)) for r, ps in lexicon.reasons.items()),
        before=_cue_regex(strong, "before"),
        after=_cue_regex(strong, "after"),
        weak_before=_cue_regex(weak, "before"),
        weak_after=_cue_regex(weak, "after"),
        group_status={f"g{i}": g.status for i, g in indexed},
        start_date=re.compile(rf"{_words(dates.start)}\s+({_DATE})", re.IGNORECASE),
        end_date=re.compile(rf"{_words(dates.end)}\s+({_DATE})", re.IGNORECASE),
    )


# --- public API ------------------------------------------------------------------------------


def extract(page: PageText) -> list[Finding]:
    text = page.text
    if not text.strip():
        return []
    compiled = _lexicon()
    mentions = [m for m in compiled.names.finditer(text) if not compiled.not_after.match(text, m.end())]
    uses = _short_form_uses(page, mentions)
    if not mentions and not uses:
        return []
    scan = _Scan(text, _sentence_ends(text), sections(text), bool(compiled.lab_report.search(text)))
    findings: list[Finding] = []
    for match in mentions:
        name = (
            compiled.folded.get(_fold(match.group()))
            if match.group("folded")
            else compiled.exact.get(_strip(match.group()))
        )
        if name is None or all(t.supportive for t in name.terms):
            continue
        findings.extend(_findings(page, scan, match.start(), match.end(), name))
    for start, end, name in uses:
        findings.extend(_findings(page, scan, start, end, name))
    return findings


def names_treatment(phrase: str) -> bool:
    """Whether a phrase is a drug, regimen or procedure name of the lexicon (an abbreviation to read)."""
    return _name_of(phrase) is not None


def _name_of(phrase: str) -> _Name | None:
    compiled = _lexicon()
    return compiled.exact.get(_strip(phrase)) or compiled.folded.get(_fold(phrase))


def _short_form_uses(page: PageText, mentions: Sequence[re.Match[str]]) -> list[tuple[int, int, _Name]]:
    """The uses of abbreviations the document defined, read as the treatment their long form names."""
    text, uses = page.text, []
    for use in page.short_form_uses():
        name = _name_of(use.long_form)
        if name is None or all(t.supportive for t in name.terms) or _lexicon().not_after.match(text, use.end):
            continue
        if not any(m.start() < use.end and use.start < m.end() for m in mentions):
            uses.append((use.start, use.end, name))
    return uses


def select_treatments(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per agent and status, the earlier facts of an agent superseded by later ones.

    Documents count in the order their findings come (the pipeline passes them oldest first) and
    mentions within a document by position. For each agent:
    - received and ongoing are one fact: the status of its latest mention is kept;
    - planned and declined give way to received or ongoing from a later document (the plan was carried
      out), never to a mention in the same one (a note may list a drug given before and planned again);
    - considered gives way to planned, received, ongoing or declined from the same or a later document.
    The kept finding of each status is its latest mention; its dates, line and reason are filled from
    the agent's other mentions at that status, and their evidence follows its own.
    """
    order: dict[str, int] = {}
    for finding in findings:
        if finding.evidence:
            order.setdefault(finding.evidence[0].document_id, len(order))

    def position(finding: Finding) -> tuple[int, int, int]:
        quote = finding.evidence[0] if finding.evidence else None
        return (order.get(quote.document_id, 0), quote.page, quote.start) if quote else (0, 0, 0)

    by_agent: dict[str, dict[TreatmentStatus, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in sorted(findings, key=position):
        if finding.kind is FindingKind.TREATMENT and finding.treatment is not None:
            status = finding.treatment.status
            by_agent[finding.treatment.agent][status].append(finding)

    kept: list[Finding] = []
    for statuses in by_agent.values():
        given = [f for s in _GIVEN for f in statuses.get(s, [])]
        if given:
            latest = max(given, key=position).treatment.status  # type: ignore[union-attr]
            for status in _GIVEN - {latest}:
                statuses.pop(status, None)
        last_doc = {s: max(position(f)[0] for f in group) for s, group in statuses.items()}
        given_doc = max((d for s, d in last_doc.items() if s in _GIVEN), default=-1)
        for status, group in statuses.items():
            first_doc = min(position(f)[0] for f in group)
            if status in (TreatmentStatus.PLANNED, TreatmentStatus.DECLINED) and given_doc > first_doc:
                continue
            if status is TreatmentStatus.CONSIDERED and any(
                d >= first_doc for s, d in last_doc.items() if s is not TreatmentStatus.CONSIDERED
            ):
                continue
            kept.append(_merged(group))
    return sorted(kept, key=position)


def lint() -> list[str]:
    """Problems of data/treatments.yaml: schema errors, clashing names, unknown agents, bad codes."""
    try:
        compiled = _lexicon()
    except (OSError, ValueError, ValidationError, yaml.YAMLError, re.error) as error:
        return [f"treatments.yaml: {error}"]
    lexicon = compiled.lexicon
    problems: list[str] = []
    owner: dict[str, str] = {}
    entries = [
        *((k, (k, *a.aliases, *a.brands)) for k, a in lexicon.agents.items()),
        *((k, (k, *p.phrases)) for k, p in lexicon.procedures.items()),
        *((k, (k, *r.aliases)) for k, r in lexicon.regimens.items()),
    ]
    for key, phrases in entries:
        for phrase in phrases:
            folded = _strip(phrase) if _is_exact(phrase) else _fold(phrase)
            other = owner.setdefault(folded, key)
            if other != key:
                problems.append(f"treatments.yaml: '{phrase}' names both {other} and {key}")
    for key in (*lexicon.agents, *lexicon.procedures):
        if key != key.lower():
            problems.append(f"treatments.yaml: {key}: an agent or procedure key must be lower case")
    known = {*lexicon.agents, *lexicon.procedures}
    for key, regimen in lexicon.regimens.items():
        for agent in regimen.agents:
            if agent not in known:
                problems.append(f"treatments.yaml: regimen {key} names unknown agent {agent}")
            elif agent in lexicon.agents and lexicon.agents[agent].supportive:
                problems.append(f"treatments.yaml: regimen {key} names supportive agent {agent}")
    for key, agent in lexicon.agents.items():
        if agent.rxnorm is not None and not re.fullmatch(r"[1-9]\d{0,7}", agent.rxnorm):
            problems.append(f"treatments.yaml: {key}: RxNorm code {agent.rxnorm!r} is not an RXCUI")
        if agent.supportive and agent.drug_class is not DrugClass.OTHER:
            problems.append(f"treatments.yaml: {key}: a supportive agent must have class other")
    return problems


# --- reading a page --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scan:
    text: str
    ends: list[int]  # sentence boundaries, sorted, starting with 0 and ending with len(text)
    sections: list[Section]
    lab_report: bool

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        i = bisect_right(self.ends, start) - 1
        j = min(bisect_right(self.ends, max(start, end - 1)), len(self.ends) - 1)
        return max(self.ends[i], start - _REACH), min(self.ends[j], end + _REACH)


@dataclass(frozen=True, slots=True)
class _Status:
    status: str
    confidence: float
    cue_end: int | None = None  # where the deciding cue ends (a stop reason is read after it)


def _sentence_ends(text: str) -> list[int]:
    continues = {w.lower() for w in context_rules().sentence_continues_after}
    ends = [0]
    for match in _SENTENCE_END.finditer(text):
        if match.group() == ".":
            word = _LAST_WORD.search(text, max(0, match.start() - 12), match.end())
            if word is not None and word.group(1).lower() in continues:
                continue
        ends.append(match.end())
    ends.append(len(text))
    return ends


def _findings(page: PageText, scan: _Scan, start: int, end: int, name: _Name) -> list[Finding]:
    compiled = _lexicon()
    text = scan.text
    section = section_at(scan.sections, start)
    if section is not None and section.category == _FAMILY_SECTION:
        return []
    left, right = scan.sentence(start, end)
    if name.needs_context and not compiled.regimen_context.search(
        text, max(left, start - _REGIMEN_CONTEXT_REACH), min(right, end + _REGIMEN_CONTEXT_REACH)
    ):
        return []
    decided = _field_status(text, end) or _status(text, left, right, start, end, scan.lab_report)
    if decided is None or decided.status in _NO_TREATMENT:
        return []
    status = TreatmentStatus.RECEIVED if decided.status == "stopped" else TreatmentStatus(decided.status)
    reason = _reason(text, decided.cue_end, right) if decided.status == "stopped" else None
    first, last = _dates(text, left, right, start)
    line = _line(text, left, start, status)
    evidence = page.evidence(start, end)
    mention = text[start:end]
    findings = []
    for term in name.terms:
        if term.supportive:
            continue
        treatment = Treatment(
            agent=term.agent,
            modality=term.modality,
            drug_class=term.drug_class,
            rxnorm=term.rxnorm,
            status=status,
            reason_stopped=reason,
            start=first,
            end=last,
            line=line,
        )
        via = f" ({mention})" if name.regimen or _fold(mention) != _fold(term.agent) else ""
        findings.append(
            Finding(
                kind=FindingKind.TREATMENT,
                value=term.agent,
                display=f"{term.agent}{via}: {status.value}",
                date=first,
                treatment=treatment,
                evidence=[evidence],
                confidence=decided.confidence,
            )
        )
    return findings


def _field_status(text: str, end: int) -> _Status | None:
    """The status a form field gives its label ("CHEMORADIATION: No"); None where it says more."""
    compiled = _lexicon()
    field = compiled.field_value.match(text, end)
    if field is None:
        return None
    value = field.group("value").split(". ")[0]
    if compiled.field_no.match(value):
        return _Status("not_given", _CUED)
    if compiled.field_yes.match(value):
        return _Status("received", _CUED)
    return None


def _status(text: str, left: int, right: int, start: int, end: int, lab_report: bool) -> _Status | None:
    """The status the nearest cue of the sentence gives; None where a lab report names a drug uncued."""
    compiled = _lexicon()
    for before, after, confidence in (
        (compiled.before, compiled.after, _CUED),
        (compiled.weak_before, compiled.weak_after, _WEAK),
    ):
        candidates: list[tuple[int, int, str, int]] = []  # (distance, after-first, status, cue end)
        last_before = _last(before.finditer(text, left, start))
        if last_before is not None:
            status = compiled.group_status[last_before.lastgroup or ""]
            candidates.append((start - last_before.end(), 1, status, last_before.end()))
        first_after = after.search(text, end, right)
        if first_after is not None:
            status = compiled.group_status[first_after.lastgroup or ""]
            candidates.append((first_after.start() - end, 0, status, first_after.end()))
        if candidates:
            _, _, status, cue_end = min(candidates)
            if lab_report and (confidence == _WEAK or status not in _PATIENT_CUES | _NO_TREATMENT):
                return None
            return _Status(status, confidence, cue_end)
    if lab_report:
        return None
    if _ITEM_DATE.match(text, _item_start(text, start)) and _in_first_sentence(text, start):
        return _Status("received", _WEAK)
    return _Status("received", _UNCUED)


def _last(matches: Iterable[re.Match[str]]) -> re.Match[str] | None:
    """The last of the matches: the nearest one before a position."""
    found = deque(matches, maxlen=1)
    return found[0] if found else None


def _item_start(text: str, position: int) -> int:
    """Where the list item (or, failing one, the line) holding `position` starts."""
    line_start = text.rfind("\n", 0, position) + 1
    item = _last(_ITEM_START.finditer(text, 0, position))
    if item is not None and "\n\n" not in text[item.start() : position]:
        return item.start()
    return line_start


def _in_first_sentence(text: str, position: int) -> bool:
    item = _item_start(text, position)
    ends = _sentence_ends(text[item:position])
    return len(ends) <= 2


def _reason(text: str, cue_end: int | None, right: int) -> str | None:
    if cue_end is None:
        return None
    found = [
        (m.start(), reason) for reason, rx in _lexicon().reasons if (m := rx.search(text, cue_end, right))
    ]
    return min(found)[1] if found else None


def _parse_date(value: str) -> dt.date | None:
    value = value.strip().lower()
    try:
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value):
            return dt.date(int(m[3]), int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})/(\d{4})", value):
            return dt.date(int(m[2]), int(m[1]), 1)
        if m := re.fullmatch(r"([a-z]{3})[a-z]*\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", value):
            return dt.date(int(m[3]), _MONTHS[m[1]], int(m[2] or 1))
    except (ValueError, KeyError):
        return None
    return None


def _dates(text: str, left: int, right: int, start: int) -> tuple[dt.date | None, dt.date | None]:
    """Start and end dates stated in the mention's sentence, or by its list item's leading date."""
    compiled = _lexicon()
    first = last = None
    item = _item_start(text, start)
    if (lead := _ITEM_DATE.match(text, item)) and _in_first_sentence(text, start):
        first = _parse_date(lead.group(1))
        last = _parse_date(lead.group(2)) if lead.group(2) else None
    elif span := _DATE_RANGE.search(text, left, right):
        first, last = _parse_date(span.group(1)), _parse_date(span.group(2))
    if first is None and (m := compiled.start_date.search(text, left, right)):
        first = _parse_date(m.group(m.lastindex or 0))
    if last is None and (m := compiled.end_date.search(text, left, right)):
        last = _parse_date(m.group(m.lastindex or 0))
    return first, last


def _line(text: str, left: int, start: int, status: TreatmentStatus) -> int | None:
    """The line of therapy stated next to the mention, or by its list item's label for what comes next.

    "maintenance" keeps the line of the latest line stated before it on the page.
    """
    compiled = _lexicon()
    window = max(left, start - _LINE_MODIFIER_REACH)
    near = [
        (m.start(), n)
        for rx, n in compiled.lines
        for m in rx.finditer(text, window, start)
        if not _CLAUSE_BREAK.search(text, m.end(), start)  # "Second-line treatment: stop FOLFOX" is a label
    ]
    if near:
        return max(near)[1]
    if compiled.maintenance.search(text, window, start):
        earlier = [(m.start(), n) for rx, n in compiled.lines for m in rx.finditer(text, 0, start)]
        return max(earlier)[1] if earlier else None
    if status not in _GIVEN and (label := _ITEM_LABEL.match(text, _item_start(text, start))):
        return next((n for rx, n in compiled.lines if rx.search(label.group(1))), None)
    return None


def _merged(group: list[Finding]) -> Finding:
    """The latest finding of one agent at one status, completed from the others."""
    chosen = group[-1]
    treatment = chosen.treatment
    assert treatment is not None
    others = [f.treatment for f in group if f.treatment is not None]
    starts = [t.start for t in others if t.start]
    ends = [t.end for t in others if t.end]
    update = {
        "start": treatment.start or (min(starts) if starts else None),
        "end": treatment.end or (max(ends) if ends else None),
        "line": treatment.line or next((t.line for t in others if t.line), None),
        "reason_stopped": treatment.reason_stopped
        or next((t.reason_stopped for t in reversed(others) if t.reason_stopped), None),
    }
    evidence = list(chosen.evidence)
    for finding in reversed(group[:-1]):
        evidence.extend(e for e in finding.evidence if e not in evidence)
    return chosen.model_copy(
        update={
            "treatment": treatment.model_copy(update=update),
            "evidence": evidence,
            "date": update["start"],
            "confidence": max(f.confidence for f in group),
        }
    )
