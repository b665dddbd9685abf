"""Writing in a conversation: messages, internal notes and read marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

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


@dataclass(frozen=True)
class MessageRequest:
    """One message to store, as `post_message` takes it (for `post_messages`)."""

    conversation_id: int
    author_kind: ActorKind
    body: str
    client_id: str
    author: StaffUser | None = None
    identity_codes_masked: int = 0


# What `post_messages` answers for each request: the result, or the exception
# that `post_message` would have raised for it alone.
Outcome = PostResult | Exception


def post_messages(requests: Sequence[MessageRequest]) -> list[Outcome]:
    """Group commit: store many messages (of any conversations) in one transaction.

    Each message gets its conversation's next gapless seq, in the order given;
    the events are published after the one commit, in the same order. The
    answer for each request is what `post_message` would give it alone: one
    bad message never fails the others. Refusals and blank bodies are found
    without disturbing the transaction; anything that would (a resend's unique
    violation, a lost connection) rolls the batch back, and then every message
    is stored in a transaction of its own.
    """
    outcomes: list[Outcome | None] = [None] * len(requests)
    batch: list[tuple[int, MessageRequest, str]] = []
    for i, request in enumerate(requests):
        try:
            batch.append((i, request, checked_text(request.body, request.client_id)))
        except DomainError as exc:
            outcomes[i] = exc
    alone: list[int] = []
    try:
        with transaction.atomic():
            for i, result in _store_batch(batch):
                if result is None:
                    alone.append(i)  # refused: maybe a resend; answered alone below
                else:
                    outcomes[i] = result
    except Exception:
        alone = [i for i, _request, _body in batch]
    for i in alone:
        try:
            outcomes[i] = post_message(**vars(requests[i]))
        except Exception as exc:
            outcomes[i] = exc
    return [o if o is not None else RuntimeError("not answered") for o in outcomes]


def _store_batch(
    batch: list[tuple[int, MessageRequest, str]],
) -> list[tuple[int, PostResult | None]]:
    """Inside one transaction: a seq for each message (None when its author may
    not write there now), then one INSERT for all, then the events."""
    claimed: list[tuple[int, MessageRequest, Message]] = []
    answers: list[tuple[int, PostResult | None]] = []
    for i, request, body in batch:
        author = request.author if request.author_kind == ActorKind.STAFF else None
        seq_and_name = _next_seq(request.conversation_id, request.author_kind, author)
        if seq_and_name is None:
            answers.append((i, None))
            continue
        seq, resident_name = seq_and_name
        conversation = Conversation(
            pk=request.conversation_id, resident_name=resident_name, last_seq=seq
        )
        conversation._state.adding = False
        message = Message(
            conversation=conversation,
            seq=seq,
            author_kind=request.author_kind,
            author=author,
            body=body,
            client_id=request.client_id,
        )
        claimed.append((i, request, message))
    Message.objects.bulk_create([message for _i, _request, message in claimed])
    for i, request, message in claimed:
        record_masking(
            message.conversation,
            request.identity_codes_masked,
            where="message",
            actor_kind=request.author_kind,
        )
        name = selectors.author_name(
            author_kind=request.author_kind,
            author=message.author,
            conversation=message.conversation,
        )
        realtime.publish(MessageNew.from_message(message, name))
        answers.append((i, PostResult(message=message, created=True)))
    return answers


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
    if author_kind != ActorKind.STAFF:
        author = None
    claimed = _next_seq(conversation_id, author_kind, author)
    if claimed is None:
        raise _refusal(conversation_id, author_kind, author)
    seq, resident_name = claimed
    # The row as far as the rest needs it; no second read on the message path.
    conversation = Conversation(pk=conversation_id, resident_name=resident_name, last_seq=seq)
    conversation._state.adding = False
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


def _next_seq(
    conversation_id: int, author_kind: ActorKind, author: StaffUser | None
) -> tuple[int, str] | None:
    """Take the conversation's next seq in one round trip, if the author may
    write now: `UPDATE … SET last_seq = last_seq + 1 WHERE <the rules> RETURNING`.
    The row stays locked until the transaction ends (PostgreSQL row lock; SQLite
    serialises writers), so seqs are gapless under concurrent senders."""
    table = Conversation._meta.db_table
    rules = "status <> %s"
    params: list = [ConversationStatus.CLOSED]
    if author_kind == ActorKind.STAFF:
        rules = "status = %s AND assigned_to_id = %s"
        params = [ConversationStatus.ACTIVE, author.pk if author else None]
    elif author_kind == ActorKind.RESIDENT:
        rules += " AND resident_left_at IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s AND {rules} "  # noqa: S608 - no user input in the SQL text
            "RETURNING last_seq, resident_name",
            [conversation_id, *params],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _refusal(conversation_id: int, author_kind: ActorKind, author: StaffUser | None) -> DomainError:
    """Why the author may not write (read only when refused)."""
    conversation = (
        Conversation.objects.filter(pk=conversation_id)
        .only("status", "assigned_to_id", "resident_left_at")
        .first()
    )
    if conversation is None:
        return DomainError("not_found")
    if conversation.status == ConversationStatus.CLOSED:
        return DomainError("conversation_closed")
    if author_kind == ActorKind.STAFF:
        return DomainError("not_assigned")
    return DomainError("resident_left")


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
