"""Reads for crisis matching: the phrases (cached briefly: they are read for every
resident message) and the lines the banner shows."""

from __future__ import annotations

import time

from crisis.matching import Phrase
from crisis.models import CrisisLine, CrisisPhrase

# An administrator's change reaches every process within this many seconds.
PHRASES_TTL_SECONDS = 30.0
_cache: tuple[float, tuple[Phrase, ...]] | None = None


def phrases() -> tuple[Phrase, ...]:
    """Every active phrase of every language (a resident may write in any of them)."""
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > PHRASES_TTL_SECONDS:
        parsed = (
            Phrase.parse(p)
            for p in CrisisPhrase.objects.filter(is_active=True).values_list("phrase", flat=True)
        )
        found = tuple(p for p in parsed if p)
        _cache = (now, found)
    return _cache[1]


def forget_phrases() -> None:
    """After the administrator changed them (this process reads them anew)."""
    global _cache
    _cache = None


def lines(*, language: str) -> list[dict[str, str]]:
    """The banner's help lines under 112, in the resident's language."""
    return [
        {
            "name": line.name(language),
            "phone": line.phone,
            "tel": line.tel,
            "hours": line.hours(language),
        }
        for line in CrisisLine.objects.filter(is_active=True)
    ]
