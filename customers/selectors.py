"""Reads for the resident's side."""

from typing import Any

from conversations import selectors
from conversations.models import ActorKind, Conversation


def resident_state(*, conversation: Conversation) -> dict[str, Any]:
    """What the resident's page may know of their own conversation."""
    professional = conversation.assigned_to
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "service": {"id": conversation.service_id, "name": conversation.service.name()},
        "professional_name": (
            selectors.author_name(
                author_kind=ActorKind.STAFF, author=professional, conversation=conversation
            )
            if professional
            else ""
        ),
        "position": selectors.queue_position(conversation=conversation),
        "last_seq": conversation.last_seq,
        "resident_left": conversation.resident_left_at is not None,
        "language": conversation.language,
    }
