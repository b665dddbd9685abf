"""The idle sweep: an active conversation in which nobody has written for
CONVERSATION_IDLE_FLAG_MINUTES is flagged to its professional, once per idle
stretch. (Abandonment of waiting conversations is conversations.sweeps.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from conversations.actions.lifecycle import flag_idle
from conversations.models import Conversation, ConversationStatus, Message
from conversations.sweeps import each


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
