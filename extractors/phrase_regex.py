"""One regex for many lexicon phrases, factored by their common prefixes.

A plain alternation of thousands of phrases makes the regex engine try each one at every position; a
character trie tries each distinct prefix once, which keeps a page's scan cheap however large the
lexicon grows. A longer phrase is tried before its own prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def phrase_trie(phrases: Iterable[str], split: str, joiner: str) -> str:
    """The phrases as one regex; runs that match `split` between words are written as `joiner`."""
    root: dict = {}
    for phrase in phrases:
        node = root
        for token in re.split(f"({split})", phrase.strip()):
            pieces = [joiner] if re.fullmatch(split, token) else [re.escape(ch) for ch in token]
            for piece in pieces:
                node = node.setdefault(piece, {})
        node[""] = {}

    def build(node: dict) -> str:
        alternatives = [piece + build(child) for piece, child in node.items() if piece]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)
