"""Reads. Permission-checked fetches say so in their name."""

import itertools
import math
import statistics
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.events import MessageNew, NoteNew
from conversations.models import (
    Conversation,
    ConversationStatus,
    InternalNote,
    Message,
    OpeningHours,
    Service,
    ServiceException,
)

SESSION_KEY = "chat_conversation_id"


def services_with_hours() -> QuerySet[Service]:
    """Active services with their hours prefetched (two extra queries in all)."""
    return Service.objects.filter(is_active=True).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        Prefetch("exceptions", queryset=ServiceException.objects.order_by("date")),
    )


def service_ids_for_staff(*, user) -> list[int]:
    """The services a professional works in."""
    if not (user.is_authenticated and user.is_staff):
        return []
    return list(
        Service.objects.filter(professionals=user, is_active=True).values_list("id", flat=True)
    )


def conversation_for_resident(*, session: SessionBase) -> Conversation | None:
    """The conversation the resident's anonymous session owns, if any."""
    conversation_id = session.get(SESSION_KEY)
    if not conversation_id:
        return None
    return (
        Conversation.objects.select_related("service", "assigned_to")
        .filter(pk=conversation_id)
        .first()
    )


def conversation_for_staff(*, user, conversation_id: int) -> Conversation | None:
    """A conversation the professional may see: in one of their services, or
    assigned to them. None when it does not exist or is not theirs (the caller
    answers both the same way, so ids cannot be probed)."""
    if not (user.is_authenticated and user.is_staff):
        return None
    return (
        Conversation.objects.select_related("service", "assigned_to")
        .filter(Q(service__professionals=user) | Q(assigned_to=user), pk=conversation_id)
        .distinct()
        .first()
    )


# The queue's order: a conversation with a crisis flag first (the earliest flag
# first, crisis app), then by arrival.
QUEUE_ORDER = (F("crisis_at").asc(nulls_last=True), "created_at", "id")


def waiting_conversations(*, service_ids: Iterable[int]) -> list[Conversation]:
    """The queue of the given services in queue order, in one query."""
    return list(
        Conversation.objects.filter(
            service_id__in=list(service_ids), status=ConversationStatus.WAITING
        ).order_by(*QUEUE_ORDER)
    )


def active_conversations_for_staff(*, user) -> list[Conversation]:
    return list(
        Conversation.objects.filter(assigned_to=user, status=ConversationStatus.ACTIVE).order_by(
            "claimed_at", "id"
        )
    )


def active_count_for_staff(*, user) -> int:
    return Conversation.objects.filter(assigned_to=user, status=ConversationStatus.ACTIVE).count()


# Residents whose page is gone (no open socket) keep their place for a grace
# period, but other residents' positions and wait estimates do not count them.
# A call-back waits without its resident's page (callbacks app): it always counts.
PRESENT = Q(resident_disconnected_at__isnull=True) | ~Q(callback_source="")


def waiting_ids(*, service_id: int) -> list[int]:
    """The order of one service's queue (QUEUE_ORDER), without residents who are
    disconnected (conversations.actions.connections)."""
    return list(
        Conversation.objects.filter(
            PRESENT, service_id=service_id, status=ConversationStatus.WAITING
        )
        .order_by(*QUEUE_ORDER)
        .values_list("id", flat=True)
    )


def _ahead_of(conversation: Conversation) -> Q:
    """The conversations before this one in QUEUE_ORDER."""
    earlier = Q(created_at__lt=conversation.created_at) | Q(
        created_at=conversation.created_at, id__lt=conversation.pk
    )
    if conversation.crisis_at is None:
        return Q(crisis_at__isnull=False) | (Q(crisis_at__isnull=True) & earlier)
    return Q(crisis_at__lt=conversation.crisis_at) | (Q(crisis_at=conversation.crisis_at) & earlier)


def queue_position(*, conversation: Conversation) -> int | None:
    """1 for the first in line; None when the conversation is not waiting.
    Disconnected residents ahead do not count."""
    if conversation.status != ConversationStatus.WAITING:
        return None
    ahead = Conversation.objects.filter(
        PRESENT, service_id=conversation.service_id, status=ConversationStatus.WAITING
    ).filter(_ahead_of(conversation))
    return ahead.count() + 1


DEFAULT_MINUTES_PER_POSITION = 5.0
THROUGHPUT_WINDOW = timedelta(hours=3)


def minutes_per_position(*, service_ids: Iterable[int]) -> dict[int, float]:
    """How many minutes each place in the queue is worth now, per service: the
    median gap between the service's recent claims (its throughput), bounded to
    1–30 minutes, or a default when there are too few recent claims. One query."""
    service_ids = list(service_ids)
    since = timezone.now() - THROUGHPUT_WINDOW
    claims: dict[int, list] = {sid: [] for sid in service_ids}
    for service_id, claimed_at in (
        Conversation.objects.filter(service_id__in=service_ids, claimed_at__gte=since)
        .order_by("claimed_at")
        .values_list("service_id", "claimed_at")
    ):
        claims[service_id].append(claimed_at)
    result = {}
    for service_id, times in claims.items():
        if len(times) < 3:
            result[service_id] = DEFAULT_MINUTES_PER_POSITION
            continue
        gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(times)]
        result[service_id] = min(30.0, max(1.0, statistics.median(gaps)))
    return result


def estimated_wait_minutes(*, position: int | None, minutes_per_position: float) -> int | None:
    if position is None:
        return None
    return max(1, math.ceil(position * minutes_per_position))


def queue_lengths(*, service_ids: Iterable[int]) -> dict[int, int]:
    """Waiting conversations per service, in one query; disconnected residents
    are not counted."""
    service_ids = list(service_ids)
    counts = dict(
        Conversation.objects.filter(
            PRESENT, service_id__in=list(service_ids), status=ConversationStatus.WAITING
        )
        .values("service_id")
        .annotate(n=Count("id"))
        .values_list("service_id", "n")
    )
    return {sid: counts.get(sid, 0) for sid in service_ids}


def messages_after(*, conversation_id: int, after_seq: int, limit: int) -> list[MessageNew]:
    """Messages with seq > after_seq, in order, at most `limit`, as the events
    that delivered them live."""
    messages = (
        Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
        .select_related("author", "conversation")
        .order_by("seq")[:limit]
    )
    return [
        MessageNew.from_message(
            m, author_name(author_kind=m.author_kind, author=m.author, conversation=m.conversation)
        )
        for m in messages
    ]


def last_seq(*, conversation_id: int) -> int:
    """The newest message's seq (0 when none, or no such conversation)."""
    return (
        Conversation.objects.filter(pk=conversation_id).values_list("last_seq", flat=True).first()
        or 0
    )


def notes_for(*, conversation_id: int) -> list[NoteNew]:
    """Internal notes, oldest first (staff only)."""
    notes = InternalNote.objects.filter(conversation_id=conversation_id).select_related(
        "author", "conversation"
    )
    return [
        NoteNew.from_note(
            n, author_name(author_kind="staff", author=n.author, conversation=n.conversation)
        )
        for n in notes
    ]


def author_name(*, author_kind: str, author, conversation: Conversation) -> str:
    """How a message's author is shown to both parties."""
    if author_kind == "resident":
        return conversation.resident_name
    if author_kind == "staff" and author is not None:
        return author.get_short_name() or str(_("Professional"))
    return ""
