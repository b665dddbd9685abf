"""Finding a crisis phrase in a resident's text.

A phrase is a sequence of words; a word ending in `*` matches any word that
starts with it (Finnish and Swedish inflect: `itsemurh*` finds "itsemurhaa",
"itsemurhasta"), any other word matches only itself. Text and phrases are
compared normalised: case folded, diacritics and punctuation ignored ("MÅR",
"mar" and "mår" are one word; "don't" is "don t"), so spelling without å, ä
and ö on a foreign keyboard still matches. The words of a phrase must follow
each other in the text. Pure functions: no database, no settings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Case folded, without diacritics, one character in for one character out
    (so positions in the folded text are positions in the original)."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char.casefold())
        letters = "".join(c for c in base if not unicodedata.combining(c))
        out.append(letters[:1] if len(letters) >= 1 else " ")
    return "".join(out)


@dataclass(frozen=True)
class Phrase:
    text: str  # as the administrator wrote it
    words: tuple[tuple[str, bool], ...]  # (folded word, is a prefix)

    @classmethod
    def parse(cls, text: str) -> Phrase | None:
        """None when the phrase has no word to match (empty or punctuation only)."""
        words = []
        for raw in fold(text).split():
            prefix = raw.endswith("*")
            parts = _WORD.findall(raw)
            for i, part in enumerate(parts):
                words.append((part, prefix and i == len(parts) - 1))
        return cls(text=text.strip(), words=tuple(words)) if words else None

    def fits(self, word: str, index: int) -> bool:
        wanted, prefix = self.words[index]
        return word.startswith(wanted) if prefix else word == wanted


@dataclass(frozen=True)
class Match:
    phrase: str
    start: int  # the matched words' span in the original text
    end: int


def find(text: str, phrases: Iterable[Phrase]) -> Match | None:
    """The phrase found earliest in `text` (the longest of those starting there),
    with where it is."""
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(fold(text))]
    best: Match | None = None
    for phrase in phrases:
        size = len(phrase.words)
        for at in range(len(tokens) - size + 1):
            if all(phrase.fits(tokens[at + i][0], i) for i in range(size)):
                found = Match(phrase=phrase.text, start=tokens[at][1], end=tokens[at + size - 1][2])
                if best is None or (found.start, -found.end) < (best.start, -best.end):
                    best = found
                break
    return best
