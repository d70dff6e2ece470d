"""Abbreviations a document defines for lexicon terms, found with scispaCy's AbbreviationDetector.

"endometrial carcinoma (EC)" defines EC; the field extractors then read the later uses of EC in the
same document as the long form (`PageText.abbreviations`), citing the short form's own characters.

The detector (Schwartz & Hearst) runs on the shared blank pipeline and tokenizer of
`extractors.nlp.assertion`, but only over windows around parentheses that can hold a definition: a
bracketed abbreviation-like word ("(EC)") or one right before a bracket ("MMMT (malignant mixed
...)"), reaching back as many words as the detector looks back tokens. Measured on the dev set:
~1.7 ms per report for whole pages, ~0.2 ms for the windows; most reports define nothing.

On OCR'd reports the raw output is noisy ("QUADRANT" for "QUADRANT. LESION", "yes/no" for "yes/no)
: no. Axillary"), so a definition is kept only where the short form looks like an abbreviation and
the long form is a term of the project's lexicons (the caller's `is_term`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from extractors.base import PageText, ShortForm
from extractors.nlp.assertion import make_doc, pipeline  # the one blank pipeline and tokenizer

if TYPE_CHECKING:
    from scispacy.abbreviation import AbbreviationDetector

_PIPE = "abbreviation_detector"
_LOOK_BACK = 250  # characters before a bracket searched for the words the detector looks back at
_WORD = re.compile(r"\S+")
_INSIDE = re.compile(r"\(\s*([^\s()]{2,10})\s*\)")  # "endometrial carcinoma (EC)"
_BEFORE = re.compile(r"(?<![\w-])([^\s()]{2,10})\s*\Z")  # "MMMT (malignant mixed mullerian tumor)"
_TRIM = ".,;: "  # OCR joins lines with ". ": "non-small cell lung cancer." ends with one


@dataclass(frozen=True, slots=True)
class Definition:
    """A short form defined on a page, with its long form; spans are offsets in the page text."""

    page: int
    short_form: str
    long_form: str
    short_span: tuple[int, int]
    long_span: tuple[int, int]

    @property
    def end(self) -> int:
        """Where the definition ends on its page: the uses of the short form after it count."""
        return max(self.short_span[1], self.long_span[1])


@cache
def _detector() -> AbbreviationDetector:
    # Imported and added on first use; assertion.py's `pipeline` already silences PyRuSH's loguru
    # output and scispaCy's tokenizer warning. The detector is called directly on `make_doc` output,
    # so ConText (which never runs `nlp(...)`) is unaffected by the added pipe.
    import scispacy.abbreviation  # noqa: F401  (registers the "abbreviation_detector" factory)

    nlp, _ = pipeline()
    if _PIPE not in nlp.pipe_names:
        nlp.add_pipe(_PIPE)
    return nlp.get_pipe(_PIPE)


def _shaped_like_abbreviation(word: str) -> bool:
    """2-10 characters from a letter or digit on, mostly capitals or digits, with a capital: "PgR", "5-FU"."""
    alnum = [c for c in word if c.isalnum()]
    return (
        2 <= len(word) <= 10
        and word[0].isalnum()
        and any(c.isupper() for c in alnum)
        and sum(c.isupper() or c.isdigit() for c in alnum) * 2 >= len(alnum)
    )


def looks_like_abbreviation(short_form: str, long_form: str) -> bool:
    """Shaped like an abbreviation and not an ordinary word.

    Not a word of its own long form ("TUMOR" for "TUMOR AT 2.0 CM") and not a common English word,
    which capitals alone cannot tell apart in OCR'd upper-case reports ("OR" would turn every "POSITIVE
    OR NEGATIVE" into a receptor).
    """
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {w.lower() for w in re.findall(r"[\w-]+", long_form)}
    folded = short_form.lower()
    return (
        _shaped_like_abbreviation(short_form)
        and folded not in words
        and folded not in STOP_WORDS
        and len(short_form) < len(long_form)
    )


def _windows(text: str) -> list[tuple[int, int]]:
    """Merged character windows around the brackets that may define an abbreviation."""
    windows: list[tuple[int, int]] = []
    open_at = text.find("(")
    while open_at >= 0:
        close = text.find(")", open_at)
        if close < 0:
            break
        starts = []
        inside = _INSIDE.match(text, open_at)
        if inside and _shaped_like_abbreviation(short := inside.group(1)):
            # The detector looks back this many tokens, and a token is never longer than a word.
            starts.append(_words_back(text, open_at, min(len(short) + 5, 2 * len(short))))
        before = _BEFORE.search(text, max(0, open_at - 12), open_at)
        if before and _shaped_like_abbreviation(before.group(1)):
            starts.append(before.start(1))
        if starts:
            start, end = min(starts), close + 1
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
            else:
                windows.append((start, end))
        open_at = text.find("(", open_at + 1)
    return windows


def _words_back(text: str, end: int, count: int) -> int:
    """Where the `count` whitespace-separated words before `end` begin."""
    low = max(0, end - _LOOK_BACK)
    words = [m.start() for m in _WORD.finditer(text, low, end)]
    return words[-count] if len(words) >= count else low


def definitions(page: PageText, is_term: Callable[[str], bool]) -> list[Definition]:
    """The abbreviations the page defines for lexicon terms, in page order, each short form once."""
    windows = _windows(page.text)
    if not windows:
        return []
    detector = _detector()
    found: dict[str, Definition] = {}
    for w_start, w_end in windows:
        with warnings.catch_warnings():
            # W036: its matcher of earlier definitions is empty when a window defines nothing.
            warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)
            doc = detector(make_doc(page.text[w_start:w_end]))
        for short in doc._.abbreviations:
            long = short._.long_form
            # The definition's own short form stands right after "long (" or right before "(long":
            # the detector also lists the window's later uses of it.
            if not (long.start - 2 <= short.start <= long.end + 1):
                continue
            long_text = long.text.rstrip(_TRIM)
            if not looks_like_abbreviation(short.text, long_text) or not is_term(long_text):
                continue
            long_start = w_start + long.start_char
            definition = Definition(
                page=page.number,
                short_form=short.text,
                long_form=long_text,
                short_span=(w_start + short.start_char, w_start + short.end_char),
                long_span=(long_start, long_start + len(long_text)),
            )
            found.setdefault(definition.short_form, definition)
    return sorted(found.values(), key=lambda d: d.short_span[0])


def with_abbreviations(pages: Sequence[PageText], is_term: Callable[[str], bool]) -> list[PageText]:
    """The pages of one document, each told the short forms defined before it or on it.

    A short form counts from its definition on: on the defining page after the definition, on the
    later pages throughout; a later definition of the same short form takes over from there.
    """
    defined: dict[str, ShortForm] = {}
    result = []
    for page in pages:
        own = definitions(page, is_term)
        current = {**defined, **{d.short_form: ShortForm(d.long_form, d.end) for d in own}}
        result.append(replace(page, abbreviations=current) if current else page)
        defined.update({d.short_form: ShortForm(d.long_form) for d in own})
    return result
