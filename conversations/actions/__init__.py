"""Every write to a conversation. One transaction each; the timeline row is
appended in the same transaction and realtime events go out after commit.

Rules from the seed enforced here, not only in the UI: only a resident opens a
conversation; only a professional or the system closes one; a professional
writes only in a conversation assigned to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations import hours, realtime, selectors
from conversations.errors import DomainError
from conversations.events import (
    ConversationChanged,
    ConversationSummary,
    MessageNew,
    NoteNew,
    QueueChanged,
)
from conversations.models import (
    ActorKind,
    CloseReason,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    InternalNote,
    Message,
    Service,
)
from conversations.signals import conversation_closed

NAME_MAX = 100
PHONE_MAX = 32
MATTER_MAX = 500
CLIENT_ID_MAX = 64


def _locked(conversation_id: int) -> Conversation:
    """The conversation row, locked until the transaction ends (PostgreSQL row
    lock; SQLite runs IMMEDIATE transactions, which serialise writers)."""
    try:
        return (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("service", "assigned_to")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise DomainError("invalid_input", "no such conversation") from None


def _record(
    conversation: Conversation,
    kind: EventKind,
    *,
    actor_kind: ActorKind,
    actor=None,
    payload: dict | None = None,
) -> ConversationEvent:
    return ConversationEvent.objects.create(
        conversation=conversation,
        kind=kind,
        actor_kind=actor_kind,
        actor=actor,
        payload=payload or {},
    )


def _announce(
    conversation: Conversation,
    event: ConversationEvent,
    *,
    previous_service: int | None = None,
) -> None:
    """Publish the change, and the new queue order of every queue it touched."""
    professional = conversation.assigned_to
    realtime.publish(
        ConversationChanged(
            event_id=event.pk,
            change=event.kind,
            conversation=ConversationSummary.of(conversation),
            professional_name=(
                selectors.author_name(
                    author_kind=ActorKind.STAFF, author=professional, conversation=conversation
                )
                if professional
                else ""
            ),
            close_reason=conversation.close_reason,
            previous_service=previous_service,
        )
    )
    for service_id in {conversation.service_id, previous_service or conversation.service_id}:
        realtime.publish(
            QueueChanged(
                service=service_id,
                waiting=selectors.waiting_ids(service_id=service_id),
                minutes_per_position=selectors.minutes_per_position(service_ids=[service_id])[
                    service_id
                ],
            )
        )


@transaction.atomic
def open_conversation(
    *,
    service: Service,
    name: str,
    phone: str,
    matter: str,
    language: str,
    identity_codes_masked: int = 0,
) -> Conversation:
    """A resident starts a conversation in a service's queue.

    Callers validate and normalise the fields and mask identity codes first
    (saying how many they masked, which is all that is recorded of them); this
    re-checks the limits so that no path can store more than they allow.
    """
    name, phone, matter = name.strip(), phone.strip(), matter.strip()
    if not (
        0 < len(name) <= NAME_MAX and 0 < len(phone) <= PHONE_MAX and 0 < len(matter) <= MATTER_MAX
    ):
        raise DomainError("invalid_input")
    if not service.is_active:
        raise DomainError("service_unavailable")
    if not hours.is_open(service):
        raise DomainError("service_closed")
    language = language if language in {code for code, _ in settings.LANGUAGES} else "sv"
    conversation = Conversation.objects.create(
        service=service, resident_name=name, resident_phone=phone, matter=matter, language=language
    )
    event = _record(conversation, EventKind.OPENED, actor_kind=ActorKind.RESIDENT)
    _record_masking(conversation, identity_codes_masked, where="intake")
    _announce(conversation, event)
    return conversation


def _record_masking(conversation: Conversation, count: int, *, where: str) -> None:
    if count:
        _record(
            conversation,
            EventKind.IDENTITY_CODE_MASKED,
            actor_kind=ActorKind.RESIDENT,
            payload={"count": count, "where": where},
        )


def _checked_text(body: str, client_id: str) -> str:
    """The trimmed text of a message or note, or a refusal."""
    if not client_id or len(client_id) > CLIENT_ID_MAX:
        raise DomainError("invalid_input", "client_id")
    body = body.strip()
    if not body:
        raise DomainError("empty_message")
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError("message_too_long")
    return body


@dataclass(frozen=True)
class PostResult:
    message: Message
    created: bool


def post_message(
    *,
    conversation_id: int,
    author_kind: ActorKind,
    body: str,
    client_id: str,
    author=None,
    identity_codes_masked: int = 0,
) -> PostResult:
    """Store a message with the next gapless seq and deliver it after commit.

    Idempotent on `client_id`: a resend returns the stored message with
    `created=False` and publishes nothing. `identity_codes_masked` says how many
    identity codes the caller masked in `body`; only that count is recorded.
    """
    body = _checked_text(body, client_id)
    try:
        with transaction.atomic():
            return _store_message(
                conversation_id=conversation_id,
                author_kind=author_kind,
                author=author,
                body=body,
                client_id=client_id,
                identity_codes_masked=identity_codes_masked,
            )
    except (IntegrityError, DomainError):
        # The hot path does not look for a resend first: the unique constraint on
        # (conversation, client_id) finds it, and a resend is answered, not refused.
        existing = Message.objects.filter(
            conversation_id=conversation_id, client_id=client_id
        ).first()
        if existing is None:
            raise
        return PostResult(message=existing, created=False)


def _store_message(
    *,
    conversation_id: int,
    author_kind: ActorKind,
    author,
    body: str,
    client_id: str,
    identity_codes_masked: int,
) -> PostResult:
    # Only the columns the rules need, no joins: this is the message path.
    try:
        conversation = (
            Conversation.objects.select_for_update()
            .only("id", "status", "assigned_to_id", "resident_left_at", "last_seq", "resident_name")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise DomainError("invalid_input", "no such conversation") from None
    if conversation.status == ConversationStatus.CLOSED:
        raise DomainError("conversation_closed")
    if author_kind == ActorKind.STAFF:
        if author is None or conversation.assigned_to_id != author.pk:
            raise DomainError("not_assigned")
        if conversation.status != ConversationStatus.ACTIVE:
            raise DomainError("not_assigned")
    elif author_kind == ActorKind.RESIDENT:
        if conversation.resident_left_at is not None:
            raise DomainError("resident_left")
        author = None

    seq = conversation.last_seq + 1
    Conversation.objects.filter(pk=conversation_id).update(last_seq=seq)
    message = Message.objects.create(
        conversation=conversation,
        seq=seq,
        author_kind=author_kind,
        author=author,
        body=body,
        client_id=client_id,
    )
    _record_masking(conversation, identity_codes_masked, where="message")
    name = selectors.author_name(author_kind=author_kind, author=author, conversation=conversation)
    realtime.publish(MessageNew.from_message(message, name))
    return PostResult(message=message, created=True)


@transaction.atomic
def claim_conversation(
    *, conversation_id: int, professional, max_active: int | None = None
) -> Conversation:
    """A professional takes a waiting conversation. Of concurrent claims exactly
    one wins; the others get `already_claimed`."""
    conversation = _locked(conversation_id)
    if conversation.status != ConversationStatus.WAITING:
        raise DomainError(
            "conversation_closed"
            if conversation.status == ConversationStatus.CLOSED
            else "already_claimed"
        )
    if not conversation.service.professionals.filter(pk=professional.pk).exists():
        raise DomainError("not_member")
    if max_active is not None and selectors.active_count_for_staff(user=professional) >= max_active:
        raise DomainError("limit_reached")
    conversation.status = ConversationStatus.ACTIVE
    conversation.assigned_to = professional
    conversation.claimed_at = timezone.now()
    conversation.save(update_fields=["status", "assigned_to", "claimed_at"])
    event = _record(conversation, EventKind.CLAIMED, actor_kind=ActorKind.STAFF, actor=professional)
    _announce(conversation, event)
    return conversation


@transaction.atomic
def transfer_conversation(
    *,
    conversation_id: int,
    by,
    to_service: Service | None = None,
    to_professional=None,
    note: str = "",
) -> Conversation:
    """Hand an active conversation on: back to a service's queue, or straight to a
    colleague. The history stays with the conversation."""
    if (to_service is None) == (to_professional is None):
        raise DomainError("invalid_transfer", "exactly one target")
    conversation = _locked(conversation_id)
    if conversation.status != ConversationStatus.ACTIVE:
        raise DomainError("conversation_closed" if not conversation.is_open else "not_assigned")
    if conversation.assigned_to_id != by.pk:
        raise DomainError("not_assigned")
    previous_service = conversation.service_id
    payload: dict = {"from_service": previous_service, "from_professional": by.pk}
    if to_service is not None:
        if not to_service.is_active:
            raise DomainError("invalid_transfer", "service inactive")
        conversation.service = to_service
        conversation.status = ConversationStatus.WAITING
        conversation.assigned_to = None
        conversation.claimed_at = None
        payload["to_service"] = to_service.pk
    else:
        if to_professional.pk == by.pk or not to_professional.is_active:
            raise DomainError("invalid_transfer", "colleague")
        if not conversation.service.professionals.filter(pk=to_professional.pk).exists():
            raise DomainError("invalid_transfer", "colleague not in service")
        conversation.assigned_to = to_professional
        conversation.claimed_at = timezone.now()
        payload["to_professional"] = to_professional.pk
    conversation.save(update_fields=["service", "status", "assigned_to", "claimed_at"])
    event = _record(
        conversation, EventKind.TRANSFERRED, actor_kind=ActorKind.STAFF, actor=by, payload=payload
    )
    if note.strip():
        _note(conversation, author=by, body=note[:500], client_id=f"transfer-{event.pk}")
    _announce(conversation, event, previous_service=previous_service)
    return conversation


def _note(conversation: Conversation, *, author, body: str, client_id: str) -> InternalNote:
    note = InternalNote.objects.create(
        conversation=conversation, author=author, body=body.strip(), client_id=client_id
    )
    name = selectors.author_name(
        author_kind=ActorKind.STAFF, author=author, conversation=conversation
    )
    realtime.publish(NoteNew.from_note(note, name))
    return note


@transaction.atomic
def add_note(*, conversation_id: int, author, body: str, client_id: str) -> InternalNote:
    """An internal note for professionals. Idempotent on `client_id`. The author
    must work in the conversation's service or have it assigned."""
    body = _checked_text(body, client_id)
    conversation = _locked(conversation_id)
    existing = InternalNote.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return existing
    if (
        conversation.assigned_to_id != author.pk
        and not conversation.service.professionals.filter(pk=author.pk).exists()
    ):
        raise DomainError("not_member")
    return _note(conversation, author=author, body=body, client_id=client_id)


@transaction.atomic
def close_conversation(
    *,
    conversation_id: int,
    reason: str,
    professional=None,
    by_system: bool = False,
) -> Conversation:
    """End a conversation. Only the assigned professional, or the system (for
    abandonment and timeouts), may; residents *leave* instead."""
    if by_system == (professional is not None):
        raise ValueError("close as exactly one of: a professional, the system")
    reason = reason.strip()[:40]
    if not reason:
        raise DomainError("invalid_input", "reason")
    conversation = _locked(conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise DomainError("conversation_closed")
    if professional is not None and conversation.assigned_to_id != professional.pk:
        raise DomainError("not_assigned")
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = timezone.now()
    conversation.close_reason = reason
    conversation.closed_by = ActorKind.SYSTEM if by_system else ActorKind.STAFF
    conversation.save(update_fields=["status", "closed_at", "close_reason", "closed_by"])
    event = _record(
        conversation,
        EventKind.CLOSED,
        actor_kind=conversation.closed_by,
        actor=professional,
        payload={"reason": reason},
    )
    _announce(conversation, event)
    transaction.on_commit(
        lambda: conversation_closed.send(sender=Conversation, conversation_id=conversation.pk)
    )
    return conversation


@transaction.atomic
def mark_resident_left(*, conversation_id: int) -> Conversation:
    """The resident left. A conversation nobody took yet closes as abandoned;
    an active one stays open for the professional to see and close."""
    conversation = _locked(conversation_id)
    if (
        conversation.resident_left_at is not None
        or conversation.status == ConversationStatus.CLOSED
    ):
        return conversation
    conversation.resident_left_at = timezone.now()
    conversation.save(update_fields=["resident_left_at"])
    event = _record(conversation, EventKind.RESIDENT_LEFT, actor_kind=ActorKind.RESIDENT)
    _announce(conversation, event)
    if conversation.status == ConversationStatus.WAITING:
        return close_conversation(
            conversation_id=conversation.pk, reason=CloseReason.ABANDONED, by_system=True
        )
    return conversation
