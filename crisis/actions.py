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

from conversations import realtime
from conversations.actions import announce, record
from conversations.models import ActorKind, Conversation, ConversationStatus, EventKind, Message
from crisis import selectors
from crisis.errors import CrisisError
from crisis.events import CrisisFound
from crisis.matching import Match, find


def match(text: str) -> Match | None:
    return find(text, selectors.phrases())


def _locked(conversation_id: int) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("assigned_to")
        .get(pk=conversation_id)
    )


def _flag(
    conversation: Conversation, found: Match, *, source: str, seq: int | None, now: datetime
) -> None:
    """With the conversation row locked: the timeline row, the flag (the first
    phrase found stays shown until cleared) and, after the commit, the change, the
    new queue order and the match to the conversation's sockets."""
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
    realtime.publish(CrisisFound(conversation=conversation.pk, **event.payload))


@transaction.atomic
def check_intake(*, conversation_id: int, now: datetime | None = None) -> bool:
    """The matter a resident gave at the intake: flag the new conversation when it
    holds a phrase (it then waits at the front of its queue)."""
    conversation = _locked(conversation_id)
    found = match(conversation.matter)
    if found is None or conversation.status == ConversationStatus.CLOSED:
        return False
    _flag(conversation, found, source="intake", seq=None, now=now or timezone.now())
    return True


@transaction.atomic
def check_message(*, conversation_id: int, client_id: str, now: datetime | None = None) -> bool:
    """A resident's stored message (found by its client id; the text as stored,
    identity codes masked): flag the conversation when it holds a phrase. A resend
    of the same message flags nothing more."""
    conversation = _locked(conversation_id)
    message = (
        Message.objects.filter(conversation=conversation, client_id=client_id)
        .only("seq", "body", "author_kind")
        .first()
    )
    if (
        message is None
        or message.author_kind != ActorKind.RESIDENT
        or conversation.status == ConversationStatus.CLOSED
    ):
        return False
    found = match(message.body)
    if found is None or selectors.already_flagged(conversation_id=conversation_id, seq=message.seq):
        return False
    _flag(conversation, found, source="message", seq=message.seq, now=now or timezone.now())
    return True


@transaction.atomic
def clear(
    *, conversation_id: int, professional: AbstractUser, now: datetime | None = None
) -> Conversation:
    """A professional who may see the conversation clears the flag (a false
    positive, or handled): it takes its ordinary place in the queue again."""
    conversation = _locked(conversation_id)
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
