"""Residents' sockets: whether the resident is still there.

A resident whose last socket goes away (the tab closed, the network gone, the
server process killed) is *disconnected*: the professional sees it at once
(`resident_connected` in the summary), other residents' queue positions stop
counting them, and after RESIDENT_GONE_GRACE_SECONDS a conversation still
waiting leaves the queue as abandoned. A reload or a network blip reconnects
within the grace period and keeps the place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations import connections
from conversations.actions._common import announce, locked, record
from conversations.errors import DomainError
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationStatus,
    EventKind,
    ResidentConnection,
    SystemCloseCode,
)


def gone_before(now: datetime | None = None) -> datetime:
    """A resident disconnected before this has used up the grace period."""
    return (now or timezone.now()) - timedelta(seconds=settings.RESIDENT_GONE_GRACE_SECONDS)


def _flips_shown(conversation: Conversation) -> bool:
    """Connection changes are announced while someone can act on them: an open
    conversation the resident has not left."""
    return conversation.is_open and conversation.resident_left_at is None


@transaction.atomic
def resident_socket_opened(
    *, conversation_id: int, channel_name: str, now: datetime | None = None
) -> None:
    """A resident's socket of this process opened (or is registered again after
    its row expired). The first socket of a disconnected resident announces
    that they are back."""
    now = now or timezone.now()
    conversation = locked(conversation_id)
    ResidentConnection.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "conversation": conversation,
            "process": connections.PROCESS_ID,
            "last_seen": now,
        },
    )
    if conversation.resident_disconnected_at is None:
        return
    conversation.resident_disconnected_at = None
    conversation.save(update_fields=["resident_disconnected_at"])
    if _flips_shown(conversation):
        event = record(conversation, EventKind.RESIDENT_CONNECTED, actor_kind=ActorKind.SYSTEM)
        announce(conversation, event)


@transaction.atomic
def resident_socket_closed(
    *, conversation_id: int, channel_name: str, now: datetime | None = None
) -> None:
    """A resident's socket closed. When it was their last fresh one, they are
    disconnected from now on (the grace period starts)."""
    now = now or timezone.now()
    conversation = locked(conversation_id)
    ResidentConnection.objects.filter(channel_name=channel_name).delete()
    _disconnect_if_last(conversation, now)


def _disconnect_if_last(conversation: Conversation, now: datetime) -> bool:
    if conversation.resident_disconnected_at is not None:
        return False
    if ResidentConnection.objects.filter(
        conversation=conversation, last_seen__gte=connections.stale_before(now)
    ).exists():
        return False
    conversation.resident_disconnected_at = now
    conversation.save(update_fields=["resident_disconnected_at"])
    if _flips_shown(conversation):
        event = record(conversation, EventKind.RESIDENT_DISCONNECTED, actor_kind=ActorKind.SYSTEM)
        announce(conversation, event)
    return True


def refresh_resident_connections(*, now: datetime | None = None) -> int:
    """This process's heartbeat for its resident sockets (see conversations.connections)."""

    def reopen(channel_name: str, conversation_id: int) -> None:
        try:
            resident_socket_opened(
                conversation_id=conversation_id, channel_name=channel_name, now=now
            )
        except DomainError:  # the conversation was deleted (retention): forget the socket
            connections.resident_sockets.discard(channel_name)

    def close(channel_name: str, conversation_id: int) -> None:
        resident_socket_closed(conversation_id=conversation_id, channel_name=channel_name, now=now)

    return connections.refresh(
        model=ResidentConnection,
        local=connections.resident_sockets,
        owner_field="conversation_id",
        opened=reopen,
        closed=close,
        now=now,
    )


@transaction.atomic
def expire_resident_connections_of(*, conversation_id: int, now: datetime | None = None) -> bool:
    """Remove the conversation's rows that no process refreshes any more; True
    when that disconnected the resident."""
    now = now or timezone.now()
    conversation = locked(conversation_id)
    ResidentConnection.objects.filter(
        conversation=conversation, last_seen__lt=connections.stale_before(now)
    ).delete()
    return _disconnect_if_last(conversation, now)


@transaction.atomic
def abandon_if_resident_gone(*, conversation_id: int, now: datetime | None = None) -> bool:
    """Close a waiting conversation as abandoned when its resident has been
    disconnected for longer than the grace period, or never connected a socket
    within it after the intake. Re-checked under the row lock: a resident who
    reconnected meanwhile keeps their place."""
    from conversations.actions.lifecycle import close_by_system

    now = now or timezone.now()
    conversation = locked(conversation_id)
    if conversation.status != ConversationStatus.WAITING:
        return False
    cutoff = gone_before(now)
    rows = ResidentConnection.objects.filter(conversation=conversation)
    if conversation.resident_disconnected_at is not None:
        gone = conversation.resident_disconnected_at <= cutoff
    else:
        gone = conversation.created_at <= cutoff and not rows.exists()
    if not gone or rows.filter(last_seen__gte=connections.stale_before(now)).exists():
        return False
    close_by_system(conversation_id=conversation.pk, code=SystemCloseCode.ABANDONED)
    return True
