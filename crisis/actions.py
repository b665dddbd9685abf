"""Flagging and clearing a conversation's crisis match.

No diagnosis and no automatic reply: a match shows the resident the banner with
112 and the crisis lines, moves a waiting conversation to the front of its queue
and shows professionals the flag and the matched words. Every match is a timeline
row (the phrase and where in the text, never the text itself); a professional
clears a false positive.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from conversations.actions import announce, record
from conversations.models import ActorKind, Conversation, ConversationStatus, EventKind
from crisis import selectors
from crisis.errors import CrisisError
from crisis.matching import Match, find


def match(text: str) -> Match | None:
    return find(text, selectors.phrases())


def flag(
    conversation: Conversation, found: Match, *, source: str, seq: int | None, now: datetime
) -> None:
    """Inside the caller's transaction, with the conversation row locked: the
    timeline row, the flag (the first phrase found stays shown until cleared) and,
    after the commit, the change and the new queue order."""
    event = record(
        conversation,
        EventKind.CRISIS_MATCHED,
        actor_kind=ActorKind.SYSTEM,
        payload={
            "source": source,
            "seq": seq,
            "phrase": found.phrase,
            "start": found.start,
            "end": found.end,
        },
    )
    if conversation.crisis_at is None:
        conversation.crisis_at = now
        conversation.crisis_phrase = found.phrase
        conversation.save(update_fields=["crisis_at", "crisis_phrase"])
    announce(conversation, event)


def check_message(
    *, conversation_id: int, seq: int, body: str, now: datetime | None = None
) -> bool:
    """A resident's stored message: flag the conversation when it holds a phrase."""
    found = match(body)
    if found is None:
        return False
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assigned_to")
            .get(pk=conversation_id)
        )
        if conversation.status == ConversationStatus.CLOSED:
            return False
        flag(conversation, found, source="message", seq=seq, now=now or timezone.now())
    return True


@transaction.atomic
def clear(
    *, conversation_id: int, professional: AbstractUser, now: datetime | None = None
) -> Conversation:
    """A professional who may see the conversation clears the flag (a false
    positive, or handled): it takes its ordinary place in the queue again."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("assigned_to")
        .get(pk=conversation_id)
    )
    if conversation.crisis_at is None:
        raise CrisisError("not_flagged")
    conversation.crisis_at = None
    conversation.crisis_phrase = ""
    conversation.save(update_fields=["crisis_at", "crisis_phrase"])
    event = record(
        conversation, EventKind.CRISIS_CLEARED, actor_kind=ActorKind.STAFF, actor=professional
    )
    announce(conversation, event)
    return conversation
