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

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Case folded, without diacritics, one character in for one character out
    (so positions in the folded text are positions in the original)."""
    if text.isascii():  # every resident message passes here: the common case in C
        return text.lower()
    return "".join(map(_fold_char, text))


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char.casefold())
    letters = "".join(c for c in base if not unicodedata.combining(c))
    return letters[:1] if len(letters) >= 1 else " "


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


class Index:
    """Phrases by their first word, so that a text is looked at once, not once
    per phrase: exact first words in a dict, prefix first words checked
    together with one `str.startswith`. Each phrase keeps its place in the
    given order, which decides between phrases over the same words."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.exact: dict[str, list[tuple[int, Phrase]]] = {}
        self.by_prefix: list[tuple[str, int, Phrase]] = []
        for order, phrase in enumerate(phrases):
            first, prefix = phrase.words[0]
            if prefix:
                self.by_prefix.append((first, order, phrase))
            else:
                self.exact.setdefault(first, []).append((order, phrase))
        self.prefixes = tuple(first for first, _, _ in self.by_prefix)

    def starting_with(self, word: str) -> list[tuple[int, Phrase]]:
        found = self.exact.get(word, [])
        if self.prefixes and word.startswith(self.prefixes):
            found = found + [(o, p) for first, o, p in self.by_prefix if word.startswith(first)]
        return found


# The index of the phrase tuple last asked about (the selectors hand out one
# tuple for as long as they cache it), kept with it so that its id stays its own.
_last: tuple[tuple[Phrase, ...], Index] | None = None


def _index(phrases: Iterable[Phrase]) -> Index:
    global _last
    if not isinstance(phrases, tuple):  # a list may change: indexed afresh
        return Index(phrases)
    last = _last
    if last is not None and last[0] is phrases:
        return last[1]
    index = Index(phrases)
    _last = (phrases, index)
    return index


def find(text: str, phrases: Iterable[Phrase]) -> Match | None:
    """The phrase found earliest in `text` (the longest of those starting there;
    of equally long ones, the first in `phrases`), with where it is."""
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(fold(text))]
    index = _index(phrases)
    for at, (word, start, _end) in enumerate(tokens):
        best: tuple[int, int, Phrase] | None = None  # (-end, order, phrase): the smallest wins
        for order, phrase in index.starting_with(word):
            size = len(phrase.words)
            if at + size > len(tokens):
                continue
            if all(phrase.fits(tokens[at + i][0], i) for i in range(1, size)):
                key = (-tokens[at + size - 1][2], order, phrase)
                if best is None or key[:2] < best[:2]:
                    best = key
        if best is not None:
            return Match(phrase=best[2].text, start=start, end=-best[0])
    return None
