"""`oncoguide ask`: a general question in, the knowledge base's best passage with its sources out.

Retrieval, never generation: the answer is one of the passages of `kb/passages/*.yaml`, written and
cited in advance, found by BM25 over each passage's title, sample questions, keywords and text. The
question is declined, plainly, when it asks about one person's doses, choices or outlook (that is
for their care team), or when no passage fits well enough: the best score must reach `min_score`
and the passage must hold `min_coverage` of the question's word weight (IDF), so a question that is
mostly about something else ("what is the weather") finds nothing even if one word matches.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from knowledge.rules import KB_DIR, AskConfig, KBError, KnowledgeBase, Passage, SourceEntry, load_kb

_K1, _B = 1.5, 0.75
# Title, questions and keywords say what a passage is about: they count more than its body text.
_HEAD_WEIGHT = 2
_WORD = re.compile(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*")
_SEPARATORS = re.compile(r"[-/.]")
_TNM = re.compile(r"^(?:yp|yc|p|c|r)([tnm](?:\d|x|is)[a-d]?\d?)$")  # pT2a, ypN1 -> t2a, n1

Outcome = Literal["answered", "personal", "no_match"]


def _stem(word: str) -> str:
    """A light suffix stripper: stage, stages, staged, staging -> stag. Enough for short passages."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            if suffix in ("ing", "ed") and word[-1] == word[-2] and word[-1] not in "aeiousz":
                word = word[:-1]  # controlled -> control, stopped -> stop
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    return word.removesuffix("e") if len(word) > 3 else word


def tokens(text: str, config: AskConfig) -> list[str]:
    """The searchable words of a text: lower case, synonyms mapped, stopwords out, stemmed.

    A joined word is kept whole and in parts: "PD-L1" gives pdl1, pd and l1; "HER2-low" gives
    her2low, her2 and low.
    """
    stop = set(config.stopwords)
    out: list[str] = []
    for raw in _WORD.findall(text.lower().replace("’", "'")):
        parts = [p for p in _SEPARATORS.split(raw) if p]
        words = ["".join(parts), *parts] if len(parts) > 1 else parts
        for word in words:
            word = _TNM.sub(r"\1", config.synonyms.get(word, word))
            if word not in stop:
                out.append(_stem(word))
    return out


@dataclass(frozen=True)
class _Index:
    passages: tuple[Passage, ...]
    documents: tuple[Counter[str], ...]
    lengths: tuple[int, ...]
    document_frequency: Counter[str]
    heads: tuple[tuple[frozenset[str], ...], ...]  # the word sets of each passage's title and questions

    @property
    def average_length(self) -> float:
        return sum(self.lengths) / len(self.lengths)

    def idf(self, term: str) -> float:
        n, df = len(self.passages), self.document_frequency[term]
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def score(self, query: list[str], number: int) -> float:
        counts, length = self.documents[number], self.lengths[number]
        total = 0.0
        for term in set(query):
            tf = counts[term]
            if tf:
                norm = _K1 * (1 - _B + _B * length / self.average_length)
                total += self.idf(term) * tf * (_K1 + 1) / (tf + norm)
        return total

    def head_overlap(self, query: list[str], number: int) -> float:
        """How closely the question's words match the passage's title or a sample question (Jaccard)."""
        words = set(query)
        return max(
            (len(words & head) / len(words | head) for head in self.heads[number] if head), default=0.0
        )

    def coverage(self, query: list[str], number: int) -> float:
        terms = set(query)
        weight = sum(self.idf(term) for term in terms)
        found = sum(self.idf(term) for term in terms if self.documents[number][term])
        return found / weight if weight else 0.0


def _passage_words(passage: Passage, config: AskConfig) -> list[str]:
    head = " ".join([passage.title, *passage.questions, *passage.keywords])
    return tokens(head, config) * _HEAD_WEIGHT + tokens(passage.text, config)


@cache
def _index(kb_dir: Path) -> tuple[KnowledgeBase, AskConfig, _Index]:
    kb = load_kb(kb_dir)
    if kb.ask is None or not kb.passages:
        raise KBError(f"{kb_dir}: no ask.yaml or no passages")
    documents = tuple(Counter(_passage_words(p, kb.ask)) for p in kb.passages)
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    heads = tuple(
        tuple(frozenset(tokens(head, kb.ask)) for head in [p.title, *p.questions]) for p in kb.passages
    )
    index = _Index(kb.passages, documents, tuple(sum(d.values()) for d in documents), frequency, heads)
    return kb, kb.ask, index


@dataclass(frozen=True)
class Answer:
    question: str
    outcome: Outcome
    text: str  # the passage's text, or the reason there is no answer
    passage: Passage | None = None
    sources: tuple[SourceEntry, ...] = ()
    score: float = 0.0
    coverage: float = 0.0
    footer: str = ""

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "outcome": self.outcome,
            "passage_id": self.passage.id if self.passage else None,
            "title": self.passage.title if self.passage else None,
            "text": self.text,
            "sources": [
                {"id": s.id, "title": s.title, "publisher": s.publisher, "url": s.url} for s in self.sources
            ],
            "score": round(self.score, 3),
            "coverage": round(self.coverage, 3),
            "footer": self.footer,
        }


def rank(question: str, kb_dir: Path = KB_DIR) -> list[tuple[str, float, float]]:
    """(passage id, score, coverage) of every passage with a score, best first: for tuning and tests."""
    _, config, index = _index(kb_dir)
    query = tokens(question, config)
    scored = [(p.id, index.score(query, n), index.coverage(query, n)) for n, p in enumerate(index.passages)]
    return sorted((s for s in scored if s[1] > 0), key=lambda s: (-s[1], s[0]))


def answer(question: str, kb_dir: Path = KB_DIR) -> Answer:
    """The best passage for a general question, or a plain reason why there is none."""
    kb, config, index = _index(kb_dir)
    if any(re.search(pattern, question, re.IGNORECASE) for pattern in config.personal):
        return Answer(question, "personal", config.personal_answer, footer=config.footer)
    query = tokens(question, config)
    if not query:
        return Answer(question, "no_match", config.no_answer, footer=config.footer)
    # A question worded (nearly) like a passage's title or sample question is that passage's, even
    # when its words are too common to score ("What is cancer?"). Otherwise the best score wins; ties
    # go to the smaller id, so the same question always gets the same passage.
    overlap = [index.head_overlap(query, n) for n in range(len(index.passages))]
    close = [n for n, o in enumerate(overlap) if o >= config.min_head_overlap]
    candidates = close or range(len(index.passages))
    number = min(
        candidates, key=lambda n: (-overlap[n] if close else 0, -index.score(query, n), index.passages[n].id)
    )
    score, coverage = index.score(query, number), index.coverage(query, number)
    if not close and (score < config.min_score or coverage < config.min_coverage):
        return Answer(
            question, "no_match", config.no_answer, score=score, coverage=coverage, footer=config.footer
        )
    passage = index.passages[number]
    return Answer(
        question,
        "answered",
        " ".join(passage.text.split()),
        passage=passage,
        sources=tuple(kb.sources[s] for s in passage.sources if s in kb.sources),
        score=score,
        coverage=coverage,
        footer=config.footer,
    )


def render_answer(result: Answer) -> str:
    """The answer as the terminal shows it: title, text, numbered sources, footer."""
    lines = []
    if result.passage is not None:
        lines += [result.passage.title, "", result.text, "", "Sources:"]
        lines += [f"  [{n}] {s.title} ({s.publisher}) {s.url}" for n, s in enumerate(result.sources, 1)]
    else:
        lines.append(result.text)
    return "\n".join([*lines, "", result.footer])
