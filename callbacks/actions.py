"""Every write of a call-back. Each step appends a timeline row in its transaction
(EventKind.CALLBACK_REQUESTED, CONTACT_REQUESTED, CALLBACK_ATTEMPTED; the claim is
the core's CLAIMED) and is announced after the commit: `conversation.changed` to
professionals and the resident's `callback.state`.

A call-back is a conversation that waits in its service's queue like a chat; it
keeps its place (the queue is ordered by arrival) without an open page
(conversations.selectors.PRESENT, conversations.sweeps)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from callbacks import selectors
from callbacks.errors import CallbackError
from callbacks.events import CallbackChanged
from conversations import realtime
from conversations.actions import announce, record
from conversations.actions._common import StaffUser, locked
from conversations.actions.lifecycle import (
    close_by_professional,
    close_by_system,
    open_conversation,
)
from conversations.errors import DomainError
from conversations.models import (
    ActorKind,
    CallbackOutcome,
    CallbackSource,
    Conversation,
    ConversationStatus,
    EventKind,
    Service,
    SystemCloseCode,
)

# The close reason of a reached call-back (Conversation.close_reason holds a
# professional's reason code; this one is the call-back's own).
REACHED_CLOSE_REASON = "callback_reached"


def _publish_state(conversation: Conversation, state: str = "") -> None:
    """The resident's `callback.state`. A closing one is published before the
    close itself, so that the page hears it before it stops listening."""
    state = state or selectors.callback_state(conversation=conversation)
    if state:
        realtime.publish(
            CallbackChanged(
                conversation=conversation.pk,
                state=state,
                attempts=conversation.callback_attempts,
                phone_end=selectors.phone_end(conversation.resident_phone),
            )
        )


def _locked(conversation_id: int) -> Conversation:
    try:
        return locked(conversation_id)
    except DomainError:
        raise CallbackError("not_found") from None


@transaction.atomic
def request_callback(*, conversation_id: int) -> Conversation:
    """The waiting resident asks to be called back at the number they gave
    instead of waiting on the page. Only while it is offered (the estimated wait
    exceeds the service's threshold); asking twice is harmless."""
    conversation = _locked(conversation_id)
    if conversation.callback_source:
        return conversation
    if conversation.status == ConversationStatus.CLOSED:
        raise CallbackError("conversation_closed")
    if conversation.status != ConversationStatus.WAITING:
        raise CallbackError("not_waiting")
    if not selectors.is_offered(conversation=conversation):
        raise CallbackError("not_offered")
    conversation.callback_source = CallbackSource.QUEUE
    conversation.callback_at = timezone.now()
    conversation.save(update_fields=["callback_source", "callback_at"])
    event = record(conversation, EventKind.CALLBACK_REQUESTED, actor_kind=ActorKind.RESIDENT)
    # Its place now counts whether the page is open or not: the queue's order changed.
    announce(conversation, event)
    _publish_state(conversation)
    return conversation


@transaction.atomic
def leave_contact_request(
    *,
    service: Service,
    name: str,
    phone: str,
    matter: str,
    language: str,
    identity_codes_masked: int = 0,
) -> Conversation:
    """A resident asks to be called while the service is closed. The request waits
    in the service's queue and its professionals see it when they open.

    Callers validate the fields and mask identity codes first (customers.forms);
    this re-checks the limits and the rules so that no path can skip them."""
    return open_conversation(
        service=service,
        name=name,
        phone=phone,
        matter=matter,
        language=language,
        identity_codes_masked=identity_codes_masked,
        admissible=_takes_contact_requests,
        kind=EventKind.CONTACT_REQUESTED,
        where="contact_request",
        callback_source=CallbackSource.CLOSED,
        callback_at=timezone.now(),
    )


def _takes_contact_requests(service: Service) -> None:
    if not service.contact_requests:
        raise CallbackError("contact_requests_off")
    if not selectors.takes_contact_requests(service=service):
        raise CallbackError("service_open")


@transaction.atomic
def record_outcome(
    *, conversation_id: int, professional: StaffUser, outcome: CallbackOutcome
) -> Conversation:
    """The assigned professional called. `reached`: the conversation closes as
    handled. `no_answer` / `try_again`: one attempt more, and back in the queue
    in its place for anyone to try again; after CALLBACK_MAX_ATTEMPTS it closes
    as not reached."""
    outcome = CallbackOutcome(outcome)
    conversation = _locked(conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise CallbackError("conversation_closed")
    if (
        conversation.status != ConversationStatus.ACTIVE
        or conversation.assigned_to_id != professional.pk
    ):
        raise CallbackError("not_assigned")
    if not conversation.callback_source:
        raise CallbackError("not_callback")
    conversation.callback_attempts += 1
    conversation.callback_outcome = outcome
    event_payload = {"outcome": outcome.value, "attempt": conversation.callback_attempts}
    if outcome == CallbackOutcome.REACHED:
        conversation.save(update_fields=["callback_attempts", "callback_outcome"])
        record(
            conversation,
            EventKind.CALLBACK_ATTEMPTED,
            actor_kind=ActorKind.STAFF,
            actor=professional,
            payload=event_payload,
        )
        _publish_state(conversation, "reached")
        return close_by_professional(
            conversation_id=conversation.pk,
            professional=professional,
            reason=REACHED_CLOSE_REASON,
        )
    # Back to the queue: ordered by arrival, so it is where it was.
    conversation.status = ConversationStatus.WAITING
    conversation.assigned_to = None
    conversation.claimed_at = None
    conversation.save(
        update_fields=[
            "callback_attempts",
            "callback_outcome",
            "status",
            "assigned_to",
            "claimed_at",
        ]
    )
    event = record(
        conversation,
        EventKind.CALLBACK_ATTEMPTED,
        actor_kind=ActorKind.STAFF,
        actor=professional,
        payload=event_payload,
    )
    if conversation.callback_attempts >= selectors.max_attempts():
        _publish_state(conversation, "not_reached")
        return close_by_system(conversation_id=conversation.pk, code=SystemCloseCode.NOT_REACHED)
    announce(conversation, event)
    _publish_state(conversation)
    return conversation
