"""The idle sweep: an active conversation in which nobody has written for
CONVERSATION_IDLE_FLAG_MINUTES is flagged to its professional, once per idle
stretch. (Abandonment of waiting conversations is conversations.sweeps.)

The transcript sweep: a transcript request that never reached the broker (it
was down when the resident asked) or whose task was lost (a broker restarted
without its data) is handed over again; a claim whose worker died while sending
is given up rather than sent again (the e-mail may have gone: never twice)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from chatservice import handover
from conversations.actions.lifecycle import flag_idle
from conversations.models import Conversation, ConversationStatus, Message
from conversations.sweeps import each

logger = logging.getLogger(__name__)

# A request created this recently is being handed over by its own request: leave it.
TRANSCRIPT_REQUEUE_GRACE_SECONDS = 30
# A request handed over this long ago and still not taken was lost by the broker
# (longer than the longest retry delay, 8 min, so a retry waiting is not doubled).
TRANSCRIPT_REQUEUE_MINUTES = 15
# A claim this old belongs to a worker that died while sending (far beyond
# EMAIL_TIMEOUT): whether the e-mail went is unknown, so it is not sent again.
TRANSCRIPT_CLAIM_STALE_MINUTES = 30


def idle_conversation_ids(*, now: datetime) -> list[int]:
    """Active conversations whose last message (or claim) is older than the
    threshold and that have not been flagged since. One query."""
    cutoff = now - timedelta(minutes=settings.CONVERSATION_IDLE_FLAG_MINUTES)
    newest = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .order_by("-seq")
        .values("created_at")[:1]
    )
    return list(
        Conversation.objects.filter(status=ConversationStatus.ACTIVE)
        .annotate(
            activity=Greatest(
                Coalesce(Subquery(newest), "claimed_at", "created_at"),
                Coalesce("claimed_at", "created_at"),
            )
        )
        .filter(activity__lte=cutoff)
        .filter(Q(idle_flagged_at__isnull=True) | Q(idle_flagged_at__lt=F("activity")))
        .order_by("id")
        .values_list("id", flat=True)
    )


def flag_idle_conversations(*, now: datetime | None = None) -> int:
    """Flag every conversation idle past the threshold; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CONVERSATION_IDLE_FLAG_MINUTES)
    return each(
        idle_conversation_ids(now=now),
        lambda pk: flag_idle(conversation_id=pk, idle_since=cutoff, now=now),
        what="flagging an idle conversation",
    )


def requeue_transcripts(*, now: datetime | None = None) -> int:
    """Hand unsent transcript requests to the broker again; returns how many.
    Stops at the first failure (the broker is still down: the next round tries
    again). Safe to run any number of times: a request queued twice is sent once."""
    from closing import actions
    from closing.models import TranscriptRequest, TranscriptState

    return handover.requeue(
        model=TranscriptRequest,
        queued=TranscriptState.QUEUED,
        sending=TranscriptState.SENDING,
        hand_over=actions.hand_over,
        give_up=lambda pk: actions.give_up_transcript(request_id=pk),
        grace_seconds=TRANSCRIPT_REQUEUE_GRACE_SECONDS,
        requeue_minutes=TRANSCRIPT_REQUEUE_MINUTES,
        stale_minutes=TRANSCRIPT_CLAIM_STALE_MINUTES,
        what="transcript requests",
        now=now,
    )
