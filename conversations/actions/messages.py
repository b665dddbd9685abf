"""Writing in a conversation: messages, internal notes and read marks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from conversations import realtime, selectors
from conversations.actions._common import StaffUser, checked_text, locked, record_masking
from conversations.errors import DomainError
from conversations.events import MessageNew, NoteNew
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationStatus,
    InternalNote,
    Message,
)


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
    author: StaffUser | None = None,
    identity_codes_masked: int = 0,
) -> PostResult:
    """Store a message with the next gapless seq and deliver it after commit.

    Idempotent on `client_id`: a resend returns the stored message with
    `created=False` and publishes nothing. `identity_codes_masked` says how many
    identity codes the caller masked in `body`; only that count is recorded.
    """
    body = checked_text(body, client_id)
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
    author: StaffUser | None,
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
        raise DomainError("not_found") from None
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
    record_masking(conversation, identity_codes_masked, where="message", actor_kind=author_kind)
    name = selectors.author_name(author_kind=author_kind, author=author, conversation=conversation)
    realtime.publish(MessageNew.from_message(message, name))
    return PostResult(message=message, created=True)


def mark_seen(*, conversation_id: int, by: ActorKind, seq: int) -> None:
    """The party's device has shown the conversation up to `seq` (a receipt).
    Kept so that "delivered" survives a reload; it only ever grows."""
    field = "resident_seen_seq" if by == ActorKind.RESIDENT else "staff_seen_seq"
    Conversation.objects.filter(
        pk=conversation_id, last_seq__gte=seq, **{f"{field}__lt": seq}
    ).update(**{field: seq})


def note(
    conversation: Conversation, *, author: StaffUser, body: str, client_id: str
) -> InternalNote:
    """Append a note to a locked conversation and publish it to professionals."""
    created = InternalNote.objects.create(
        conversation=conversation, author=author, body=body.strip(), client_id=client_id
    )
    name = selectors.author_name(
        author_kind=ActorKind.STAFF, author=author, conversation=conversation
    )
    realtime.publish(NoteNew.from_note(created, name))
    return created


@transaction.atomic
def add_note(*, conversation_id: int, author: StaffUser, body: str, client_id: str) -> InternalNote:
    """An internal note for professionals. Idempotent on `client_id`. The author
    must work in the conversation's service or have it assigned."""
    body = checked_text(body, client_id)
    conversation = locked(conversation_id)
    existing = InternalNote.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return existing
    if (
        conversation.assigned_to_id != author.pk
        and not conversation.service.professionals.filter(pk=author.pk).exists()
    ):
        raise DomainError("not_found")
    return note(conversation, author=author, body=body, client_id=client_id)
