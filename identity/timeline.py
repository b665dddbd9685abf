"""Identification on the conversation's timeline, and the live announcement of it.

Each state change of an identification request, in the action's transaction:
- appends a ConversationEvent row (ids, codes, levels, pseudonyms: never a name
  or an identity code);
- updates the conversation's summary of it (`identification`,
  `identification_failure`, `identified_at`), which queues and dashboards show;
- publishes after the commit, through the core's one publisher:
  `conversation.changed` (professionals), `identification.changed` (the
  resident's socket: the state, and the link while it waits to be opened) and,
  on success, `identity.verified` (professionals only: who the person is).
"""

from __future__ import annotations

from typing import Any

from conversations import realtime
from conversations.actions import announce_change, record
from conversations.events import IdentificationChanged, IdentityVerified
from conversations.models import (
    ActorKind,
    Conversation,
    ConversationEvent,
    EventKind,
    IdentificationState,
)
from identity.models import IdentificationRequest, IdentityBinding
from identity.selectors import person_of, start_link

REQUESTED = EventKind.IDENTIFICATION_REQUESTED
STARTED = EventKind.IDENTIFICATION_STARTED
COMPLETED = EventKind.IDENTIFICATION_COMPLETED
FAILED = EventKind.IDENTIFICATION_FAILED
CANCELLED = EventKind.IDENTIFICATION_CANCELLED
EXPIRED = EventKind.IDENTIFICATION_EXPIRED
KINDS = (REQUESTED, STARTED, COMPLETED, FAILED, CANCELLED, EXPIRED)

STATE_OF = {
    REQUESTED: IdentificationState.REQUESTED,
    STARTED: IdentificationState.STARTED,
    COMPLETED: IdentificationState.COMPLETED,
    FAILED: IdentificationState.FAILED,
    CANCELLED: IdentificationState.CANCELLED,
    EXPIRED: IdentificationState.EXPIRED,
}


def record_and_announce(
    conversation: Conversation,
    kind: EventKind,
    *,
    request: IdentificationRequest,
    actor_kind: ActorKind,
    actor=None,
    payload: dict[str, Any],
    binding: IdentityBinding | None = None,
) -> ConversationEvent:
    """Append the timeline row, update the conversation's summary and publish
    the change after commit. The conversation row is locked by the caller."""
    event = record(conversation, kind, actor_kind=actor_kind, actor=actor, payload=payload)
    state = STATE_OF[kind]
    conversation.identification = state
    conversation.identification_failure = (
        request.failure_code if kind in (FAILED, CANCELLED, EXPIRED) else ""
    )
    fields = ["identification", "identification_failure"]
    if binding is not None:
        conversation.identified_at = binding.identified_at
        fields.append("identified_at")
    conversation.save(update_fields=fields)

    announce_change(conversation, event)
    waiting = kind == REQUESTED
    realtime.publish(
        IdentificationChanged(
            conversation=conversation.pk,
            event_id=event.pk,
            state=state,
            identified=conversation.identified_at is not None,
            failure=conversation.identification_failure,
            link=start_link(request) if waiting else "",
            expires=request.expires_at.isoformat() if waiting else "",
        )
    )
    if binding is not None:
        realtime.publish(
            IdentityVerified(
                conversation=conversation.pk,
                assigned_to=conversation.assigned_to_id,
                **person_of(binding),
            )
        )
    return event
