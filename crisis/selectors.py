"""Reads for crisis matching: the phrases (cached briefly: they are read for every
resident message) and the lines the banner shows."""

from __future__ import annotations

import time

from conversations.models import ConversationEvent, EventKind
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


def cached_phrases() -> tuple[Phrase, ...] | None:
    """The phrases if this process read them recently, else None (then read them
    with `phrases()` in the database thread): lets a socket look without a query."""
    if _cache is None or time.monotonic() - _cache[0] > PHRASES_TTL_SECONDS:
        return None
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


def already_flagged(*, conversation_id: int, seq: int) -> bool:
    return ConversationEvent.objects.filter(
        conversation_id=conversation_id, kind=EventKind.CRISIS_MATCHED, payload__seq=seq
    ).exists()


def matches(*, conversation_id: int) -> list[dict]:
    """Where phrases were found in this conversation, for the professional's pane
    to highlight: the source (`intake`: the matter, `message`: the message `seq`),
    the phrase and the span in that text. Only since the flag was last cleared."""
    cleared = (
        ConversationEvent.objects.filter(
            conversation_id=conversation_id, kind=EventKind.CRISIS_CLEARED
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    found = ConversationEvent.objects.filter(
        conversation_id=conversation_id, kind=EventKind.CRISIS_MATCHED
    )
    if cleared is not None:
        found = found.filter(id__gt=cleared)
    return [
        {key: event.payload.get(key) for key in ("source", "seq", "phrase", "start", "end")}
        for event in found.order_by("id")
    ]
