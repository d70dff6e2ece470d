"""Assertion status of the character spans that field extractors propose, with medspaCy's ConText.

Only the sentence around each span is tokenized (a whole 3,500-character page costs ~2.6 ms with
scispaCy's tokenizer): a regex finds sentence ends, the windows of one page are joined into one small
Doc whose sentence starts are set by hand, and ConText runs once over it with the rules of
`data/context_rules.yaml` (medspaCy's discharge-summary defaults are not loaded).

The regex is the sentence splitter rather than spaCy's `sentencizer` because TCGA's OCR'd reports put
a period at every old line break ("SHOWS NO EVIDENCE OF. EXTRACAPSULAR EXTENSION"): a period after a
function word does not end a sentence here.

Precedence when several statuses apply: FAMILY > NEGATED > HYPOTHETICAL > POSSIBLE > HISTORICAL >
PRESENT. "No family history of colon cancer" is about relatives (FAMILY), "no residual carcinoma
pending review" is a negation, "if the rebiopsy is suspicious for carcinoma" is a question
(HYPOTHETICAL), "suspicious for recurrence of her prior cancer" is uncertain now (POSSIBLE).

Sections: a span inside a family-history section is FAMILY. History sections do not make a span
HISTORICAL ("CLINICAL HISTORY: lung mass" is why the biopsy was taken, and "ONCOLOGIC HISTORY:
stage IIIA adenocarcinoma of the lung" is the patient's current cancer): only explicit cues do.
"""

from __future__ import annotations

import bisect
import gc
import re
import warnings
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from extractors.nlp.rules import context_rules
from extractors.nlp.sections import section_at, sections
from oncoguide.domain import Assertion

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# In order of precedence.
_STATUS = {
    "FAMILY": Assertion.FAMILY,
    "NEGATED_EXISTENCE": Assertion.NEGATED,
    "HYPOTHETICAL": Assertion.HYPOTHETICAL,
    "POSSIBLE_EXISTENCE": Assertion.POSSIBLE,
    "HISTORICAL": Assertion.HISTORICAL,
}

_FAMILY_SECTION = "family_history"
_MAX_REACH = 250  # characters of context on each side of a span, whatever the sentence length
_GROUP = "oncoguide_targets"
_WINDOW_SEPARATOR = "\n\n"
# Chunks of text tokenized on their own, so in the tokenizer's cache (see `make_doc`); past the limit
# the cache starts afresh, which bounds its memory.
_PRIMED: set[str] = set()
_PRIMED_LIMIT = 50_000

# Where a sentence may end; a period after a word of `sentence_continues_after` (data) does not.
_SENTENCE_END = re.compile(
    r"[.!?;](?=\s)"  # punctuation then space
    r"|\n[ \t]*\n"  # blank line
    r"|\n(?=[ \t]*(?:[-•*]\s|\d{1,2}[.)]\s|[A-Z][A-Za-z0-9 /&()-]{1,50}:))"  # new line: bullet or label
    r"|(?<=[a-z0-9%)]\s)(?=[A-Z][A-Z0-9/&()-]+(?: [A-Z0-9/&()-]+){0,5}:)"  # "... 2.2 cm TUMOR SITE:"
)
_LAST_WORD = re.compile(r"([A-Za-z.]+)\.$")


@cache
def pipeline() -> tuple[Language, Any]:
    """The blank English pipeline with scispaCy's tokenizer and the ConText component, loaded once.

    medspaCy takes ~2 s to import: it loads on first use, not whenever the package is imported.
    """
    import spacy
    from loguru import logger
    from medspacy.context import ConText, ConTextRule
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    logger.disable("PyRuSH")  # imported by medspaCy; logs every token at DEBUG otherwise
    nlp = spacy.blank("en")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # a regex warning inside scispaCy's tokenizer
        nlp.tokenizer = combined_rule_tokenizer(nlp)
    context = ConText(nlp, rules=None, span_attrs=None, input_span_type="group", span_group_name=_GROUP)
    context.add(
        [
            ConTextRule(
                rule.literal,
                rule.category,
                pattern=rule.pattern,
                direction=rule.direction,
                max_scope=rule.max_scope,
                terminated_by=set(rule.terminated_by),
            )
            for rule in context_rules().rules
        ]
    )
    # The pipeline, its rules and the libraries just imported live as long as the process. Each full
    # collection of the cyclic GC would re-scan them all (~240k objects, ~0.15 s), and the words and
    # findings of a few pages trigger one: freezing them out of the GC saves ~20% of the pipeline's time.
    # Frozen objects are still freed by reference counting; collecting first leaves no garbage frozen.
    gc.collect()
    gc.freeze()
    return nlp, context


def make_doc(text: str) -> Doc:
    """`text` tokenized by the shared pipeline, whose tokenizer first caches the chunks new to it.

    spaCy caches how each whitespace-separated chunk splits into tokens, but a call stops adding to the
    cache at its first special case, and a line break on its own is one of scispaCy's: pages left the
    cache nearly empty, and every chunk was split again by the prefix, suffix and infix regexes. A chunk
    tokenized on its own is cached unless it holds a special case itself, and the cache gives the very
    tokens that splitting gives.
    """
    nlp, _ = pipeline()
    new = set(text.split()).difference(_PRIMED)
    if len(_PRIMED) + len(new) > _PRIMED_LIMIT:
        nlp.tokenizer.rules = nlp.tokenizer.rules  # empties the cache; the same rules are loaded again
        _PRIMED.clear()
    for chunk in new:
        nlp.tokenizer(chunk)
    _PRIMED.update(new)
    return nlp.make_doc(text)


@cache
def _continues_after() -> frozenset[str]:
    return frozenset(word.lower() for word in context_rules().sentence_continues_after)


def _sentence_ends(text: str) -> list[int]:
    ends = [0]
    for match in _SENTENCE_END.finditer(text):
        if match.group() == ".":
            word = _LAST_WORD.search(text, max(0, match.start() - 12), match.end())
            if word is not None and word.group(1).lower() in _continues_after():
                continue
        ends.append(match.end())
    ends.append(len(text))
    return ends


def _window(ends: list[int], start: int, end: int) -> tuple[int, int]:
    left = ends[bisect.bisect_right(ends, start) - 1]
    right = ends[min(bisect.bisect_left(ends, end), len(ends) - 1)]
    return max(left, start - _MAX_REACH), min(right, end + _MAX_REACH)


def assign_assertions(text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
    """The assertion status of each character span of `text` (one page), in the order given."""
    if not spans:
        return []
    clamped = [(max(0, min(s, len(text))), max(0, min(e, len(text)))) for s, e in spans]
    statuses = _context_statuses(text, clamped)
    found = sections(text)
    result = []
    for (start, _), status in zip(clamped, statuses, strict=True):
        section = section_at(found, start)
        in_family = section is not None and section.category == _FAMILY_SECTION
        result.append(Assertion.FAMILY if in_family else status)
    return result


def _context_statuses(text: str, spans: list[tuple[int, int]]) -> list[Assertion]:
    import numpy  # deferred like spaCy itself, which `pipeline` loads on first use
    from spacy.attrs import SENT_START

    _, context = pipeline()
    ends = _sentence_ends(text)
    windows: dict[tuple[int, int], int] = {}  # page window -> offset in the joined text
    parts: list[str] = []
    offset = 0
    span_windows = [_window(ends, s, e) for s, e in spans]
    for window in span_windows:
        if window not in windows:
            windows[window] = offset
            parts.append(text[window[0] : window[1]])
            offset += window[1] - window[0] + len(_WINDOW_SEPARATOR)
    # The trailing separator lets "...: No" at the end of the last window match like the others.
    doc = make_doc(_WINDOW_SEPARATOR.join(parts) + _WINDOW_SEPARATOR)

    token_range: dict[tuple[int, int], tuple[int, int]] = {}
    for (w_start, w_end), joined in windows.items():
        span = doc.char_span(joined, joined + w_end - w_start, alignment_mode="expand")
        if span is not None:
            token_range[(w_start, w_end)] = (span.start, span.end)
    # One sentence per window, set as an array: `Token.is_sent_start` checks the whole Doc at each
    # assignment, which is quadratic in its length. 1 starts a sentence, -1 (as uint64) does not.
    sentence_starts = numpy.full(len(doc), -1, dtype=numpy.int64)
    sentence_starts[[0, *(start for start, _ in token_range.values())]] = 1
    doc.from_array([SENT_START], sentence_starts.astype(numpy.uint64).reshape(-1, 1))

    targets: dict[tuple[int, int], tuple[int, int]] = {}  # target tokens -> its window's tokens
    target_of: list[tuple[int, int] | None] = []
    self_negated: set[tuple[int, int]] = set()  # "tumor" in "tumor-free"
    for (start, end), window in zip(spans, span_windows, strict=True):
        joined = windows[window] + start - window[0]
        target = doc.char_span(joined, joined + end - start, label="TARGET", alignment_mode="expand")
        if target is None or window not in token_range:
            target_of.append(None)
            continue
        key = (target.start, target.end)
        targets.setdefault(key, token_range[window])
        target_of.append(key)
        if _negated_by_its_word(target.text, text[start:end]):
            self_negated.add(key)
    doc.spans[_GROUP] = [doc[start:end] for start, end in targets]
    context(doc)

    categories = {key: {"NEGATED_EXISTENCE"} if key in self_negated else set() for key in targets}
    for target, modifier in doc._.context_graph.edges:
        key = (target.start, target.end)
        w_start, w_end = targets[key]
        if w_start <= modifier.modifier_span[0] < w_end:  # ConText's token windows cross sentences
            categories[key].add(modifier.category)
    return [_status(categories[key]) if key is not None else Assertion.PRESENT for key in target_of]


def _negated_by_its_word(token_text: str, span_text: str) -> bool:
    """The span is the head of a word like "tumor-free" whose suffix the span leaves out."""
    token_text, span_text = token_text.lower(), span_text.lower()
    return any(
        token_text.endswith(suffix) and not span_text.endswith(suffix)
        for suffix in context_rules().negating_suffixes
    )


def _status(categories: set[str]) -> Assertion:
    return next((status for category, status in _STATUS.items() if category in categories), Assertion.PRESENT)
