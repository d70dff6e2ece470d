"""The knowledge base's schema and loader: YAML files of one directory, validated when loaded.

A knowledge base is a directory (`knowledge/kb` by default; tests point the loader at a broken copy):
- `meta.yaml`: version, disclaimer, section titles, the record-citation template, organ names;
- `sources.yaml`: every citable source (NCI, FDA, OncoTree, HGNC, ClinicalTrials.gov);
- `markers.yaml`: the biomarkers rules may name, with the spellings the extractors use;
- `sites.yaml`: named groups of primary sites (left-sided colorectal ...) that rules may name;
- `rules/*.yaml`: rules, each a declarative condition over the profile and the statements it adds;
- `passages/*.yaml`: general answers that `oncoguide ask` retrieves, each with its sources;
- `ask.yaml`: how `oncoguide ask` finds a passage and when it declines.

The schema checks structure (unknown keys, field names and enum values are errors). Whether references
resolve, codes exist and text reads plainly is `knowledge.lint.check_kb`'s job, so that every problem
of a broken file is reported at once instead of the first one raised.
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncoguide.domain import BiomarkerResult, DrugClass, SectionId, TreatmentStatus

KB_DIR = Path(__file__).with_name("kb")

ScalarField = Literal[
    "cancer_type", "organ", "histology", "primary_site", "laterality", "grade", "t", "n", "m", "stage_group"
]
SourceKind = Literal[
    "nci_page", "nci_dictionary", "fda_label", "fda_approval", "oncotree", "hgnc", "clinicaltrials"
]
# Placeholders a statement may use; the engine fills them from the profile.
PLACEHOLDERS = frozenset(
    {
        "cancer_name",
        "organ_name",
        "stage_group",
        "t",
        "n",
        "m",
        "marker",
        "alteration",
        "result",
        "value",
        "agent",
        "status",
        "untested_list",
        "record",
    }
)


class KBError(ValueError):
    """The knowledge base cannot be loaded; the message lists every problem found."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- meta, sources, markers ------------------------------------------------------------------


class Meta(_Strict):
    kb_version: str
    disclaimer: str
    record_citation: str = Field(description="how {record} quotes the records: {document}, {page}, {quote}")
    section_titles: dict[SectionId, str]
    organ_names: dict[str, str] = Field(description="OncoTree tissue code -> plain words (lung, breast)")
    result_words: dict[BiomarkerResult, str] = Field(description="how statements say each biomarker result")
    stage_iv_without_distant_spread: dict[str, list[str]] = Field(
        default_factory=dict,
        description="OncoTree code -> its stage IV groups with no distant spread (M0); a bare IV is unclear",
    )


class SourceEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_.\-]+$")
    kind: SourceKind
    title: str
    publisher: str
    url: str
    date: dt.date | None = Field(default=None, description="approval or label date, required for FDA")
    withdrawn: dt.date | None = Field(
        default=None, description="when an approval was withdrawn; statements citing it must say so"
    )


class SourcesFile(_Strict):
    sources: list[SourceEntry]


class Marker(_Strict):
    display: str = Field(description="how statements name it: KRAS, PD-L1, MSI-high or dMMR")
    aliases: list[str] = Field(default_factory=list, description="other spellings of Biomarker.marker")


class MarkersFile(_Strict):
    markers: dict[str, Marker]


class SiteGroup(_Strict):
    """Primary sites that count as one group, such as the left side of the colon and the rectum."""

    display: str = Field(description="the group in plain words: the left side of the colon or the rectum")
    phrases: list[str] = Field(
        min_length=1, description="words that place a primary site in the group (sigmoid colon, cecum)"
    )
    cancer_types: list[str] = Field(
        default_factory=list, description="OncoTree codes whose primary site is always in the group (READ)"
    )


class SitesFile(_Strict):
    site_groups: dict[str, SiteGroup]


# --- rules -----------------------------------------------------------------------------------


class BiomarkerCondition(_Strict):
    """Some biomarker finding of the profile matches all of these."""

    markers: list[str] = Field(min_length=1, description="any of these markers (markers.yaml ids)")
    results: list[BiomarkerResult] = Field(default_factory=lambda: [BiomarkerResult.POSITIVE])
    alterations: list[str] = Field(default_factory=list, description="any of these; empty: any")
    scores: list[str] = Field(default_factory=list, description="any of these IHC or MSI scores; empty: any")
    alteration_patterns: list[str] = Field(
        default_factory=list,
        description="any of these regular expressions (case-insensitive) found in the alteration: a class "
        "of changes such as exon 20 insertions or any ESR1 point mutation; empty: any",
    )
    min_value: float | None = Field(default=None, description="value at or above this (PD-L1 TPS >= 50)")
    units: list[str] = Field(default_factory=list, description="the unit min_value is read in")


class TreatmentCondition(_Strict):
    """Some treatment finding matches: by agent or drug class (empty lists: any) and status."""

    agents: list[str] = Field(default_factory=list)
    classes: list[DrugClass] = Field(default_factory=list)
    statuses: list[TreatmentStatus] = Field(
        default_factory=lambda: [TreatmentStatus.RECEIVED, TreatmentStatus.ONGOING, TreatmentStatus.STOPPED]
    )


class When(_Strict):
    """Every condition given must hold; an empty `When` always holds."""

    cancer_under: list[str] = Field(default_factory=list, description="OncoTree codes: the type or a subtype")
    cancer_not_under: list[str] = Field(default_factory=list)
    organs: list[str] = Field(default_factory=list, description="OncoTree tissue codes")
    stage: list[str] = Field(default_factory=list, description="stage groups: exact, or a Roman base (IV)")
    t: list[str] = Field(default_factory=list, description="T categories by prefix: T4 matches T4b")
    n: list[str] = Field(default_factory=list)
    m: list[str] = Field(default_factory=list)
    metastatic: bool | None = Field(default=None, description="stage IV, M1 or a metastatic site")
    known: list[ScalarField] = Field(default_factory=list)
    unknown: list[ScalarField] = Field(
        default_factory=list, description="not established: unknown or conflict"
    )
    conflict: list[ScalarField] = Field(default_factory=list)
    biomarkers: list[BiomarkerCondition] = Field(default_factory=list)
    any_biomarker: bool | None = Field(default=None, description="the records name any biomarker result")
    not_positive: list[str] = Field(default_factory=list, description="none of these markers is positive")
    untested: list[str] = Field(default_factory=list, description="some of these markers has no result")
    primary_site_in: list[str] = Field(
        default_factory=list, description="sites.yaml groups: the primary site falls in one of these"
    )
    primary_site_not_in: list[str] = Field(
        default_factory=list,
        description="sites.yaml groups: the primary site is unknown, unclear or in none of these",
    )
    treatments: list[TreatmentCondition] = Field(default_factory=list)
    no_treatment: list[TreatmentCondition] = Field(default_factory=list, description="none of these matches")


class StatementTemplate(_Strict):
    text: str = Field(min_length=1)
    sources: list[str] = Field(default_factory=list, description="source ids; lint requires at least one")
    last_reviewed: dt.date | None = Field(
        default=None, description="when the fact was last checked against its source; required for FDA"
    )


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    section: SectionId
    when: When = Field(default_factory=When)
    # One statement per item instead of one per rule: each matched biomarker, each marker of
    # `when.untested` without a result, or each treatment matching `when.treatments`.
    for_each: Literal["biomarker", "untested_marker", "treatment"] | None = None
    statements: list[StatementTemplate] = Field(min_length=1)


class RulesFile(_Strict):
    rules: list[Rule]


class Passage(_Strict):
    """A general answer for `oncoguide ask`: not about any one person, cited like a statement."""

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    title: str = Field(min_length=1)
    questions: list[str] = Field(min_length=1, description="ways people ask it; searched, not shown")
    keywords: list[str] = Field(default_factory=list, description="more words to find it by; not shown")
    text: str = Field(min_length=1)
    sources: list[str] = Field(default_factory=list, description="source ids; lint requires at least one")
    last_reviewed: dt.date | None = Field(default=None, description="required when it cites the FDA")


class PassagesFile(_Strict):
    passages: list[Passage]


class AskConfig(_Strict):
    """How `oncoguide ask` matches a question to a passage, and when it declines."""

    min_score: float = Field(gt=0, description="the best passage's BM25 score must reach this")
    min_coverage: float = Field(
        gt=0, le=1, description="share of the question's word weight (IDF) the passage must contain"
    )
    min_head_overlap: float = Field(
        gt=0,
        le=1,
        description="a question this close (Jaccard of words) to a passage's title or sample "
        "question gets that passage, whatever its score",
    )
    stopwords: list[str] = Field(description="words that carry no topic: what, is, my ...")
    synonyms: dict[str, str] = Field(default_factory=dict, description="word -> the word passages use")
    personal: list[str] = Field(
        description="regular expressions of questions about one person's doses, choices or outlook"
    )
    personal_answer: str = Field(description="the reply to such a question")
    no_answer: str = Field(description="the reply when no passage fits")
    footer: str = Field(description="shown under every answer")


class KnowledgeBase(_Strict):
    meta: Meta
    sources: dict[str, SourceEntry]
    markers: dict[str, Marker]
    site_groups: dict[str, SiteGroup] = Field(default_factory=dict)
    rules: tuple[Rule, ...]  # sorted by section order, then id: the order of the output
    passages: tuple[Passage, ...] = ()  # sorted by id
    ask: AskConfig | None = None

    def marker_id(self, name: str) -> str | None:
        """The markers.yaml id of a marker as the extractors spell it (HER2, ERBB2 -> HER2)."""
        return self._marker_ids.get(name.strip().upper())

    @cached_property
    def _marker_ids(self) -> dict[str, str]:
        # Asked once per biomarker finding and rule: a lookup, not a scan of every alias.
        ids: dict[str, str] = {}
        for marker_id, marker in self.markers.items():
            for spelling in (marker_id, *marker.aliases):
                ids.setdefault(spelling.upper(), marker_id)
        return ids


def placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _read(path: Path, model: type[BaseModel], problems: list[str]) -> BaseModel | None:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except OSError as error:
        problems.append(f"{path.name}: cannot read ({error.strerror})")
    except yaml.YAMLError as error:
        problems.append(f"{path.name}: not valid YAML ({error})")
    except ValidationError as error:
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"])
            problems.append(f"{path.name}: {where}: {item['msg']}")
    return None


def read_kb(directory: Path) -> tuple[KnowledgeBase | None, list[str]]:
    """The knowledge base of a directory and the schema problems; None when any file is invalid."""
    problems: list[str] = []
    meta = _read(directory / "meta.yaml", Meta, problems)
    sources = _read(directory / "sources.yaml", SourcesFile, problems)
    markers = _read(directory / "markers.yaml", MarkersFile, problems)
    sites_path = directory / "sites.yaml"
    sites = _read(sites_path, SitesFile, problems) if sites_path.exists() else None
    rule_files = sorted((directory / "rules").glob("*.yaml"))
    if not rule_files:
        problems.append("rules/: no rule files")
    rules: list[Rule] = []
    for path in rule_files:
        parsed = _read(path, RulesFile, problems)
        if parsed is not None:
            rules.extend(parsed.rules)
    ids = [rule.id for rule in rules]
    problems.extend(
        f"rule {rule_id}: defined twice" for rule_id in sorted({i for i in ids if ids.count(i) > 1})
    )
    passages: list[Passage] = []
    for path in sorted((directory / "passages").glob("*.yaml")):
        parsed = _read(path, PassagesFile, problems)
        if parsed is not None:
            passages.extend(parsed.passages)
    passage_ids = [passage.id for passage in passages]
    problems.extend(
        f"passage {pid}: defined twice"
        for pid in sorted({p for p in passage_ids if passage_ids.count(p) > 1})
    )
    ask = _read(directory / "ask.yaml", AskConfig, problems) if (directory / "ask.yaml").exists() else None
    if sources is not None:
        source_ids = [entry.id for entry in sources.sources]
        problems.extend(
            f"sources.yaml: {sid}: defined twice"
            for sid in sorted({s for s in source_ids if source_ids.count(s) > 1})
        )
    if problems or meta is None or sources is None or markers is None:
        return None, problems
    section_order = list(SectionId)
    return (
        KnowledgeBase(
            meta=meta,
            sources={entry.id: entry for entry in sources.sources},
            markers=markers.markers,
            site_groups=sites.site_groups if sites is not None else {},
            rules=tuple(sorted(rules, key=lambda rule: (section_order.index(rule.section), rule.id))),
            passages=tuple(sorted(passages, key=lambda passage: passage.id)),
            ask=ask,
        ),
        [],
    )


@cache
def load_kb(directory: Path = KB_DIR) -> KnowledgeBase:
    """The validated knowledge base; raises KBError listing the problems of an invalid one."""
    kb, problems = read_kb(directory)
    if kb is None:
        raise KBError("; ".join(problems))
    return kb
