"""Is a record in English? A cheap check on the share of common function words.

Reports are dense with nouns, numbers and OCR noise, so English function words make up only a modest
share of their words; a text in another language is refused only when that language's function
words clearly outnumber the English ones. The word lists are data (data/function_words.yaml).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from itertools import islice
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

_DATA = Path(__file__).with_name("data") / "function_words.yaml"
# Hyphenated words stay whole, so that "para-aortic" is not read as the Spanish "para".
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_MAX_WORDS = 5_000  # plenty to tell a language; keeps a 500-page document cheap


class FunctionWords(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    reference: str
    min_words: int = Field(ge=20)
    min_share: float = Field(gt=0, lt=1)
    dominance: float = Field(gt=1)
    languages: dict[str, list[str]]


@cache
def _model() -> FunctionWords:
    return FunctionWords.model_validate(yaml.safe_load(_DATA.read_text(encoding="utf-8")))


@cache
def _word_sets() -> dict[str, frozenset[str]]:
    return {name: frozenset(words) for name, words in _model().languages.items()}


def foreign_language(text: str) -> str | None:
    """The language a text is clearly written in when that is not English; None otherwise."""
    model = _model()
    words = [match.group().lower() for match in islice(_TOKEN.finditer(text), _MAX_WORDS)]
    if len(words) < model.min_words:
        return None
    counts = Counter(words)  # each distinct word looked up once, not each word once per language
    shares = {
        name: sum(counts[word] for word in vocab & counts.keys()) / len(words)
        for name, vocab in _word_sets().items()
    }
    reference = shares.pop(model.reference)
    language, share = max(shares.items(), key=lambda item: item[1])
    clearly = share >= model.min_share and share >= model.dominance * reference
    return language if clearly else None


def lint() -> list[str]:
    """Problems in the function-word lists (empty = fine)."""
    try:
        model = _model()
    except (OSError, yaml.YAMLError, ValueError) as error:
        return [f"{_DATA.name}: " + "; ".join(str(error).splitlines()[:3])]
    problems = []
    if model.reference not in model.languages:
        problems.append(f"{_DATA.name}: reference language {model.reference!r} has no word list")
    if len(model.languages) < 2:
        problems.append(f"{_DATA.name}: needs the reference language and at least one other")
    reference = set(model.languages.get(model.reference, []))
    for name, words in model.languages.items():
        if len(set(words)) != len(words):
            problems.append(f"{_DATA.name}: {name} lists a word twice")
        for word in words:
            if word != word.lower() or not _TOKEN.fullmatch(word):
                problems.append(f"{_DATA.name}: {name} word {word!r} is not one lower-case word")
        if name != model.reference and (shared := sorted(reference & set(words))):
            problems.append(f"{_DATA.name}: {name} shares words with {model.reference}: {', '.join(shared)}")
    return problems
