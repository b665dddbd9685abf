"""Writes started from the professional's side."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations import actions, connections, realtime, selectors
from conversations.actions import record_audit
from conversations.errors import DomainError
from conversations.events import SessionEnded
from conversations.models import AuditAction, Conversation, Service
from staff.models import (
    CloseReasonOption,
    Presence,
    StaffConnection,
    User,
)
from staff.selectors import colleague_is_reachable, conversation_detail
from staff.sessions import session_digest


def open_conversation_for_staff(
    *, user: User, conversation_id: int, address: str | None
) -> dict | None:
    """The conversation's details for a professional who may see it, audited;
    None when it does not exist or is not theirs."""
    conversation = selectors.conversation_for_staff(user=user, conversation_id=conversation_id)
    if conversation is None:
        return None
    record_audit(
        user=user,
        action=AuditAction.OPEN_CONVERSATION,
        conversation_id=conversation.pk,
        address=address,
    )
    return conversation_detail(conversation=conversation)


def audit_read(*, user: User, conversation_id: int, address: str | None) -> None:
    """A professional's socket read a conversation's messages (sync) that it does
    not follow as the assigned professional: audited once per socket."""
    record_audit(
        user=user,
        action=AuditAction.OPEN_CONVERSATION,
        conversation_id=conversation_id,
        detail="messages",
        address=address,
    )


def transfer_by_ids(
    *,
    conversation_id: int,
    by: User,
    to_service_id: int | None,
    to_professional_id: int | None,
    note: str = "",
) -> Conversation:
    """Resolve a transfer target given by id (exactly one), then transfer."""
    if to_professional_id is None:
        if to_service_id is None:
            raise DomainError("invalid_transfer", "exactly one target")
        service = Service.objects.filter(pk=to_service_id, is_active=True).first()
        if service is None:
            raise DomainError("invalid_transfer", "service")
        return actions.transfer_to_service(
            conversation_id=conversation_id, by=by, service=service, note_text=note
        )
    if to_service_id is not None:
        raise DomainError("invalid_transfer", "exactly one target")
    colleague = User.objects.filter(pk=to_professional_id, is_staff=True).first()
    if colleague is None:
        raise DomainError("invalid_transfer", "colleague")
    if not colleague_is_reachable(colleague=colleague):
        raise DomainError("colleague_unavailable")
    return actions.transfer_to_colleague(
        conversation_id=conversation_id,
        by=by,
        colleague=colleague,
        note_text=note,
        colleague_max_active=colleague.max_active_chats,
    )


def close_with_reason(
    *, conversation_id: int, professional: User, reason_code: str
) -> Conversation:
    """Close with one of the admin-managed reasons."""
    if not CloseReasonOption.objects.filter(code=reason_code, is_active=True).exists():
        raise DomainError("invalid_input", "reason")
    return actions.close_by_professional(
        conversation_id=conversation_id, professional=professional, reason=reason_code
    )


def set_languages(*, user: User, languages: list[str]) -> None:
    """The languages the professional serves in (codes of settings.LANGUAGES)."""
    user.languages = [code for code, _name in settings.LANGUAGES if code in set(languages)]
    user.save(update_fields=["languages"])


def set_presence(*, user: User, presence: Presence) -> None:
    user.presence = presence
    user.save(update_fields=["presence"])


def socket_opened(*, user: User, channel_name: str, now: datetime | None = None) -> None:
    """A staff socket of this process opened. Its row is refreshed by this
    process's heartbeat for as long as the socket lives (conversations.connections)."""
    _remember_socket(user_id=user.pk, channel_name=channel_name, now=now)


def _remember_socket(*, user_id: int, channel_name: str, now: datetime | None) -> None:
    StaffConnection.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "user_id": user_id,
            "process": connections.PROCESS_ID,
            "last_seen": now or timezone.now(),
        },
    )


def socket_closed(*, user: User, channel_name: str, now: datetime | None = None) -> None:
    """Forget the socket; presence ends with the professional's last fresh socket."""
    _forget_socket(user_id=user.pk, channel_name=channel_name, now=now)


@transaction.atomic
def _forget_socket(*, user_id: int, channel_name: str, now: datetime | None) -> None:
    StaffConnection.objects.filter(channel_name=channel_name).delete()
    _away_unless_connected(user_ids=[user_id], now=now)


def _away_unless_connected(*, user_ids: Iterable[int], now: datetime | None) -> int:
    """Professionals with no fresh socket left are away."""
    fresh = StaffConnection.objects.filter(last_seen__gte=connections.stale_before(now))
    return (
        User.objects.filter(pk__in=list(user_ids))
        .exclude(pk__in=fresh.values("user_id"))
        .exclude(presence=Presence.AWAY)
        .update(presence=Presence.AWAY)
    )


def refresh_staff_connections(*, now: datetime | None = None) -> int:
    """This process's heartbeat for its staff sockets (see conversations.connections)."""
    return connections.refresh(
        model=StaffConnection,
        local=connections.staff_sockets,
        owner_field="user_id",
        opened=lambda channel, user_id: _remember_socket(
            user_id=user_id, channel_name=channel, now=now
        ),
        closed=lambda channel, user_id: _forget_socket(
            user_id=user_id, channel_name=channel, now=now
        ),
        now=now,
    )


@transaction.atomic
def expire_staff_connections(*, now: datetime | None = None) -> int:
    """Remove staff connection rows of dead processes (kill -9); professionals
    left without a fresh socket become away. Returns how many became away."""
    stale = StaffConnection.objects.filter(last_seen__lt=connections.stale_before(now))
    user_ids = set(stale.values_list("user_id", flat=True))
    if not user_ids:
        return 0
    stale.delete()
    return _away_unless_connected(user_ids=user_ids, now=now)


def end_staff_sockets(*, user_id: int, session_key: str = "") -> None:
    """Close the professional's staff sockets of one login session (logout), or
    all of them when `session_key` is empty (deactivation). Each closes with
    4401 after a `session_expired` error."""
    realtime.publish(SessionEnded(user=user_id, session=session_digest(session_key)))
