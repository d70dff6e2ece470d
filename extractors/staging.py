"""TNM categories and stage groups from report text, and stage groups derived from T, N and M.

Reading: one regex finds runs of category tokens ("pT2a pN1b", "T3 NO MX", OCR'd "pTlaNO"). A token
counts when it carries a prefix (p, c, yp, ...), stands in a run with another axis, or follows a
staging label ("TNM:", "Primary tumor (pT):"); a bare "T2" does not ("T2-weighted", "T1 vertebra"), nor a bare
token written as a heading ("N3: possible lymph node", "N2: 4 or more nodes").
A token listed with another of its axis ("pT1 and pT2 tumors", "pT1-pT2") is a definition, not a value.
Stage groups are read after the word "stage", unless a false friend stands by ("fibrosis stage 3",
"CKD stage 4") or the stage is one axis's ("T Stage: 4").

Choosing (`select_stage`): pathologic over clinical, specific over general (T2a over T2), stated over
derived. Values that disagree and that no rule settles are a conflict: no value, both shown. Where no
category is stated, T comes from depth, extent, size, the number of tumours or a stated FIGO stage, N
from node counts, and M1 from a record that documents metastasis at a site distant for the cancer
("LIVER, BIOPSY: METASTATIC ADENOCARCINOMA"); M0 is never invented. Where no group is stated, it is
derived from the cancer's stage table (data/staging.yaml), with cM0 where no record documents distant
spread and the table allows that assumption for the categories, and the finding says so. A report of a
recurrence gives no derived group.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from extractors.base import PageText
from extractors.cancer_type import lineage, organ_of
from extractors.nlp import assign_assertions
from oncoguide.domain import Assertion, Basis, Evidence, Finding, FindingKind

_DATA = Path(__file__).with_name("data")
_AJCC8 = "AJCC 8th"

# Confidence by how a category was written.
_PREFIXED = 0.9
_IN_RUN = 0.85
_LABELED = 0.8
_STAGE_STATED = 0.9
_LABEL_REACH = 30  # characters before a bare token searched for a staging label
_FRIEND_REACH = 30
_DOMINANCE = 2.0  # a value wins a disagreement with this many times the rival's support
_ANY_COUNT = 1000  # more involved nodes than any band starts at

# Pathologic (and post-therapy pathologic) over unprefixed over clinical.
_PREFIX_RANK = {"p": 3, "yp": 3, "rp": 3, "a": 3, None: 2, "y": 2, "r": 2, "c": 1, "yc": 1, "rc": 1}

_TOKEN = (
    r"(?:yp|yc|rp|rc|p|c|y|r|a|P)?\s?"
    r"(?:T\s?(?:is|IS|Is|X|x|mi|[0-4OoIil|](?:mi|[a-dA-D][12]?)?)"
    r"|N\s?(?:X|x|[0-3OoIl](?:mi|[a-cA-C])?)(?:i[+-])?"  # "pN0i+": isolated tumour cells, unbracketed
    r"|M\s?(?:X|x|[01Oo](?:[a-dA-D])?))"
    r"(?:\s?\((?:m|sn|i[+-]|mol[+-]|f|\d{1,2}|sn\s?,\s?i[+-])\))?"
)
# TNM descriptors that reports write inside or after a run ("pT2c N0 L1", "pT3a R1 N0 MX", OCR'd
# "pT1cN1aLOVORO"): lymphatic (L) and venous (V) invasion, residual tumour (R), perineural invasion (Pn),
# and M "not applicable" ("pT3N1Mn/a"). They are not categories.
_DESCRIPTOR = r"(?:L[01O]|V[012O]|R[012O]|Pn[01]|M\s?n/a)"
# Between the tokens of a run: separators, descriptors, and a node count ("pN2 (5/30) M1").
_RUN = re.compile(
    rf"(?:(?<![A-Za-z0-9])|(?<=AJCC))(?:{_TOKEN})"  # "(AJCCpT2)": OCR glues the label to the category
    rf"(?:[\s,;/.:]{{0,3}}(?:\(\d+/\d+\)[\s,;.]{{0,3}})?(?:{_DESCRIPTOR}[\s,;/.:]{{0,3}})*(?:{_TOKEN}))*"
    rf"(?:[\s,;/.:]{{0,3}}{_DESCRIPTOR})*(?![A-Za-z0-9+])"
)
_PART = re.compile(
    r"(?P<prefix>yp|yc|rp|rc|p|c|y|r|a|P)?\s?(?P<axis>[TNM])\s?"
    r"(?P<value>is|IS|Is|X|x|mi|[0-4OoIil|](?:mi|[a-dA-D][12]?)?|[0-3Oo](?:mi|[a-cA-C])?)"
    r"(?P<suffix>\s?\([^)]*\))?"
)
_LIST_AFTER = re.compile(r"^\s*(?:and|or|to|-|–|through)\s*(?:[a-z]{1,2})?[TNM]\s?[0-4]", re.IGNORECASE)
_LIST_BEFORE = re.compile(r"[TNM]\s?[0-4][a-d]?\s*(?:and|or|to|-|–|through)\s*$", re.IGNORECASE)
# "T Stage: 4", "N stage: 3": the stage of one axis, not a stage group.
_AXIS_BEFORE = re.compile(r"(?<![A-Za-z])[pcy]?[TNM]\s*$")
# A bare token as a heading: a block code ("N3: possible lymph node") or a definition ("N2: 4 or more nodes").
_HEADING_AFTER = re.compile(r"\s*:")
_STAGE = re.compile(
    r"\bstag(?:e|ing)(?:\s+group(?:ing)?)?"
    r"(?:\s*\([^)]{0,25}\))?"  # "(AJCC 8th edition)"
    r"(?:\s*(?:is|=|:|-|of))?\s*(?:stage\s*)?"
    r"(?P<group>[IVL|]{1,4}|0|[1-4])"  # roman numerals as OCR writes them: "lla", "Ill"
    r"(?P<sub>[A-Ca-c][1-3]?|is|a)?"
    r"(?![A-Za-z0-9]|\s*(?:-|–|to|or|/|of)\s*(?:[IV]|\d))",
    re.IGNORECASE,
)
_FIGO = re.compile(
    r"\bFIGO\W{0,3}(?:\(\d{4}\)\W{0,3})?(?P<group>IV|I{1,3}|[1-4])(?P<sub>[A-Ca-c][1-3]?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A dimension: "2.4", or "6. 8" where OCR split the decimal ("(6. 8 x 5.9 x 4.1 cm)"), read so only before
# another dimension, where the full stop cannot end a sentence.
_NUMBER = r"\d{1,3}(?:\.\d{1,2}|\.\s\d{1,2}(?=\s*[x×X*]))?"
# "2.4", "2.4 x 2.0 x 1.7", "1.8 by 1.5", and with OCR'd full stops: "9.5 x 7.2 X. 5.9. cm"
_DIMS = rf"{_NUMBER}(?:(?:\s*[x×X*]\.?\s*|\s+by\s+){_NUMBER}){{0,2}}(?:\.(?=\s*(?:cm|mm)\b))?"
# A sentence ends at a semicolon or a full stop, but not at a decimal point nor at a full stop before a
# lower-case word: that is an OCR'd line break ("does not extend. into", "sinus fat without. infiltrative
# borders"). A clause ends there too, or at a turn ("invades the renal vein, but the vein margin is free").
_SENTENCE_END = re.compile(r";|\.(?!\d|\s+[a-z])")
_CLAUSE_END = re.compile(rf"{_SENTENCE_END.pattern}|\b(?:but|however|although|whereas)\b")
# A structure written as a form label: up to two more words, then a colon ("Perirenal adipose tissue: ...").
_FORM_LABEL = re.compile(r"(?:[ \t/-]{1,3}\w+){0,2}?[^\w\n:]{0,3}:\s*")
_MAX_SIZE_CM = 30.0  # larger "tumour sizes" are OCR errors or specimen sizes
_ROMAN = {
    "0": "0",
    "1": "I",
    "2": "II",
    "3": "III",
    "4": "IV",
    "I": "I",
    "II": "II",
    "III": "III",
    "IV": "IV",
}


# --- data ------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageRow(_Model):
    t: list[str] = Field(min_length=1)
    n: list[str] = Field(min_length=1)
    m: list[str] = Field(min_length=1)
    group: str
    ajcc7: str | None = None  # the 7th edition's group where it differs


class StageTable(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    # A partial table lists only some combinations: an unknown or coarse category is not read as
    # "any of the listed ones", since the unlisted ones might be the truth.
    complete: bool = True
    # Where regional nodes are seldom removed with the tumour (kidney, liver), a report silent on nodes
    # is grouped with cN0, as registries do; where they nearly always are (breast, colon), silence more
    # likely means the nodes are in another report, so no group is derived.
    n0_when_silent: bool = False
    # N categories with which cM0 is assumed where no record documents distant spread: where distant spread
    # at diagnosis is common with the others, a group from them needs M documented.
    m0_when_silent_n: list[str] = Field(default_factory=lambda: ["any"])
    rows: list[StageRow] = Field(min_length=1)


class NodeBand(_Model):
    min: int = Field(ge=1)
    max: int | None = None
    n: str


class NodeCountBands(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    bands: list[NodeBand] = Field(min_length=1)
    # Findings besides the counted nodes that raise N (melanoma: satellite or in-transit metastases, matted
    # nodes): asserted present, no N is derived from counts.
    raised_by: list[str] = Field(default_factory=list)


class DepthBand(_Model):
    max_mm: float = Field(gt=0)
    t: str


class SizeBand(_Model):
    max_cm: float = Field(gt=0)
    # T for sizes in the band, or, where T depends on a second measurement as well (oral cavity: depth of
    # invasion; uvea: thickness), T by that measurement; a depth beyond the last depth band gives no T.
    t: str | None = None
    by_depth: list[DepthBand] | None = None

    @model_validator(mode="after")
    def _t_or_depth(self) -> SizeBand:
        if (self.t is None) == (self.by_depth is None):
            raise ValueError("a size band needs exactly one of t and by_depth")
        return self


class Extension(_Model):
    """Spread just beyond the organ that raises T in some editions only (thyroid: minimal extrathyroidal
    extension is T3 in the 6th and 7th editions and does not count in the 8th). Regexes, case-insensitive."""

    t: str  # the T it gives where it counts; size bands at or above it hold whether or not it is present
    editions: list[int] = Field(min_length=1)  # the AJCC editions in which it counts
    stated: str  # the extension named: its assertion says present or denied
    sites: str  # tissues just beyond the organ: present after an extent cue
    confined: str  # the tumour said to be confined to the organ


class SizeRule(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    bands: list[SizeBand] = Field(min_length=1)
    raised_by: list[str]
    measure: str = "largest tumour size"  # what the size is, for the basis note
    # Where T depends on another measurement than the tumour's size (melanoma: Breslow thickness),
    # the patterns that read it, in place of `tumour_size_patterns`.
    size_patterns: list[str] = Field(default_factory=list)
    depth_measure: str = "depth of invasion"
    depth_patterns: list[str] = Field(default_factory=list)  # read the depth for bands with `by_depth`
    # Structures each of which must be stated free of tumour (one list of names per structure) before
    # the size decides T: where T1 means "confined to the organ", a report silent on them does not show it.
    stated_free: list[list[str]] = Field(default_factory=list)
    # Where set, size decides T only where the report says whether the tumour extends beyond the organ.
    extension: Extension | None = None

    @model_validator(mode="after")
    def _depth_is_read(self) -> SizeRule:
        if any(band.by_depth for band in self.bands) and not self.depth_patterns:
            raise ValueError(f"{self.name}: bands by depth need depth_patterns")
        return self


class ExtentLevel(_Model):
    t: str
    phrases: list[str] = Field(min_length=1)


class ExtentRule(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    levels: list[ExtentLevel] = Field(min_length=1)  # shallow to deep
    measure: str = "depth of invasion"  # what the levels are, for the basis note
    # Extensions whose main category the editions disagree on: asserted present, they leave T open.
    blocked_by: list[str] = Field(default_factory=list)


class TumourCountCues(_Model):
    solitary: list[str] = Field(min_length=1)
    multiple: list[str] = Field(min_length=1)
    unclear: list[str]


class VascularInvasionCues(_Model):
    large: list[str] = Field(min_length=1)
    small: list[str] = Field(min_length=1)
    any: list[str] = Field(min_length=1)
    absent_after: str
    label_after: str


# What the report says of vascular invasion, as one word: none, small vessels only, a large vessel (perhaps
# a major branch), vessels of unstated size, left open ("Portal vein invasion: Unknown"), or nothing at all.
Vessels = Literal["none", "small", "large", "any", "unknown", "unreported"]


class FocalityOutcome(_Model):
    tumours: Literal["solitary", "multiple"]
    vessels: list[Vessels] = Field(min_length=1)
    above_cm: float | None = None  # the largest tumour's size must be above this ...
    up_to_cm: float | None = None  # ... or at most this
    t: str | None = None  # T in the 7th and 8th editions alike
    # Or, where the editions differ, the T categories each may give (a vessel that may be a major branch:
    # T3b in the 7th edition, T4 in the 8th): T where the report names an edition that gives one; otherwise
    # only a stage group on which all of them agree.
    t_by_edition: dict[Literal[7, 8], list[str]] | None = None

    @model_validator(mode="after")
    def _t_or_editions(self) -> FocalityOutcome:
        if (self.t is None) == (self.t_by_edition is None):
            raise ValueError("a focality outcome needs exactly one of t and t_by_edition")
        editions = self.t_by_edition
        if editions is not None and (set(editions) != {7, 8} or not all(editions.values())):
            raise ValueError("t_by_edition needs T categories for both the 7th and the 8th edition")
        return self


class FocalityRule(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    raised_by: list[str] = Field(min_length=1)
    outcomes: list[FocalityOutcome] = Field(min_length=1)


class ConfinementRule(_Model):
    """T where the report says the tumour is confined to its organ: by whether vascular invasion is present
    (testis: T1 without, T2 with). `confined` is a regex (case-insensitive)."""

    name: str
    applies_to: list[str] = Field(min_length=1)
    confined: str
    raised_by: list[str] = Field(min_length=1)
    without_vessels: str  # T where vascular invasion is denied
    with_vessels: str  # T where vascular invasion is present


class StageToT(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    # Stated stage (a trailing subdivision digit dropped: IB1 -> IB) -> T. Stages that T alone does
    # not make (nodal or distant ones) are left out.
    stages: dict[str, str] = Field(min_length=1)


class TRefinement(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    t: str
    max_cm: float = Field(gt=0)
    refined: str
    # The AJCC editions in which it holds, where they disagree; it is used only where the report names one of
    # them (one that names the 6th counts as the 7th).
    editions: list[int] | None = Field(default=None, min_length=1)


class DistantSites(_Model):
    name: str
    applies_to: list[str] = Field(min_length=1)
    sites: list[str] = Field(min_length=1)


_Rule = TypeVar(
    "_Rule",
    NodeCountBands,
    SizeRule,
    ExtentRule,
    FocalityRule,
    StageToT,
    TRefinement,
    DistantSites,
    StageTable,
)


class StagingData(_Model):
    version: int
    stage_false_friends_before: list[str]
    stage_false_friends_after: list[str]
    tnm_labels: list[str]
    category_false_friends_after: list[str]
    edition_8: list[str]
    edition_7: list[str]
    node_count_patterns: list[str] = Field(min_length=1)
    node_positive_mention: str
    node_negative_after: str
    node_denial_words: list[str] = Field(min_length=1)
    node_examined_mention: str
    nodes_stated_free: str
    metastasis_stated_positive: str
    node_involved_number: str
    number_words: dict[str, int]
    node_count_bands: list[NodeCountBands]
    tumour_size_patterns: list[str] = Field(min_length=1)
    t_from_size: list[SizeRule]
    extent_cue: str
    extent_cue_denied: str
    nodal_before: str
    nodal_after: str
    extent_cue_after: str
    absent_after: str
    label_value_present: str
    stated_free_after: str
    t_from_extent: list[ExtentRule]
    t_refinements: list[TRefinement]
    uncertain_after: str
    tumour_count: TumourCountCues
    vascular_invasion: VascularInvasionCues
    focality_size_patterns: list[str] = Field(min_length=1)
    t_from_focality: list[FocalityRule]
    t_from_confinement: list[ConfinementRule]
    t_from_stage: list[StageToT]
    tables: list[StageTable]
    distant_metastasis_patterns: list[str] = Field(min_length=1)
    distant_sites: list[DistantSites]
    recurrence_mention: str


@dataclass(frozen=True, slots=True)
class _Compiled:
    data: StagingData
    label_before: re.Pattern[str]
    friend_after: re.Pattern[str]
    stage_friend_before: re.Pattern[str]
    stage_friend_after: re.Pattern[str]
    edition_8: re.Pattern[str]
    edition_7: re.Pattern[str]
    node_counts: tuple[re.Pattern[str], ...]
    node_positive: re.Pattern[str]
    node_negative_after: re.Pattern[str]
    node_denial: re.Pattern[str]
    node_examined: re.Pattern[str]
    nodes_stated_free: re.Pattern[str]
    metastasis_stated_positive: re.Pattern[str]
    node_involved_number: re.Pattern[str]
    node_raised_by: dict[str, re.Pattern[str]]
    tumour_sizes: tuple[re.Pattern[str], ...]
    rule_sizes: dict[str, tuple[re.Pattern[str], ...]]
    rule_depths: dict[str, tuple[re.Pattern[str], ...]]
    stated_free: dict[str, tuple[re.Pattern[str], ...]]
    stated_free_after: re.Pattern[str]
    raised_by: dict[str, re.Pattern[str] | None]
    extensions: dict[str, tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]]
    absent_after: re.Pattern[str]
    label_value_present: re.Pattern[str]
    extent_cue: re.Pattern[str]
    extent_cue_denied: re.Pattern[str]
    nodal_before: re.Pattern[str]
    nodal_after: re.Pattern[str]
    extent_cue_after: re.Pattern[str]
    extent_levels: dict[str, tuple[re.Pattern[str], ...]]
    solitary: re.Pattern[str]
    multiple: re.Pattern[str]
    count_unclear: re.Pattern[str] | None
    vessels: re.Pattern[str]  # named groups large, small, any
    uncertain_after: re.Pattern[str]
    vessel_label_after: re.Pattern[str]
    vessel_absent_after: re.Pattern[str]
    focality_sizes: tuple[re.Pattern[str], ...]
    focality_raised_by: dict[str, re.Pattern[str]]
    confinement: dict[str, tuple[re.Pattern[str], re.Pattern[str]]]  # confined, raised_by
    extent_blocked_by: dict[str, re.Pattern[str] | None]
    distant: dict[str, tuple[re.Pattern[str], ...]]
    recurrence: re.Pattern[str]


def _any_of(patterns: Sequence[str]) -> str:
    return "|".join(f"(?:{p.replace('DIMS', _DIMS)})" for p in patterns)


def _words(phrases: Sequence[str]) -> str:
    alternatives = sorted((re.escape(p).replace(r"\ ", r"[\s.]+") for p in phrases), key=len, reverse=True)
    return "(?:" + "|".join(alternatives) + ")"


def _stems(phrases: Sequence[str]) -> re.Pattern[str]:
    """Any of the phrases from a word start, the word going on ("esophag" finds "esophageal")."""
    return re.compile(rf"\b{_words(phrases)}\w*", re.IGNORECASE)


@cache
def _compiled() -> _Compiled:
    data = StagingData.model_validate(
        yaml.load((_DATA / "staging.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    )
    return _Compiled(
        data=data,
        # "TNM: ", "Primary tumor (pT): ", "Pathological N. " then the category.
        label_before=re.compile(
            rf"\b{_words(data.tnm_labels)}\b(?:\s*\([^)]{{0,12}}\))?[\s:.,=\-]*(?:[A-Za-z]{{0,12}}[\s:.=\-]+)?$",
            re.IGNORECASE,
        ),
        friend_after=re.compile(rf"^[\s-]*{_words(data.category_false_friends_after)}\b", re.IGNORECASE),
        stage_friend_before=re.compile(
            rf"\b{_words(data.stage_false_friends_before)}\W*(?:\w+\W+){{0,2}}$", re.IGNORECASE
        ),
        stage_friend_after=re.compile(rf"^\W{{0,3}}{_words(data.stage_false_friends_after)}", re.IGNORECASE),
        edition_8=re.compile("|".join(data.edition_8), re.IGNORECASE),
        edition_7=re.compile("|".join(data.edition_7), re.IGNORECASE),
        node_counts=tuple(
            re.compile(pattern.replace("NUM", _number_regex(data.number_words)), re.IGNORECASE)
            for pattern in data.node_count_patterns
        ),
        node_positive=re.compile(data.node_positive_mention, re.IGNORECASE),
        node_negative_after=re.compile(data.node_negative_after, re.IGNORECASE),
        node_denial=re.compile(rf"\b{_words(data.node_denial_words)}\b", re.IGNORECASE),
        node_examined=re.compile(data.node_examined_mention, re.IGNORECASE),
        nodes_stated_free=re.compile(data.nodes_stated_free, re.IGNORECASE),
        metastasis_stated_positive=re.compile(data.metastasis_stated_positive, re.IGNORECASE),
        node_involved_number=re.compile(data.node_involved_number, re.IGNORECASE),
        node_raised_by={
            rule.name: _stems(rule.raised_by) for rule in data.node_count_bands if rule.raised_by
        },
        tumour_sizes=tuple(
            re.compile(pattern.replace("DIMS", _DIMS), re.IGNORECASE) for pattern in data.tumour_size_patterns
        ),
        rule_sizes={
            rule.name: tuple(
                re.compile(pattern.replace("DIMS", _DIMS), re.IGNORECASE) for pattern in rule.size_patterns
            )
            for rule in data.t_from_size
        },
        rule_depths={
            rule.name: tuple(
                re.compile(pattern.replace("DIMS", _DIMS), re.IGNORECASE) for pattern in rule.depth_patterns
            )
            for rule in data.t_from_size
        },
        # "Parametrial margin: negative" speaks of the margin, not the structure.
        stated_free={
            rule.name: tuple(
                re.compile(
                    rf"(?<![A-Za-z]){_words(names)}(?![A-Za-z])(?!\W{{0,3}}(?:cuff\s+)?margins?\b)",
                    re.IGNORECASE,
                )
                for names in rule.stated_free
            )
            for rule in data.t_from_size
        },
        stated_free_after=re.compile(data.stated_free_after, re.IGNORECASE),
        absent_after=re.compile(data.absent_after, re.IGNORECASE),
        label_value_present=re.compile(data.label_value_present, re.IGNORECASE),
        extent_cue=re.compile(data.extent_cue, re.IGNORECASE),
        extent_cue_denied=re.compile(data.extent_cue_denied, re.IGNORECASE),
        nodal_before=re.compile(data.nodal_before, re.IGNORECASE),
        nodal_after=re.compile(data.nodal_after, re.IGNORECASE),
        extent_cue_after=re.compile(data.extent_cue_after, re.IGNORECASE),
        extent_levels={
            rule.name: tuple(
                re.compile(rf"(?<![A-Za-z]){_words(level.phrases)}(?![A-Za-z])", re.IGNORECASE)
                for level in rule.levels
            )
            for rule in data.t_from_extent
        },
        extent_blocked_by={
            rule.name: _stems(rule.blocked_by) if rule.blocked_by else None for rule in data.t_from_extent
        },
        distant={
            rule.name: tuple(
                re.compile(pattern.replace("SITE", _words(rule.sites)), re.IGNORECASE)
                for pattern in data.distant_metastasis_patterns
            )
            for rule in data.distant_sites
        },
        recurrence=re.compile(data.recurrence_mention, re.IGNORECASE),
        raised_by={
            rule.name: _stems(rule.raised_by) if rule.raised_by else None for rule in data.t_from_size
        },
        extensions={
            rule.name: tuple(
                re.compile(pattern, re.IGNORECASE)
                for pattern in (rule.extension.stated, rule.extension.sites, rule.extension.confined)
            )
            for rule in data.t_from_size
            if rule.extension is not None
        },
        solitary=re.compile(_any_of(data.tumour_count.solitary), re.IGNORECASE),
        multiple=re.compile(_any_of(data.tumour_count.multiple), re.IGNORECASE),
        count_unclear=re.compile(_any_of(data.tumour_count.unclear), re.IGNORECASE)
        if data.tumour_count.unclear
        else None,
        # Large first: "microscopic large vessel invasion" is a large vessel seen under the microscope.
        vessels=re.compile(
            "|".join(
                f"(?P<{size}>{_any_of(getattr(data.vascular_invasion, size))})"
                for size in ("large", "small", "any")
            ),
            re.IGNORECASE,
        ),
        uncertain_after=re.compile(data.uncertain_after, re.IGNORECASE),
        vessel_label_after=re.compile(data.vascular_invasion.label_after, re.IGNORECASE),
        vessel_absent_after=re.compile(data.vascular_invasion.absent_after, re.IGNORECASE),
        focality_sizes=tuple(
            re.compile(pattern.replace("DIMS", _DIMS), re.IGNORECASE)
            for pattern in [*data.tumour_size_patterns, *data.focality_size_patterns]
        ),
        focality_raised_by={rule.name: _stems(rule.raised_by) for rule in data.t_from_focality},
        confinement={
            rule.name: (
                re.compile(rule.confined, re.IGNORECASE),
                _stems(rule.raised_by),
            )
            for rule in data.t_from_confinement
        },
    )


def _number_regex(words: dict[str, int]) -> str:
    word = _words(list(words))
    return rf"\b(?:\d{{1,3}}|{word}(?:[\s-]+{word})?)\b"


# --- reading a page ----------------------------------------------------------------------------


def _normalise(axis: str, value: str) -> str:
    """OCR'd and lower-case forms to the category: "Tic" -> T1c, "NO" -> N0, "Tis" -> Tis."""
    if value.lower() == "is":
        return "Tis"
    if value.lower() == "x":
        return f"{axis}X"
    if value == "mi":
        return "T1mi"
    head, rest = value[0], value[1:]
    head = {"O": "0", "o": "0", "I": "1", "i": "1", "l": "1", "|": "1"}.get(head, head)
    return f"{axis}{head}{rest.lower() if rest != 'mi' else rest}"


def extract(page: PageText) -> list[Finding]:
    text = page.text
    if not text:
        return []
    compiled = _compiled()
    return [*_category_findings(page, compiled), *_stage_findings(page, compiled)]


def _category_findings(page: PageText, compiled: _Compiled) -> list[Finding]:
    text = page.text
    findings: list[Finding] = []
    for run in _RUN.finditer(text):
        parts = [p for p in _PART.finditer(run.group()) if p.group("axis")]
        axes = [p.group("axis") for p in parts]
        values = {(p.group("axis"), _normalise(p.group("axis"), p.group("value"))) for p in parts}
        if len(values) != len(set(axes)):  # "pT1-pT2": a range or list, not a value ("pN2 ... pN2" is one)
            continue
        in_run = len(set(axes)) > 1
        labeled = (
            compiled.label_before.search(text, max(0, run.start() - _LABEL_REACH), run.start()) is not None
        )
        run_prefix = _prefix(parts[0].group("prefix")) if parts else None
        for part in parts:
            start, end = run.start() + part.start(), run.start() + part.end()
            prefix = _prefix(part.group("prefix"))
            if prefix is None and not (in_run or (labeled and part.group("value")[0].isdigit())):
                continue  # a labeled bare token must be a digit: "Lymph nodes: NO tumor" is not N0
            if prefix is None and not in_run and _HEADING_AFTER.match(text, end):
                continue
            if compiled.friend_after.search(text[end : end + _FRIEND_REACH]):
                continue
            if not in_run and (
                _LIST_AFTER.search(text[end : end + 12]) or _LIST_BEFORE.search(text[:start][-12:])
            ):
                continue
            axis = part.group("axis")
            if axis == "N" and part.group("value")[0] in "Il" and (not in_run or part.group("prefix") == "P"):
                continue  # OCR's "pNI" is pN1 only among other categories: "PNI" alone is perineural invasion
            if prefix is None and axis == "N" and run_prefix in ("p", "yp", "c"):
                prefix = run_prefix  # "pT2 N0": the prefix of a run holds for its N
            value = _normalise(axis, part.group("value"))
            confidence = _PREFIXED if prefix else _IN_RUN if in_run else _LABELED
            findings.append(_category(page, axis, value, prefix, start, end, confidence))
    return findings


def _prefix(raw: str | None) -> str | None:
    return raw.lower() if raw else None


def _category(
    page: PageText, axis: str, value: str, prefix: str | None, start: int, end: int, confidence: float
):
    kind = {"T": FindingKind.T, "N": FindingKind.N, "M": FindingKind.M}[axis]
    return Finding(
        kind=kind,
        value=value,
        display=f"{prefix or ''}{value}",
        prefix=prefix,
        system="TNM",
        evidence=[page.evidence(start, end)],
        confidence=confidence,
    )


def _stage_findings(page: PageText, compiled: _Compiled) -> list[Finding]:
    text = page.text
    findings = []
    for match in _STAGE.finditer(text):
        before = text[max(0, match.start() - _FRIEND_REACH) : match.start()]
        if (
            compiled.stage_friend_before.search(before)
            or compiled.stage_friend_after.search(text[match.end() : match.end() + _FRIEND_REACH])
            or _AXIS_BEFORE.search(before)
        ):
            continue
        lowered = before.lower()
        prefix = "c" if "clinical" in lowered else "p" if "patholog" in lowered else None
        finding = _stage_finding(page, match, prefix, "FIGO" if "figo" in lowered else "AJCC")
        if finding is not None:
            findings.append(finding)
    for match in _FIGO.finditer(text):
        finding = _stage_finding(page, match, None, "FIGO")
        if finding is not None:
            findings.append(finding)
    return findings


def _stage_finding(page: PageText, match: re.Match[str], prefix: str | None, system: str) -> Finding | None:
    raw = match.group("group").upper().replace("L", "I").replace("|", "I")
    main = _ROMAN.get(raw)
    if main is None:
        return None
    sub = match.group("sub") or ""
    sub = sub.lower() if main == "0" else sub.upper()
    value = main + sub
    return Finding(
        kind=FindingKind.STAGE_GROUP,
        value=value,
        display=f"stage {value}",
        prefix=prefix,
        system=system,
        evidence=[page.evidence(match.start(), match.end())],
        confidence=_STAGE_STATED,
    )


# --- choosing --------------------------------------------------------------------------------


@dataclass
class StageSelection:
    t: Finding | None = None
    n: Finding | None = None
    m: Finding | None = None
    stage_group: Finding | None = None
    conflicts: dict[str, list[Finding]] = field(default_factory=dict)


def select_stage(
    findings: Sequence[Finding], cancer_code: str | None, pages: Sequence[PageText]
) -> StageSelection:
    """The patient's T, N, M and stage group from present-assertion findings of all documents."""
    by_kind: dict[FindingKind, list[Finding]] = defaultdict(list)
    for finding in findings:
        if not finding.value.endswith("X"):  # TX, NX, MX: "cannot be assessed" says nothing
            by_kind[finding.kind].append(finding)
    selection = StageSelection()
    for name, kind in (("t", FindingKind.T), ("n", FindingKind.N), ("m", FindingKind.M)):
        chosen, rivals = _choose(by_kind[kind])
        setattr(selection, name, chosen)
        if chosen is None and not rivals and cancer_code is not None:
            if name == "n":
                selection.n = n_from_node_counts(pages, cancer_code)
            elif name == "t":
                selection.t = (
                    t_from_stage(by_kind[FindingKind.STAGE_GROUP], cancer_code)
                    or t_from_extent(pages, cancer_code)
                    or t_from_tumour_size(pages, cancer_code)
                    or t_from_focality(pages, cancer_code)
                    or t_from_confinement(pages, cancer_code)
                )
            else:
                selection.m = m_from_distant_metastasis(pages, cancer_code)
        if rivals:
            selection.conflicts[name] = rivals
    stated, rivals = _choose(by_kind[FindingKind.STAGE_GROUP])
    if rivals:
        selection.conflicts["stage_group"] = rivals
    if stated is not None or rivals:
        selection.stage_group = stated
    elif cancer_code is not None and not _recurrence(pages):
        # cN0 only where the records say nothing of regional nodes: no count, no involved node.
        silent_on_nodes = "n" not in selection.conflicts and not any(
            _node_counts(page) or _uncounted_positive(page, []) for page in pages
        )
        edition = _edition(pages)
        t = selection.t and refine_t_by_size(selection.t, pages, cancer_code, edition)
        selection.stage_group = derive_stage_group(
            cancer_code, t, selection.n, selection.m, edition, assume_n0=silent_on_nodes
        )
        if selection.stage_group is None and t is None and "t" not in selection.conflicts:
            # T left open between the editions may still make one group ("multiple tumours, one over 5 cm").
            selection.stage_group = stage_group_from_focality(
                pages, cancer_code, selection.n, selection.m, edition, assume_n0=silent_on_nodes
            )
    return selection


def _main(value: str) -> str:
    match = re.match(r"(T(?:is|mi|[0-4])|N[0-3]|M[01]|IV|III|II|I|0)", value)
    return match.group(1) if match else value


def _choose(findings: Sequence[Finding]) -> tuple[Finding | None, list[Finding]]:
    """The best-supported value among the highest-ranked prefix; specific over general."""
    if not findings:
        return None, []
    top_rank = max(_PREFIX_RANK.get(f.prefix, 2) for f in findings)
    ranked = [f for f in findings if _PREFIX_RANK.get(f.prefix, 2) == top_rank]
    support: dict[str, float] = defaultdict(float)
    for finding in ranked:
        support[_main(finding.value)] += finding.confidence
    order = sorted(support, key=lambda value: (-support[value], value))
    best = order[0]
    rivals = [v for v in order[1:] if support[v] * _DOMINANCE > support[best]]
    if rivals:
        return None, sorted(
            (f for f in ranked if _main(f.value) in {best, *rivals}), key=lambda f: (f.value, -f.confidence)
        )
    same = [f for f in ranked if _main(f.value) == best]
    # Specific over general: the longest value of the winning main category, then the most confident.
    return max(same, key=lambda f: (len(f.value), f.confidence, -same.index(f))), []


@dataclass(frozen=True, slots=True)
class _NodeCount:
    involved: int
    examined: int
    page: PageText
    start: int
    end: int


def _count(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    words = _compiled().data.number_words
    return sum(words.get(word, 0) for word in re.split(r"[\s.-]+", text.lower()) if word)


def _node_counts(page: PageText) -> list[_NodeCount]:
    counts: list[_NodeCount] = []
    compiled = _compiled()
    for pattern in compiled.node_counts:
        for match in pattern.finditer(page.text):
            involved = _count(match.groupdict().get("pos")) or 0
            if compiled.node_negative_after.match(page.text, match.end()):  # "11/11 nodes, negative"
                involved = 0
            examined = _count(match.group("total"))
            if not examined or involved > examined:
                continue
            # The same count written twice ("six of eight lymph nodes (6/8)") counts once.
            if any(
                (c.involved, c.examined) == (involved, examined) and abs(c.start - match.start()) < 120
                for c in counts
            ):
                continue
            counts.append(_NodeCount(involved, examined, page, match.start(), match.end()))
    return counts


def _uncounted_positive(page: PageText, counts: Sequence[_NodeCount]) -> bool:
    """A node mention with metastasis that no count covers ("carcinoma in one lymph node")."""
    compiled = _compiled()
    mentions = [
        match
        for match in compiled.node_positive.finditer(page.text)
        if not compiled.node_denial.search(page.text[max(0, match.start() - 40) : match.start() + 25])
    ]
    # A stated number of involved nodes holds even beside "free of tumor": the report contradicts itself.
    mentions += compiled.node_involved_number.finditer(page.text)
    return any(not any(c.involved and c.start - 60 <= m.start() <= c.end for c in counts) for m in mentions)


def _uncounted_examined(page: PageText, counts: Sequence[_NodeCount]) -> bool:
    """A stated number of examined nodes that no count read covers: its involved nodes are unknown."""
    return any(
        not any(c.page is page and c.start <= match.start() < c.end for c in counts)
        for match in _compiled().node_examined.finditer(page.text)
    )


def _rule_for(rules: Sequence[_Rule], cancer_code: str) -> _Rule | None:
    """The first rule that applies to the cancer's code or one of its OncoTree ancestors."""
    chain = lineage(cancer_code)
    return next((rule for rule in rules if any(code in rule.applies_to for code in chain)), None)


def _n_for_count(involved: int, cancer_code: str) -> str | None:
    if involved == 0:
        return "N0"
    rule = _rule_for(_compiled().data.node_count_bands, cancer_code)
    band = rule and next(
        (b for b in rule.bands if b.min <= involved and (b.max is None or involved <= b.max)), None
    )
    return band.n if band else None


def n_from_node_counts(pages: Sequence[PageText], cancer_code: str) -> Finding | None:
    """N from counts of involved regional nodes where no record states N.

    Several specimen parts are summed; a count whose examined nodes are at least those of all the
    others together may instead be the report's total: N is given only where both readings agree.
    """
    compiled = _compiled()
    rule = _rule_for(compiled.data.node_count_bands, cancer_code)
    raised_by = compiled.node_raised_by.get(rule.name) if rule else None
    if raised_by is not None and any(_asserted(page, raised_by) for page in pages):
        return None
    counts = [count for page in pages for count in _node_counts(page)]
    involved = [c for c in counts if c.involved]
    any_involved = _n_for_count(1, cancer_code)
    if involved and any_involved is not None and any_involved == _n_for_count(_ANY_COUNT, cancer_code):
        # Where any involved node gives the same N (thyroid, kidney: N1), uncounted nodes cannot change it.
        return _n_finding(
            any_involved,
            f"derived from {involved[0].involved} of {involved[0].examined} regional lymph nodes involved "
            "(any involved regional node gives this N)",
            involved,
        )
    if not counts:
        return _n0_from_nodes_stated_free(pages)
    if any(_uncounted_positive(page, counts) or _uncounted_examined(page, counts) for page in pages):
        return None
    readings = [(sum(c.involved for c in counts), sum(c.examined for c in counts), counts)]
    largest = max(counts, key=lambda c: c.examined)
    if len(counts) > 1 and largest.examined >= sum(c.examined for c in counts if c is not largest):
        readings.append((largest.involved, largest.examined, [largest]))  # perhaps the report's total
    values = {_n_for_count(involved, cancer_code) for involved, _, _ in readings}
    if len(values) != 1 or None in values:
        return None  # the readings disagree, or a count alone does not decide N for this cancer
    value = values.pop()
    total, examined, used = readings[-1]
    return _n_finding(value, f"derived from {total} of {examined} regional lymph nodes involved", used)


def _n0_from_nodes_stated_free(pages: Sequence[PageText]) -> Finding | None:
    """N0 where a record calls the regional nodes free of tumour without counting them ("as well as free
    lymph nodes", "Lymph nodes negative for cancer") and no record mentions an involved node or says that
    something is positive for metastasis."""
    compiled = _compiled()
    pattern, positive = compiled.nodes_stated_free, compiled.metastasis_stated_positive
    if any(_uncounted_positive(page, []) or positive.search(page.text) for page in pages):
        return None
    for page in pages:
        match = pattern.search(page.text)
        if match is not None:
            return Finding(
                kind=FindingKind.N,
                value="N0",
                display="pN0",
                prefix="p",
                system="TNM",
                basis=Basis.DERIVED,
                basis_note=f"derived from the regional lymph nodes stated free of tumour ({match.group()})",
                evidence=[page.evidence(*match.span())],
                confidence=0.8,
            )
    return None


def _n_finding(value: str, note: str, used: Sequence[_NodeCount]) -> Finding:
    return Finding(
        kind=FindingKind.N,
        value=value,
        display=f"p{value}",
        prefix="p",
        system="TNM",
        basis=Basis.DERIVED,
        basis_note=note,
        evidence=[c.page.evidence(c.start, c.end) for c in used[:5]],
        confidence=0.8,
    )


def t_from_stage(stages: Sequence[Finding], cancer_code: str) -> Finding | None:
    """T from a stated stage where the cancer's stages are defined by T alone (cervix: FIGO IB is T1b)."""
    rule = _rule_for(_compiled().data.t_from_stage, cancer_code)
    if rule is None:
        return None
    mapped = [(f, rule.stages.get(re.sub(r"\d$", "", f.value))) for f in stages]
    known = [(f, t) for f, t in mapped if t is not None]
    if not known or len(known) < len(mapped) or len({_main(t) for _, t in known}) > 1:
        return None  # no stage, one that T alone does not make, or stages that disagree on T
    stage, t = max(known, key=lambda pair: len(pair[1]))
    return _derived_t(
        t,
        f"derived from the stated {stage.system} stage {stage.value} ({rule.name}: these stages are defined "
        "by the primary tumour alone)",
        stage.evidence,
        confidence=0.8,
    )


@dataclass(frozen=True, slots=True)
class _Measure:
    cm: float
    page: PageText
    start: int
    end: int

    @property
    def quote(self) -> str:
        return self.page.text[self.start : self.end]

    @property
    def evidence(self) -> Evidence:
        return self.page.evidence(self.start, self.end)


def _largest(pages: Sequence[PageText], patterns: Sequence[re.Pattern[str]]) -> _Measure | None:
    """The largest measurement the patterns read (groups `size` and `unit`; of several dimensions, the
    largest), in cm."""
    found: list[_Measure] = []
    for page in pages:
        for pattern in patterns:
            for match in pattern.finditer(page.text):
                numbers = re.findall(r"\d+(?:\.\s?\d+)?", match.group("size"))
                dimension = max(float(re.sub(r"\s", "", d)) for d in numbers)
                cm = dimension / 10 if match.group("unit").lower() == "mm" else dimension
                if 0 < cm <= _MAX_SIZE_CM:
                    found.append(_Measure(cm, page, match.start("size"), match.end("unit")))
    return max(found, key=lambda measure: measure.cm, default=None)


@dataclass(frozen=True, slots=True)
class _MeasuredT:
    """T from a size rule's measurements, what they were ("a largest tumour size of 1.8 cm and a depth of
    invasion of 4 mm") and where they were read."""

    t: str
    what: str
    evidence: list[Evidence]


def t_from_tumour_size(pages: Sequence[PageText], cancer_code: str) -> Finding | None:
    """T from the largest tumour size (and depth, where the band needs it) where the cancer's T depends
    on them alone, nothing raises it, and the structures the rule names are stated free of tumour."""
    compiled = _compiled()
    rule = _rule_for(compiled.data.t_from_size, cancer_code)
    if rule is None:
        return None
    raised_by = compiled.raised_by[rule.name]
    if raised_by is not None and any(_raised(page, raised_by) for page in pages):
        return None
    if not all(any(_stated_free(page, names) for page in pages) for names in compiled.stated_free[rule.name]):
        return None
    measured = _measured_t(rule, pages)
    if rule.extension is not None:
        return _t_with_extension(rule, rule.extension, pages, measured)
    if measured is None:
        return None
    free = " and the structures it names are free of tumour" if rule.stated_free else ""
    return _derived_t(
        measured.t,
        f"derived from {measured.what} ({rule.name}: it decides T where no extension beyond it is "
        f"described{free})",
        measured.evidence,
    )


def _measured_t(rule: SizeRule, pages: Sequence[PageText]) -> _MeasuredT | None:
    """T from the band of the largest size and, where the band needs it, of the largest depth; None where
    a measurement is missing or beyond the bands."""
    compiled = _compiled()
    size = _largest(pages, compiled.rule_sizes[rule.name] or compiled.tumour_sizes)
    band = next((b for b in rule.bands if size.cm <= b.max_cm), None) if size else None
    if size is None or band is None:
        return None
    t, what, evidence = band.t, f"a {rule.measure} of {size.quote}", [size.evidence]
    if band.by_depth is not None:
        depth = _largest(pages, compiled.rule_depths[rule.name])
        if depth is None:
            return None  # this size band's T depends on the depth, which the report does not give
        t = next((d.t for d in band.by_depth if depth.cm * 10 <= d.max_mm), None)
        what += f" and a {rule.depth_measure} of {depth.quote}"
        evidence.append(depth.evidence)
    return _MeasuredT(t, what, evidence) if t is not None else None


def _t_with_extension(
    rule: SizeRule, extension: Extension, pages: Sequence[PageText], measured: _MeasuredT | None
) -> Finding | None:
    """T where spread just beyond the organ counts in some editions only: size decides where the report
    says the tumour is confined, or where its band is at least what the extension would give; the
    extension decides only where the report names an edition that counts it."""
    stated = _extension_stated(pages, _compiled().extensions[rule.name])
    if stated is None:
        return None
    extends, ext_page, ext_start, ext_end = stated
    ext_end = _clause_end(ext_page.text, ext_end)  # with its value: "Extrathyroid Extension: Not identified"
    quoted = ext_page.text[ext_start:ext_end]
    evidence = [ext_page.evidence(ext_start, ext_end)]
    if measured is not None and (not extends or _t_rank(measured.t) >= _t_rank(extension.t)):
        status = (
            "extension beyond the organ described" if extends else "the tumour stated confined to the organ"
        )
        return _derived_t(
            measured.t,
            f"derived from {measured.what} with {status} ({quoted}), {rule.name} T rules of the 7th and 8th "
            "AJCC editions",
            [*measured.evidence, *evidence],
        )
    edition = _edition(pages)
    if extends and edition in extension.editions:
        return _derived_t(
            extension.t,
            f"derived from extension beyond the organ ({quoted}): {extension.t} in the AJCC {edition}th "
            "edition, which the report names",
            evidence,
        )
    return None


def _clause_end(text: str, end: int, reach: int = 40) -> int:
    stop = _SENTENCE_END.search(text, end)
    return min(stop.start() if stop else len(text), end + reach)


def _t_rank(t: str) -> int:
    return int(t[1]) if t[1:2].isdigit() else 0


def _extension_stated(
    pages: Sequence[PageText], patterns: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]
) -> tuple[bool, PageText, int, int] | None:
    """Whether the records say the tumour extends beyond the organ (True) or is confined to it (False),
    with the words that say it; None where they do not say. An extension asserted present anywhere
    wins: one focus may extend where another does not, and the microscope sees what the gross misses."""
    stated, sites, confined = patterns
    denied: tuple[bool, PageText, int, int] | None = None
    for page in pages:
        named = [m.span() for m in stated.finditer(page.text)]
        statuses = assign_assertions(page.text, named)
        for (start, end), status in zip(named, statuses, strict=True):
            if status is Assertion.PRESENT and not _absent_after(page.text, end):
                return True, page, start, end
            if status is Assertion.NEGATED and denied is None:
                denied = False, page, start, end
        present = _present_spans(page, sites)
        if present:
            return True, page, *present[0]
        if denied is None:
            said = [m.span() for m in confined.finditer(page.text) if not _absent_after(page.text, m.end())]
            statuses = assign_assertions(page.text, said)
            confinement = [
                span for span, status in zip(said, statuses, strict=True) if status is Assertion.PRESENT
            ]
            denied = (False, page, *confinement[0]) if confinement else None
    return denied


def _derived_t(value: str, note: str, evidence: list[Evidence], confidence: float = 0.75) -> Finding:
    return Finding(
        kind=FindingKind.T,
        value=value,
        display=value,
        system="TNM",
        basis=Basis.DERIVED,
        basis_note=note,
        evidence=evidence,
        confidence=confidence,
    )


def refine_t_by_size(t: Finding, pages: Sequence[PageText], cancer_code: str, edition: int | None) -> Finding:
    """A stated T made finer by the tumour's largest size, where the editions agree on the finer category
    (lung pT2 of at most 4 cm is T2a) or the report names the edition that makes it (lung pT2 of at most
    5 cm is T2a in the 7th); otherwise T itself. Used to choose the stage group only."""
    compiled = _compiled()
    chain = lineage(cancer_code)
    rules = [
        rule
        for rule in compiled.data.t_refinements
        if any(code in rule.applies_to for code in chain)
        and t.value == rule.t
        and (rule.editions is None or edition in rule.editions)
    ]
    size = _largest(pages, compiled.tumour_sizes) if rules else None
    rule = next((r for r in rules if size is not None and size.cm <= r.max_cm), None)
    if rule is None or size is None:
        return t
    named = f" in the AJCC {edition}th edition, which the report names" if rule.editions else ""
    return t.model_copy(
        update={
            "value": rule.refined,
            "display": f"{t.display} ({rule.refined} by a tumour size of {size.quote}{named})",
            "evidence": [*t.evidence, size.evidence],
        }
    )


def t_from_extent(pages: Sequence[PageText], cancer_code: str) -> Finding | None:
    """T from the deepest layer the tumour is said to reach, for cancers whose T is depth of invasion."""
    compiled = _compiled()
    rule = _rule_for(compiled.data.t_from_extent, cancer_code)
    if rule is None:
        return None
    blocked_by = compiled.extent_blocked_by[rule.name]
    if blocked_by is not None and any(_raised(page, blocked_by) for page in pages):
        return None
    deepest: tuple[int, PageText, int, int] | None = None
    for page in pages:
        for depth, pattern in enumerate(compiled.extent_levels[rule.name]):
            if deepest is not None and depth <= deepest[0]:
                continue
            present = _present_spans(page, pattern)
            if present:
                deepest = (depth, page, *present[0])
    if deepest is None:
        return None
    depth, page, start, end = deepest
    level = rule.levels[depth]
    return Finding(
        kind=FindingKind.T,
        value=level.t,
        display=level.t,
        system="TNM",
        basis=Basis.DERIVED,
        basis_note=f"derived from the {rule.measure} ({page.text[start:end]}), {rule.name} T rules",
        evidence=[page.evidence(start, end)],
        confidence=0.75,
    )


_Span = tuple[PageText, int, int]
_Status = Literal["absent", "uncertain", "present"]
_STRENGTH: dict[_Status, int] = {"absent": 1, "uncertain": 2, "present": 3}
_VESSEL_WORDS: dict[Vessels, str] = {
    "none": " without vascular invasion",
    "small": " with small-vessel invasion",
    "large": " with invasion of a large vessel",
    "any": " with vascular invasion",
    "unknown": "",
    "unreported": " with no vascular invasion reported",
}


@dataclass(frozen=True, slots=True)
class _Focality:
    """The outcome that the number of tumours, vascular invasion and size match, what they were ("multiple
    tumours with vascular invasion ("...", "...")") and where they were read."""

    rule: FocalityRule
    outcome: FocalityOutcome
    what: str
    evidence: list[Evidence]


def _focality(pages: Sequence[PageText], cancer_code: str) -> _Focality | None:
    compiled = _compiled()
    rule = _rule_for(compiled.data.t_from_focality, cancer_code)
    if rule is None:
        return None
    count = _tumour_count(pages)
    if count is None or any(_raised(page, compiled.focality_raised_by[rule.name]) for page in pages):
        return None
    vessels, vessel_span = _vessels(pages)
    largest = _largest(pages, compiled.focality_sizes)
    for outcome in rule.outcomes:
        by_size = outcome.above_cm is not None or outcome.up_to_cm is not None
        if outcome.tumours != count[0] or vessels not in outcome.vessels:
            continue
        if by_size and not (
            largest is not None
            and (outcome.above_cm is None or largest.cm > outcome.above_cm)
            and (outcome.up_to_cm is None or largest.cm <= outcome.up_to_cm)
        ):
            continue
        used = [
            count[1],
            *([vessel_span] if vessel_span else []),
            *([(largest.page, largest.start, largest.end)] if by_size and largest else []),
        ]
        quoted = ", ".join(f'"{page.text[start:end]}"' for page, start, end in used)
        what = "a solitary tumour" if count[0] == "solitary" else "multiple tumours"
        return _Focality(
            rule,
            outcome,
            f"{what}{_VESSEL_WORDS[vessels]} ({quoted})",
            [page.evidence(start, end) for page, start, end in used],
        )
    return None


def t_from_focality(pages: Sequence[PageText], cancer_code: str) -> Finding | None:
    """T from the number of tumours, vascular invasion and size (liver), where the editions agree or the
    report names an edition that gives one T."""
    found = _focality(pages, cancer_code)
    if found is None:
        return None
    outcome = found.outcome
    if outcome.t is not None:
        t, editions = outcome.t, "in the AJCC 7th and 8th editions alike"
    else:
        edition = _edition(pages)
        named = (outcome.t_by_edition or {}).get(edition) if edition in (7, 8) else None
        if named is None or len(named) > 1:
            return None
        t, editions = named[0], f"in the AJCC {edition}th edition, which the report names,"
    return _derived_t(
        t,
        f"derived from {found.what}: {t} for {found.rule.name} {editions} where no extension beyond the "
        "liver is described",
        found.evidence,
    )


def stage_group_from_focality(
    pages: Sequence[PageText],
    cancer_code: str,
    n: Finding | None,
    m: Finding | None,
    edition: int | None,
    *,
    assume_n0: bool = False,
) -> Finding | None:
    """The stage group where the number of tumours, vascular invasion and size leave T open between categories
    (a vessel that may be a major branch: T3 in the 7th edition, T3 or T4 in the 8th) that all make it."""
    found = _focality(pages, cancer_code)
    if found is None or found.outcome.t_by_edition is None:
        return None
    by_edition = found.outcome.t_by_edition
    if edition in by_edition:
        ts, why = by_edition[edition], f"in the AJCC {edition}th edition, which the report names"
    else:
        ts = sorted({t for categories in by_edition.values() for t in categories})
        why = ", ".join(f"{' or '.join(by_edition[e])} in the AJCC {e}th edition" for e in sorted(by_edition))
    open_t = _derived_t(
        " or ".join(ts),
        f"derived from {found.what}: {' or '.join(ts)} for {found.rule.name} ({why}) where no extension "
        "beyond the liver is described",
        found.evidence,
    )
    group = derive_stage_group(cancer_code, open_t, n, m, edition, assume_n0=assume_n0, t_values=ts)
    if group is None:
        return None
    return group.model_copy(update={"basis_note": f"{group.basis_note}; T {open_t.basis_note}"})


def t_from_confinement(pages: Sequence[PageText], cancer_code: str) -> Finding | None:
    """T from a tumour stated confined to its organ, by whether vascular invasion is present or denied, where
    nothing beyond the organ is said to be reached."""
    compiled = _compiled()
    rule = _rule_for(compiled.data.t_from_confinement, cancer_code)
    if rule is None:
        return None
    confined, raised_by = compiled.confinement[rule.name]
    if any(_raised(page, raised_by) for page in pages):
        return None
    stated: _Span | None = None
    for page in pages:
        spans = [m.span() for m in confined.finditer(page.text)]
        statuses = assign_assertions(page.text, spans)
        present = [span for span, status in zip(spans, statuses, strict=True) if status is Assertion.PRESENT]
        if present:
            stated = (page, *present[0])
            break
    vessels, vessel_span = _vessels(pages)
    if stated is None or vessel_span is None or vessels == "unknown":
        return None
    t = rule.without_vessels if vessels == "none" else rule.with_vessels
    used = [stated, vessel_span]
    quoted = ", ".join(f'"{page.text[start:end]}"' for page, start, end in used)
    return _derived_t(
        t,
        f"derived from a tumour confined to the organ{_VESSEL_WORDS[vessels]} ({quoted}): {t} for "
        f"{rule.name} in the AJCC 7th and 8th editions alike",
        [page.evidence(start, end) for page, start, end in used],
    )


def _tumour_count(pages: Sequence[PageText]) -> tuple[Literal["solitary", "multiple"], _Span] | None:
    """One tumour or several, and a phrase that says so; None where the records do not say or disagree."""
    compiled = _compiled()
    solitary = [(page, *m.span()) for page in pages for m in compiled.solitary.finditer(page.text)]
    multiple: list[_Span] = []
    unclear = False
    for page in pages:
        matches = list(compiled.multiple.finditer(page.text))
        statuses = assign_assertions(page.text, [m.span() for m in matches])
        for match, status in zip(matches, statuses, strict=True):
            if compiled.uncertain_after.match(page.text[match.end() : match.end() + 60]):
                unclear = True  # "Satellite nodules: cannot be assessed"
            elif status is Assertion.PRESENT and not _absent_after(page.text, match.end()):
                multiple.append((page, *match.span()))
        unclear = unclear or bool(compiled.count_unclear and compiled.count_unclear.search(page.text))
    if solitary and not multiple and not unclear:
        return "solitary", solitary[0]
    if multiple and not solitary:
        return "multiple", multiple[0]
    return None


def _vessels(pages: Sequence[PageText]) -> tuple[Vessels, _Span | None]:
    """What the records say of vascular invasion, and the mention that decides it.

    For each vessel size a present mention outweighs an uncertain one, which outweighs a denial
    ("angiolymphatic invasion is identified within the tumor; extratumoral vascular invasion is not
    identified": small vessels invaded).
    """
    compiled = _compiled()
    found: dict[str, tuple[_Status, _Span]] = {}  # vessel size -> strongest status, and its mention
    for page in pages:
        mentions = [
            m
            for m in compiled.vessels.finditer(page.text)
            if not compiled.vessel_label_after.match(page.text[m.end() : m.end() + 60])
        ]
        assertions = assign_assertions(page.text, [m.span() for m in mentions])
        for match, assertion in zip(mentions, assertions, strict=True):
            status: _Status
            if compiled.uncertain_after.match(page.text[match.end() : match.end() + 60]):
                status = "uncertain"
            elif (
                assertion is Assertion.NEGATED
                or _absent_after(page.text, match.end())
                or compiled.vessel_absent_after.match(page.text[match.end() : match.end() + 60])
            ):
                status = "absent"
            else:
                status = "present" if assertion is Assertion.PRESENT else "uncertain"
            size = next(name for name in ("large", "small", "any") if match.group(name))
            if size not in found or _STRENGTH[status] > _STRENGTH[found[size][0]]:
                # The evidence runs to the end of the clause, which says present or absent.
                clause = re.match(r"[^.;(]{0,60}?(?=\s*[.;(])", page.text[match.end() :])
                found[size] = (status, (page, match.start(), match.end() + (clause.end() if clause else 0)))
    unqualified = found["any"][0] if "any" in found else None
    # An unqualified denial ("no vascular invasion") denies both sizes unless one is named.
    large = found["large"][0] if "large" in found else "absent" if unqualified == "absent" else None
    small = found["small"][0] if "small" in found else "absent" if unqualified == "absent" else None
    if large == "present":
        return "large", found["large"][1]
    if small == "present":
        return ("small", found["small"][1]) if large != "uncertain" else ("unknown", None)
    if unqualified == "present":
        return "any", found["any"][1]
    if small == "absent" and large != "uncertain" and unqualified != "uncertain":
        return "none", (found.get("small") or found["any"])[1]
    return ("unknown" if found else "unreported"), None


def m_from_distant_metastasis(pages: Sequence[PageText], cancer_code: str) -> Finding | None:
    """M1 where a record documents metastasis to a site that is distant for the cancer: a specimen of that
    site with metastatic carcinoma, or metastases named at that site. Only present assertions count."""
    compiled = _compiled()
    rule = _rule_for(compiled.data.distant_sites, cancer_code)
    if rule is None:
        return None
    for page in pages:
        matches = [match for pattern in compiled.distant[rule.name] for match in pattern.finditer(page.text)]
        statuses = assign_assertions(page.text, [match.span() for match in matches])
        for match, status in zip(matches, statuses, strict=True):
            if status is Assertion.PRESENT:
                return Finding(
                    kind=FindingKind.M,
                    value="M1",
                    display="M1",
                    system="TNM",
                    basis=Basis.DERIVED,
                    basis_note="derived from distant metastasis documented at the "
                    f"{match.group('site').lower()} ({rule.name}: a distant site)",
                    evidence=[page.evidence(*match.span())],
                    confidence=0.8,
                )
    return None


def _recurrence(pages: Sequence[PageText]) -> bool:
    """Some record describes a recurrent tumour (asserted present, not "to rule out recurrent carcinoma")."""
    pattern = _compiled().recurrence
    for page in pages:
        spans = [match.span() for match in pattern.finditer(page.text)]
        if any(status is Assertion.PRESENT for status in assign_assertions(page.text, spans)):
            return True
    return False


def _raised(page: PageText, pattern: re.Pattern[str]) -> bool:
    """Some extension that raises T is asserted present on the page (negated mentions do not count)."""
    return bool(_present_spans(page, pattern))


def _asserted(page: PageText, pattern: re.Pattern[str]) -> bool:
    """Some mention of the pattern is asserted present, and no form value or clause after it says it is
    absent ("Satellite nodules: not specified")."""
    spans = [m.span() for m in pattern.finditer(page.text) if not _absent_after(page.text, m.end())]
    return any(status is Assertion.PRESENT for status in assign_assertions(page.text, spans))


def _present_spans(page: PageText, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Where the page says the tumour reaches a structure of the pattern: after an extent cue ("extends into
    the perirenal fat") or before one ("perinephric fat invasion: present"), not free, not negated."""
    spans = [
        match.span()
        for match in pattern.finditer(page.text)
        if _cued(page.text, match.start(), match.end()) and not _absent_after(page.text, match.end())
    ]
    statuses = assign_assertions(page.text, spans)
    return [span for span, status in zip(spans, statuses, strict=True) if status is Assertion.PRESENT]


def _cued(text: str, start: int, end: int) -> bool:
    """An extent cue says that the tumour reaches the structure at `start`:`end`: the nearest one before it
    ("invades into the perirenal fat"), which does not speak of lymph nodes ("extranodal extension into the
    adjacent soft tissues", "pericolic lymph nodes": a node's spread is N, not the primary tumour's T), or
    one just after it ("renal sinus invasion: present"). A denial just before that cue or before the
    structure takes it back ("does not extend. into", "No. renal vein invasion", "no invasion of the renal
    sinus or renal vein": OCR'd full stops cut the sentence that the assertion tools read), and so do words
    that only place a section beside the structure ("tumor in relation to perirenal fat")."""
    compiled = _compiled()
    sentence = max(0, start - 60)
    for stop in _SENTENCE_END.finditer(text, sentence):  # no endpos: a full stop's lookahead reads on
        if stop.start() >= start:
            break
        sentence = stop.end()
    nearest = None
    cue = compiled.extent_cue.search(text, sentence, start)
    while cue is not None:
        nearest = cue
        cue = compiled.extent_cue.search(text, cue.start() + 1, start)
    before = (
        nearest is not None
        and not compiled.extent_cue_denied.search(text, max(0, nearest.start() - 40), nearest.start())
        and not compiled.nodal_before.search(text, max(0, nearest.start() - 30), start)
        and not compiled.nodal_after.match(text, end)
    )
    after = compiled.extent_cue_after.search(text[end : end + 30]) is not None
    return (before or after) and not compiled.extent_cue_denied.search(text, max(0, start - 40), start)


def _stated_free(page: PageText, names: re.Pattern[str]) -> bool:
    """The structure is said to be free of tumour: "Parametria free of neoplasia", "PARAMETRIUM, RADICAL
    HYSTERECTOMY. - NO CARCINOMA IDENTIFIED", "No parametrial involvement"."""
    matches = list(names.finditer(page.text))
    free_after = _compiled().stated_free_after
    if any(free_after.match(page.text[match.end() : match.end() + 150]) for match in matches):
        return True
    statuses = assign_assertions(page.text, [match.span() for match in matches])
    return any(status is Assertion.NEGATED for status in statuses)


def _absent_after(text: str, end: int) -> bool:
    """The structure is a form label whose value does not say that the tumour involves it ("Perirenal
    adipose tissue: grossly negative", "Venous invasion: not specified", a label with no value), or the
    rest of the clause says it is free or unreported ("the renal vein and artery are free of tumour")."""
    compiled = _compiled()
    label = _FORM_LABEL.match(text, end)
    if label is not None and not compiled.label_value_present.match(text, label.end()):
        return True
    clause = _CLAUSE_END.split(text[end : end + 80], maxsplit=1)[0]
    return compiled.absent_after.search(clause) is not None


def _edition(pages: Sequence[PageText]) -> int | None:
    compiled = _compiled()
    if any(compiled.edition_8.search(page.text) for page in pages):
        return 8
    if any(compiled.edition_7.search(page.text) for page in pages):
        return 7
    return None


def _matches(entry: str, value: str) -> bool:
    return entry == "any" or value.startswith(entry)


def _groups(table: StageTable, t: str, n: str, m: str, edition: int | None) -> set[str] | None:
    """The groups the categories could make; None where some possibility is not in the table.

    A category the table does not list is read as each of its finer categories that the table does
    list (lung T2 -> T2a or T2b), so a group is given only where all of them agree.
    """
    matching = [
        row
        for row in table.rows
        if any(_matches(e, t) for e in row.t)
        and any(_matches(e, n) for e in row.n)
        and any(_matches(e, m) for e in row.m)
    ]
    if matching:
        row = max(matching, key=lambda r: _specificity(r, t, n, m))
        if row.ajcc7 is None or edition == 8:
            return {row.group}
        if edition == 7:
            return {row.ajcc7}
        return {_main(row.group)} if _main(row.ajcc7) == _main(row.group) else None
    categories = (("t", t), ("n", n), ("m", m))
    for axis, value in categories if table.complete else ():
        finer = sorted(
            {e for row in table.rows for e in getattr(row, axis) if e != value and e.startswith(value)}
        )
        if finer:
            return _union(
                _groups(table, *(refined if a == axis else v for a, v in categories), edition)
                for refined in finer
            )
    return None


def _groups_each(
    table: StageTable, ts: Sequence[str], n: str, m: str, edition: int | None
) -> set[str] | None:
    """The groups that each of the T categories could make with N and M; None where one leaves it open."""
    return _union(_groups(table, t, n, m, edition) for t in ts)


def _union(alternatives: Iterable[set[str] | None]) -> set[str] | None:
    """The groups of all the alternatives; None as soon as one leaves the group open."""
    found: set[str] = set()
    for groups in alternatives:
        if groups is None:
            return None
        found |= groups
    return found


def _specificity(row: StageRow, t: str, n: str, m: str) -> tuple[int, int, int]:
    def best(entries: list[str], value: str) -> int:
        return max((0 if e == "any" else len(e)) for e in entries if _matches(e, value))

    return best(row.m, m), best(row.t, t), best(row.n, n)


def derive_stage_group(
    cancer_code: str,
    t: Finding | None,
    n: Finding | None,
    m: Finding | None,
    edition: int | None = None,
    *,
    assume_n0: bool = False,
    t_values: Sequence[str] = (),
) -> Finding | None:
    """The stage group that T, N and M make in the cancer's table, or None where they do not decide it.

    `t_values`: where T is open between categories (the editions differ), each of them; `t` then says why,
    and a group is given only where all of them make it.
    """
    table = _rule_for(_compiled().data.tables, cancer_code)
    used = [f for f in (t, n, m) if f is not None]
    if table is None or not used:
        return None
    # An unknown category is its bare axis letter, which the table reads as any of its categories;
    # where that leaves the group open, an unexamined N is taken as cN0, as registries group a pT with
    # the clinical N when no node was examined.
    ts, m_value = (list(t_values) or [t.value if t else "T"]), (m.value if m is not None else "M0")
    groups = _groups_each(table, ts, n.value if n else "N", m_value, edition)
    n_assumed = False
    if (
        assume_n0
        and table.n0_when_silent
        and n is None
        and t is not None
        and (not groups or len({_main(g) for g in groups}) > 1)
    ):
        groups, n_assumed = _groups_each(table, ts, "N0", m_value, edition), True
    if not groups:
        return None
    mains = {_main(g) for g in groups}
    if len(mains) > 1:
        return None
    n_value = "N0" if n_assumed else n.value if n else "N"
    if m is None and not any(_matches(e, n_value) for e in table.m0_when_silent_n):
        with_m1 = _groups_each(table, ts, n_value, "M1", edition)  # the group must not depend on M
        if not with_m1 or {_main(g) for g in with_m1} != mains:
            return None
    value = groups.pop() if len(groups) == 1 else mains.pop()
    categories = " ".join(f.display for f in used)
    assumed = "; cN0 assumed because no regional lymph node was examined or reported" if n_assumed else ""
    if m is None:
        assumed += "; cM0 assumed because no record documents distant spread"
    return Finding(
        kind=FindingKind.STAGE_GROUP,
        value=value,
        display=f"stage {value}",
        system=_AJCC8 if edition != 7 else "AJCC 7th",
        basis=Basis.DERIVED,
        basis_note=f"derived from {categories} with the {table.name} stage table{assumed}",
        evidence=[e for f in used for e in f.evidence],
        confidence=round(min(f.confidence for f in used) * 0.9, 3),
    )


def lint() -> list[str]:
    """Problems in data/staging.yaml: schema, regexes, unknown codes, malformed categories."""
    try:
        compiled = _compiled()
    except (OSError, ValueError, yaml.YAMLError, re.error) as error:
        return [f"staging.yaml: {error}"]
    problems: list[str] = []
    patterns = {"T": r"T(?:is|a|[0-4](?:mi|[a-e][12]?)?)", "N": r"N[0-3](?:mi|[a-c])?", "M": r"M[01][a-d]?"}
    for table in compiled.data.tables:
        for code in table.applies_to:
            if organ_of(code) is None:
                problems.append(f"staging.yaml: table {table.name}: unknown OncoTree code {code}")
        for row in table.rows:
            for axis in ("t", "n", "m"):
                for entry in getattr(row, axis):
                    if entry != "any" and not re.fullmatch(patterns[axis.upper()], entry):
                        problems.append(
                            f"staging.yaml: table {table.name}: bad {axis.upper()} category {entry}"
                        )
            for group in (row.group, row.ajcc7 or row.group):
                if not _STAGE.fullmatch(f"stage {group}"):
                    problems.append(f"staging.yaml: table {table.name}: bad group {group}")
        problems.extend(
            f"staging.yaml: table {table.name}: bad N category {entry} in m0_when_silent_n"
            for entry in table.m0_when_silent_n
            if entry != "any" and not re.fullmatch(patterns["N"], entry)
        )
    for rule in [
        *compiled.data.node_count_bands,
        *compiled.data.t_from_size,
        *compiled.data.t_from_extent,
        *compiled.data.t_from_focality,
        *compiled.data.t_from_confinement,
        *compiled.data.t_from_stage,
        *compiled.data.distant_sites,
        *compiled.data.t_refinements,
    ]:
        problems.extend(
            f"staging.yaml: {rule.name}: unknown OncoTree code {code}"
            for code in rule.applies_to
            if organ_of(code) is None
        )
    for band in [b for r in compiled.data.node_count_bands for b in r.bands]:
        if not re.fullmatch(patterns["N"], band.n):
            problems.append(f"staging.yaml: node band: bad N category {band.n}")
    for rule in compiled.data.t_from_size:
        if rule.extension is not None and not set(rule.extension.editions) <= {7, 8}:
            problems.append(f"staging.yaml: {rule.name}: unknown AJCC edition in {rule.extension.editions}")
        for band in rule.bands:
            depths = [d.max_mm for d in band.by_depth or []]
            if depths != sorted(depths):
                problems.append(f"staging.yaml: {rule.name}: depth bands not in increasing order")
        if [b.max_cm for b in rule.bands] != sorted(b.max_cm for b in rule.bands):
            problems.append(f"staging.yaml: {rule.name}: size bands not in increasing order")
    t_values = [
        *(b.t for r in compiled.data.t_from_size for b in r.bands if b.t is not None),
        *(d.t for r in compiled.data.t_from_size for b in r.bands for d in b.by_depth or []),
        *(r.extension.t for r in compiled.data.t_from_size if r.extension is not None),
        *(v.t for r in compiled.data.t_from_extent for v in r.levels),
        *(o.t for r in compiled.data.t_from_focality for o in r.outcomes if o.t is not None),
        *(
            t
            for r in compiled.data.t_from_focality
            for o in r.outcomes
            for t in chain(*(o.t_by_edition or {}).values())
        ),
        *(t for r in compiled.data.t_from_confinement for t in (r.without_vessels, r.with_vessels)),
        *(t for r in compiled.data.t_from_stage for t in r.stages.values()),
    ]
    problems.extend(
        f"staging.yaml: bad T category {t}" for t in t_values if not re.fullmatch(patterns["T"], t)
    )
    problems.extend(
        f"staging.yaml: {rule.name}: bad stage {stage}"
        for rule in compiled.data.t_from_stage
        for stage in rule.stages
        if not _STAGE.fullmatch(f"stage {stage}")
    )
    for refinement in compiled.data.t_refinements:
        if not (
            re.fullmatch(patterns["T"], refinement.t)
            and re.fullmatch(patterns["T"], refinement.refined)
            and refinement.refined.startswith(refinement.t)
            and refinement.refined != refinement.t
        ):
            problems.append(
                f"staging.yaml: t_refinements {refinement.name}: bad refinement {refinement.refined}"
            )
        if not set(refinement.editions or []) <= {7, 8}:
            problems.append(f"staging.yaml: t_refinements {refinement.name}: unknown AJCC edition")
    problems.extend(
        f"staging.yaml: distant_metastasis_patterns: {pattern!r} needs a (?P<site>SITE) group"
        for pattern in compiled.data.distant_metastasis_patterns
        if "(?P<site>SITE)" not in pattern
    )
    return problems
