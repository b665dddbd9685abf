"""Identification on the conversation's timeline, and the live announcement of it.

Each state change of an identification request appends a ConversationEvent row
(in the action's transaction) and publishes a `ConversationChanged` after the
commit, through the core's one publisher (conversations.realtime).

The event kinds below are to become members of conversations.models.EventKind
(same values); until then the row stores the value as it is.
"""

from __future__ import annotations

from typing import Any

from conversations import realtime, selectors
from conversations.events import ConversationChanged, ConversationSummary
from conversations.models import ActorKind, Conversation, ConversationEvent, EventKind

REQUESTED = "identification_requested"
STARTED = "identification_started"
COMPLETED = "identification_completed"
FAILED = "identification_failed"
CANCELLED = "identification_cancelled"
EXPIRED = "identification_expired"
KINDS = (REQUESTED, STARTED, COMPLETED, FAILED, CANCELLED, EXPIRED)


def event_kind(value: str) -> str:
    """The EventKind member once the core has it, else the plain value."""
    try:
        return EventKind(value)
    except ValueError:
        return value


def record_and_announce(
    conversation: Conversation,
    kind: str,
    *,
    actor_kind: ActorKind,
    actor=None,
    payload: dict[str, Any],
) -> ConversationEvent:
    """Append the timeline row and publish the change after commit. `payload`
    carries ids, codes and levels only: never names or identity codes."""
    event = ConversationEvent.objects.create(
        conversation=conversation,
        kind=event_kind(kind),
        actor_kind=actor_kind,
        actor=actor,
        payload=payload,
    )
    professional = conversation.assigned_to
    realtime.publish(
        ConversationChanged(
            event_id=event.pk,
            change=kind,
            conversation=ConversationSummary.of(conversation),
            professional_name=(
                selectors.author_name(
                    author_kind=ActorKind.STAFF, author=professional, conversation=conversation
                )
                if professional
                else ""
            ),
        )
    )
    return event
