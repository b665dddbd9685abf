"""Reads for text messages: is the resident's page there, who is due a message."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef

from conversations import connections
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    Message,
    ResidentConnection,
)
from notify.models import SmsKind, SmsNotice

# A page gone for less than this is a reload or a blip, not a resident who went away.
DISCONNECT_GRACE_SECONDS = 20


def resident_connected(conversation: Conversation, *, now: datetime) -> bool:
    """Whether the resident's chat page has a live socket: not marked disconnected,
    and a connection row some process still refreshes. (Right after the intake,
    before the page's socket opens, there is no row: not connected.)"""
    if conversation.resident_disconnected_at is not None:
        return False
    return ResidentConnection.objects.filter(
        conversation=conversation, last_seen__gte=connections.stale_before(now)
    ).exists()


def notices_to_number_since(digest: str, since: datetime) -> int:
    return SmsNotice.objects.filter(number_digest=digest, created_at__gte=since).count()


def due_after_disconnect_ids(*, now: datetime) -> list[int]:
    """Active conversations whose resident asked for text messages, whose page
    went away while a professional served them (after a claim) and has stayed
    away past the grace, in which the professional wrote after it went, and that
    have not had this text message yet. One query."""
    claimed_before_gone = ConversationEvent.objects.filter(
        conversation=OuterRef("pk"),
        kind=EventKind.CLAIMED,
        created_at__lte=OuterRef("resident_disconnected_at"),
    )
    written_since = Message.objects.filter(
        conversation=OuterRef("pk"),
        author_kind=ActorKind.STAFF,
        created_at__gt=OuterRef("resident_disconnected_at"),
    )
    already = SmsNotice.objects.filter(conversation=OuterRef("pk"), kind=SmsKind.MESSAGE)
    return list(
        Conversation.objects.filter(
            status=ConversationStatus.ACTIVE,
            sms_wanted=True,
            resident_left_at__isnull=True,
            resident_disconnected_at__lte=now - timedelta(seconds=DISCONNECT_GRACE_SECONDS),
        )
        .filter(Exists(claimed_before_gone), Exists(written_since))
        .exclude(Exists(already))
        .order_by(F("resident_disconnected_at").asc(), "id")
        .values_list("id", flat=True)
    )
