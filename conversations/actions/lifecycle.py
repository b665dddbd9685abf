"""A conversation's life: created by a resident, claimed, transferred, left, closed.

Rules from the seed enforced here, not only in the UI: only a resident starts a
conversation; only a professional or the system closes one; a professional
writes only in a conversation assigned to them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from conversations import hours, languages, limits, selectors
from conversations.actions._common import (
    StaffUser,
    announce,
    locked,
    record,
    record_masking,
)
from conversations.actions.messages import note
from conversations.errors import DomainError
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    ConversationStatistic,
    ConversationStatus,
    EventKind,
    Message,
    Service,
    StatisticOutcome,
    SystemCloseCode,
)
from conversations.signals import conversation_claimed, conversation_closed


def open_conversation(
    *,
    service: Service,
    name: str,
    phone: str,
    matter: str,
    language: str,
    identity_codes_masked: int = 0,
    admissible: Callable[[Service], None],
    kind: EventKind = EventKind.CREATED,
    where: str = "intake",
    **fields: Any,
) -> Conversation:
    """A resident's new conversation in a service's queue, however it started (the
    intake, a contact request): the limits re-checked so that no path can store
    more than they allow, then `admissible(service)` (raises when this service
    does not take it now), the row with `fields`, its first timeline row `kind`,
    the masking record and the announcement. Inside the caller's transaction.

    Callers validate and normalise the fields and mask identity codes first
    (saying how many they masked, which is all that is recorded of them)."""
    name, phone, matter = name.strip(), phone.strip(), matter.strip()
    if not (
        0 < len(name) <= limits.NAME_MAX
        and 0 < len(phone) <= limits.PHONE_MAX
        and 0 < len(matter) <= limits.MATTER_MAX
    ):
        raise DomainError("invalid_input")
    if not service.is_active:
        raise DomainError("service_unavailable")
    admissible(service)
    conversation = Conversation.objects.create(
        service=service,
        resident_name=name,
        resident_phone=phone,
        matter=matter,
        language=limits.served_language(language),
        **fields,
    )
    event = record(conversation, kind, actor_kind=ActorKind.RESIDENT)
    record_masking(conversation, identity_codes_masked, where=where, actor_kind=ActorKind.RESIDENT)
    announce(conversation, event)
    return conversation


def _open_now(service: Service) -> None:
    if not hours.is_open(service):
        raise DomainError("service_closed")


@transaction.atomic
def create_conversation(
    *,
    service: Service,
    name: str,
    phone: str,
    matter: str,
    language: str,
    identity_codes_masked: int = 0,
) -> Conversation:
    """A resident starts a conversation in an open service's queue (the intake)."""
    return open_conversation(
        service=service,
        name=name,
        phone=phone,
        matter=matter,
        language=language,
        identity_codes_masked=identity_codes_masked,
        admissible=_open_now,
    )


@transaction.atomic
def claim_conversation(
    *, conversation_id: int, professional: StaffUser, max_active: int | None = None
) -> Conversation:
    """A professional takes a waiting conversation. Of concurrent claims exactly
    one wins; the others get `already_claimed`."""
    conversation = locked(conversation_id)
    if conversation.status != ConversationStatus.WAITING:
        raise DomainError(
            "conversation_closed"
            if conversation.status == ConversationStatus.CLOSED
            else "already_claimed"
        )
    if not conversation.service.professionals.filter(pk=professional.pk).exists():
        raise DomainError("not_member")
    if not languages.offered_to(conversation, professional):
        raise DomainError("language_reserved")
    if max_active is not None and selectors.active_count_for_staff(user=professional) >= max_active:
        raise DomainError("limit_reached")
    conversation.status = ConversationStatus.ACTIVE
    conversation.assigned_to = professional
    conversation.claimed_at = timezone.now()
    conversation.save(update_fields=["status", "assigned_to", "claimed_at"])
    event = record(conversation, EventKind.CLAIMED, actor_kind=ActorKind.STAFF, actor=professional)
    announce(conversation, event)
    transaction.on_commit(
        lambda: conversation_claimed.send(sender=Conversation, conversation_id=conversation.pk)
    )
    return conversation


def _transferable(conversation_id: int, by: StaffUser) -> Conversation:
    conversation = locked(conversation_id)
    if conversation.status != ConversationStatus.ACTIVE:
        raise DomainError("conversation_closed" if not conversation.is_open else "not_assigned")
    if conversation.assigned_to_id != by.pk:
        raise DomainError("not_assigned")
    return conversation


def _finish_transfer(
    conversation: Conversation, *, by: StaffUser, payload: dict, note_text: str, previous: int
) -> Conversation:
    conversation.save(update_fields=["service", "status", "assigned_to", "claimed_at"])
    event = record(
        conversation, EventKind.TRANSFERRED, actor_kind=ActorKind.STAFF, actor=by, payload=payload
    )
    if note_text.strip():
        note(
            conversation,
            author=by,
            body=note_text[: limits.TRANSFER_NOTE_MAX],
            client_id=f"transfer-{event.pk}",
        )
    announce(conversation, event, previous_service=previous)
    return conversation


@transaction.atomic
def transfer_to_service(
    *, conversation_id: int, by: StaffUser, service: Service, note_text: str = ""
) -> Conversation:
    """Hand an active conversation back to a service's queue (the same or
    another); the history stays with the conversation."""
    conversation = _transferable(conversation_id, by)
    if not service.is_active:
        raise DomainError("invalid_transfer", "service inactive")
    previous = conversation.service_id
    conversation.service = service
    conversation.status = ConversationStatus.WAITING
    conversation.assigned_to = None
    conversation.claimed_at = None
    payload = {"from_service": previous, "from_professional": by.pk, "to_service": service.pk}
    return _finish_transfer(
        conversation, by=by, payload=payload, note_text=note_text, previous=previous
    )


@transaction.atomic
def transfer_to_colleague(
    *,
    conversation_id: int,
    by: StaffUser,
    colleague: StaffUser,
    note_text: str = "",
    colleague_max_active: int | None = None,
) -> Conversation:
    """Hand an active conversation straight to a colleague in the same service,
    within their limit of concurrent chats."""
    conversation = _transferable(conversation_id, by)
    if colleague.pk == by.pk or not colleague.is_active:
        raise DomainError("invalid_transfer", "colleague")
    if not conversation.service.professionals.filter(pk=colleague.pk).exists():
        raise DomainError("invalid_transfer", "colleague not in service")
    if (
        colleague_max_active is not None
        and selectors.active_count_for_staff(user=colleague) >= colleague_max_active
    ):
        raise DomainError("colleague_limit_reached")
    previous = conversation.service_id
    conversation.assigned_to = colleague
    conversation.claimed_at = timezone.now()
    payload = {
        "from_service": previous,
        "from_professional": by.pk,
        "to_professional": colleague.pk,
    }
    return _finish_transfer(
        conversation, by=by, payload=payload, note_text=note_text, previous=previous
    )


def _close(conversation: Conversation, *, actor_kind: ActorKind, actor=None) -> Conversation:
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = timezone.now()
    conversation.closed_by = actor_kind
    conversation.save(
        update_fields=["status", "closed_at", "close_reason", "system_close_code", "closed_by"]
    )
    event = record(
        conversation,
        EventKind.CLOSED,
        actor_kind=actor_kind,
        actor=actor,
        payload={"reason": conversation.close_reason or conversation.system_close_code},
    )
    _record_statistic(conversation)
    announce(conversation, event)
    transaction.on_commit(
        lambda: conversation_closed.send(sender=Conversation, conversation_id=conversation.pk)
    )
    return conversation


def _record_statistic(conversation: Conversation) -> ConversationStatistic:
    """The anonymous figures of the conversation, in the closing transaction (one
    read of its timeline, one insert): what reports count after the purge."""
    timeline = ConversationEvent.objects.filter(conversation=conversation).aggregate(
        first_claim=Min("created_at", filter=Q(kind=EventKind.CLAIMED)),
        transfers=Count("id", filter=Q(kind=EventKind.TRANSFERRED)),
        video=Count("id", filter=Q(kind=EventKind.VIDEO_STARTED)),
    )
    first_claim = timeline["first_claim"]
    closed_at = conversation.closed_at or timezone.now()
    if conversation.system_close_code == SystemCloseCode.NOT_REACHED:
        outcome = StatisticOutcome.NOT_REACHED  # claimed to call, never reached
    elif first_claim is not None:
        outcome = StatisticOutcome.HANDLED
    elif conversation.system_close_code == SystemCloseCode.SERVICE_CLOSED:
        outcome = StatisticOutcome.SERVICE_CLOSED
    else:
        outcome = StatisticOutcome.ABANDONED

    def seconds(start: datetime | None, end: datetime) -> int | None:
        return None if start is None else max(0, int((end - start).total_seconds()))

    return ConversationStatistic.objects.create(
        conversation=conversation,
        service_id=conversation.service_id,
        professional_id=conversation.assigned_to_id,
        language=conversation.language,
        outcome=outcome,
        started_at=conversation.created_at,
        closed_at=closed_at,
        wait_seconds=seconds(conversation.created_at, first_claim) if first_claim else None,
        handling_seconds=seconds(first_claim, closed_at),
        transfers=timeline["transfers"],
        identified=conversation.identified_at is not None,
        video=bool(timeline["video"]),
        callback=conversation.callback_source,
        callback_attempts=conversation.callback_attempts,
    )


@transaction.atomic
def close_by_professional(
    *, conversation_id: int, professional: StaffUser, reason: str
) -> Conversation:
    """The assigned professional ends the conversation, giving a reason code (the
    caller checks it against the admin-managed reasons). Residents *leave*."""
    reason = reason.strip()
    if not reason or len(reason) > limits.CLOSE_REASON_MAX:
        raise DomainError("invalid_input", "reason")
    conversation = locked(conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise DomainError("conversation_closed")
    if conversation.assigned_to_id != professional.pk:
        raise DomainError("not_assigned")
    conversation.close_reason = reason
    return _close(conversation, actor_kind=ActorKind.STAFF, actor=professional)


@transaction.atomic
def close_by_system(*, conversation_id: int, code: SystemCloseCode) -> Conversation:
    """The system ends a conversation nobody is serving (abandoned, service closed)."""
    conversation = locked(conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise DomainError("conversation_closed")
    if conversation.status != ConversationStatus.WAITING:
        raise DomainError("already_claimed")
    conversation.system_close_code = code
    return _close(conversation, actor_kind=ActorKind.SYSTEM)


@transaction.atomic
def mark_resident_left(*, conversation_id: int) -> Conversation:
    """The resident left. A conversation nobody took yet closes as abandoned;
    an active one stays open for the professional to see and close."""
    conversation = locked(conversation_id)
    if (
        conversation.resident_left_at is not None
        or conversation.status == ConversationStatus.CLOSED
    ):
        return conversation
    conversation.resident_left_at = timezone.now()
    conversation.save(update_fields=["resident_left_at"])
    event = record(conversation, EventKind.RESIDENT_LEFT, actor_kind=ActorKind.RESIDENT)
    announce(conversation, event)
    # A call-back request is kept: the resident asked to be called, not to wait
    # here, and may end and clear the browser (a shared computer) meanwhile.
    if conversation.status == ConversationStatus.WAITING and not conversation.callback_source:
        return close_by_system(conversation_id=conversation.pk, code=SystemCloseCode.ABANDONED)
    return conversation


@transaction.atomic
def flag_idle(*, conversation_id: int, idle_since: datetime, now: datetime) -> bool:
    """Flag an active conversation in which nobody has written since `idle_since`
    to its professional (once per idle stretch: a message after the flag starts a
    new one). Returns whether it was flagged; the sweep decides the threshold and
    re-checks here under the lock."""
    conversation = locked(conversation_id)
    if conversation.status != ConversationStatus.ACTIVE:
        return False
    last = last_activity(conversation)
    if last > idle_since:
        return False
    if conversation.idle_flagged_at is not None and conversation.idle_flagged_at >= last:
        return False
    conversation.idle_flagged_at = now
    conversation.save(update_fields=["idle_flagged_at"])
    event = record(
        conversation,
        EventKind.IDLE_FLAGGED,
        actor_kind=ActorKind.SYSTEM,
        payload={"idle_since": last.isoformat()},
    )
    announce(conversation, event)
    return True


def last_activity(conversation: Conversation) -> datetime:
    """The newest message's time, or when the current professional took it."""
    newest = (
        Message.objects.filter(conversation=conversation)
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    candidates = [t for t in (newest, conversation.claimed_at, conversation.created_at) if t]
    return max(candidates)
