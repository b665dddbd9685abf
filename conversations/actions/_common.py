"""Helpers shared by the actions: the locked row, the timeline row, the
announcement of a change, and the rule for chat text."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser

from conversations import limits, realtime, selectors
from conversations.errors import DomainError
from conversations.events import ConversationChanged, ConversationSummary, QueueChanged
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    EventKind,
)

# A professional. The user model (settings.AUTH_USER_MODEL, staff.User) lives in an
# app above this one; only the type checker looks there.
if TYPE_CHECKING:
    from staff.models import User as StaffUser
else:
    StaffUser = AbstractUser

# Control characters other than tab and newline, and lone surrogates: never stored
# (PostgreSQL refuses NUL; the rest only hide or garble text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def locked(conversation_id: int) -> Conversation:
    """The conversation row, locked until the transaction ends (PostgreSQL row
    lock; SQLite runs IMMEDIATE transactions, which serialise writers)."""
    try:
        return (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("service", "assigned_to")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise DomainError("not_found") from None


def record(
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


def record_masking(conversation: Conversation, count: int, *, where: str, actor_kind) -> None:
    """Only the count of masked identity codes is recorded, never the codes."""
    if count:
        record(
            conversation,
            EventKind.IDENTITY_CODE_MASKED,
            actor_kind=actor_kind,
            payload={"count": count, "where": where},
        )


def announce_change(
    conversation: Conversation,
    event: ConversationEvent,
    *,
    previous_service: int | None = None,
) -> None:
    """Publish `conversation.changed` for a timeline row, after the commit. Apps
    with their own rows on the timeline (identification, video) announce with this."""
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
            system_close_code=conversation.system_close_code,
            previous_service=previous_service,
        )
    )


def announce(
    conversation: Conversation,
    event: ConversationEvent,
    *,
    previous_service: int | None = None,
) -> None:
    """Publish the change, and the new queue order of every queue it touched."""
    announce_change(conversation, event, previous_service=previous_service)
    if previous_service is None and not realtime.changes_a_queue(conversation.status, event.kind):
        # Inside an active chat (the resident's connection, …): no queue changed.
        # Computing the order and the pace for each such flip was most of a
        # reconnect storm's database time (docs/benchmarks.md, scenario 4).
        return
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


def clean_text(text: str) -> str:
    """Chat text as stored: control characters (other than tab and newline) and
    lone surrogates removed, line ends as newlines, trimmed. Empty when nothing
    visible remains (zero-width and other format characters alone are empty)."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if all(unicodedata.category(c) in ("Cf", "Zs", "Zl", "Zp") or c.isspace() for c in text):
        return ""
    return text


def checked_text(body: str, client_id: str) -> str:
    """The cleaned text of a message or note, or a refusal."""
    if not client_id or len(client_id) > limits.CLIENT_ID_MAX:
        raise DomainError("invalid_input", "client_id")
    body = clean_text(body)
    if not body:
        raise DomainError("empty_message")
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError("message_too_long")
    return body
