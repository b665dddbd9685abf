"""Writes started from the professional's side."""

from django.db import transaction
from django.utils import timezone

from conversations import actions, selectors
from conversations.errors import DomainError
from conversations.models import Conversation, Service
from staff.models import (
    CONNECTION_STALE_AFTER,
    AuditAction,
    AuditEntry,
    CloseReasonOption,
    Presence,
    StaffConnection,
    User,
)
from staff.selectors import conversation_detail


def record_audit(
    *,
    user: User,
    action: AuditAction,
    conversation_id: int | None = None,
    detail: str = "",
    address: str | None = None,
) -> AuditEntry:
    """Append one audit row. `detail` must never hold personal data."""
    return AuditEntry.objects.create(
        user=user,
        action=action,
        conversation_id=conversation_id,
        detail=detail[:200],
        address=address,
    )


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


def transfer_by_ids(
    *,
    conversation_id: int,
    by: User,
    to_service_id: int | None,
    to_professional_id: int | None,
    note: str = "",
) -> Conversation:
    """Resolve a transfer target given by id, then transfer."""
    to_service = to_professional = None
    if to_service_id is not None:
        to_service = Service.objects.filter(pk=to_service_id, is_active=True).first()
        if to_service is None:
            raise DomainError("invalid_transfer", "service")
    if to_professional_id is not None:
        to_professional = User.objects.filter(pk=to_professional_id, is_staff=True).first()
        if to_professional is None:
            raise DomainError("invalid_transfer", "colleague")
    return actions.transfer_conversation(
        conversation_id=conversation_id,
        by=by,
        to_service=to_service,
        to_professional=to_professional,
        note=note,
    )


def close_with_reason(
    *, conversation_id: int, professional: User, reason_code: str
) -> Conversation:
    """Close with one of the admin-managed reasons."""
    if not CloseReasonOption.objects.filter(code=reason_code, is_active=True).exists():
        raise DomainError("invalid_input", "reason")
    return actions.close_conversation(
        conversation_id=conversation_id, professional=professional, reason=reason_code
    )


def set_presence(*, user: User, presence: Presence) -> None:
    user.presence = presence
    user.save(update_fields=["presence"])


def socket_opened(*, user: User, channel_name: str) -> None:
    StaffConnection.objects.update_or_create(
        channel_name=channel_name, defaults={"user": user, "last_seen": timezone.now()}
    )


def socket_seen(*, channel_name: str) -> None:
    StaffConnection.objects.filter(channel_name=channel_name).update(last_seen=timezone.now())


@transaction.atomic
def socket_closed(*, user: User, channel_name: str) -> None:
    """Forget the socket; presence ends with the professional's last fresh socket."""
    StaffConnection.objects.filter(channel_name=channel_name).delete()
    fresh = timezone.now() - CONNECTION_STALE_AFTER
    if not StaffConnection.objects.filter(user=user, last_seen__gte=fresh).exists():
        User.objects.filter(pk=user.pk).update(presence=Presence.AWAY)
