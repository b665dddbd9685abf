"""Periodic sweeps over conversations: find ids, call an action for each.

Run by Celery beat in production (conversations.tasks, CELERY_BEAT_SCHEDULE)
and by the in-process loop in the embedded setup (chatservice/background.py).
Every sweep takes `now`, so tests pass the time instead of waiting for it, and
goes on with the next id when one fails: one bad row never stops the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from conversations import connections, hours
from conversations.actions import connections as connection_actions
from conversations.errors import DomainError
from conversations.models import (
    Conversation,
    ConversationStatus,
    ResidentConnection,
    SystemCloseCode,
)
from conversations.selectors import services_with_hours

logger = logging.getLogger(__name__)


def each(ids: Iterable[int], action: Callable[[int], object], *, what: str) -> int:
    """Call `action` for every id; count the truthy results. A DomainError means
    the row changed meanwhile (claimed, closed); anything else is logged."""
    done = 0
    for item_id in ids:
        try:
            if action(item_id):
                done += 1
        except DomainError:
            continue
        except Exception:
            logger.exception("%s failed for one row", what)
    return done


def ghost_conversation_ids(*, now: datetime | None = None) -> list[int]:
    """Waiting conversations whose resident is gone past the grace period."""
    cutoff = connection_actions.gone_before(now)
    return list(
        # A call-back needs no open page: the resident waits for the phone.
        Conversation.objects.filter(status=ConversationStatus.WAITING, callback_source="")
        .filter(
            Q(resident_disconnected_at__lte=cutoff)
            | Q(
                ~Exists(ResidentConnection.objects.filter(conversation=OuterRef("pk"))),
                resident_disconnected_at__isnull=True,
                created_at__lte=cutoff,
            )
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def stale_connection_conversation_ids(*, now: datetime | None = None) -> list[int]:
    """Conversations with a connection row that no process refreshes any more."""
    return list(
        ResidentConnection.objects.filter(last_seen__lt=connections.stale_before(now))
        .order_by("conversation_id")
        .values_list("conversation_id", flat=True)
        .distinct()
    )


def close_waiting_in_closed_services(*, now: datetime | None = None) -> int:
    """Residents still queueing a while after their service closed are told that it
    closed, instead of waiting for nobody. Returns how many were closed.

    A service open around the clock (00:00–24:00, entered as 23:59) is never
    closed between one day and the next (conversations.hours)."""
    from conversations.actions.lifecycle import close_by_system

    now = now or timezone.now()
    grace = timedelta(minutes=settings.WAITING_GRACE_AFTER_CLOSING_MINUTES)
    closed_services = [
        s.pk
        for s in services_with_hours()
        if not hours.is_open(s, now) and not hours.is_open(s, now - grace)
    ]
    # Call-backs stay: contact requests are left while closed on purpose, and a
    # resident who asked to be called back is called when the service opens.
    ids = Conversation.objects.filter(
        service_id__in=closed_services, status=ConversationStatus.WAITING, callback_source=""
    ).values_list("id", flat=True)
    return each(
        list(ids),
        lambda pk: close_by_system(conversation_id=pk, code=SystemCloseCode.SERVICE_CLOSED),
        what="closing a waiting conversation of a closed service",
    )


def expire_resident_connections(*, now: datetime | None = None) -> int:
    """Remove resident connection rows of dead processes; returns how many
    residents that disconnected (their grace period starts now)."""
    now = now or timezone.now()
    return each(
        stale_connection_conversation_ids(now=now),
        lambda pk: connection_actions.expire_resident_connections_of(conversation_id=pk, now=now),
        what="expiring resident connections",
    )


def abandon_ghost_residents(*, now: datetime | None = None) -> int:
    """Waiting conversations whose resident has been gone past the grace period
    leave the queue as abandoned; returns how many."""
    now = now or timezone.now()
    return each(
        ghost_conversation_ids(now=now),
        lambda pk: connection_actions.abandon_if_resident_gone(conversation_id=pk, now=now),
        what="abandoning a ghost resident's conversation",
    )
