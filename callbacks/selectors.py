"""Reads for call-backs: whether one is offered, where one is, what the
resident's page may show of the number."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from conversations import hours, selectors
from conversations.models import (
    CallbackOutcome,
    Conversation,
    ConversationStatus,
    Service,
    SystemCloseCode,
)

PHONE_END_DIGITS = 3


def phone_end(phone: str) -> str:
    """The last digits of a phone number: enough for the resident to recognise
    their number, too few to be a number (pages show no more than this)."""
    digits = [c for c in phone if c.isdigit()]
    return "".join(digits[-PHONE_END_DIGITS:])


def max_attempts() -> int:
    """After this many calls nobody answered, a call-back closes as not reached."""
    return max(1, settings.CALLBACK_MAX_ATTEMPTS)


def estimated_wait(*, conversation: Conversation) -> int | None:
    """The estimate the resident's page shows (customers.selectors.chat_page_state)."""
    pace = selectors.minutes_per_position(service_ids=[conversation.service_id])
    return selectors.estimated_wait_minutes(
        position=selectors.queue_position(conversation=conversation),
        minutes_per_position=pace[conversation.service_id],
    )


def is_offered(*, conversation: Conversation) -> bool:
    """A waiting chat whose estimated wait exceeds the service's threshold."""
    after = conversation.service.callback_after_minutes
    if after is None or conversation.callback_source:
        return False
    if conversation.status != ConversationStatus.WAITING or conversation.resident_left_at:
        return False
    wait = estimated_wait(conversation=conversation)
    return wait is not None and wait > after


def callback_state(*, conversation: Conversation) -> str:
    """Where a call-back is, as the resident's page says it ("" for a chat, and
    for a call-back a professional closed without marking it)."""
    if not conversation.callback_source:
        return ""
    if conversation.status == ConversationStatus.CLOSED:
        if conversation.system_close_code == SystemCloseCode.NOT_REACHED:
            return "not_reached"
        return "reached" if conversation.callback_outcome == CallbackOutcome.REACHED else ""
    if conversation.status == ConversationStatus.ACTIVE:
        return "calling"
    return "retry" if conversation.callback_attempts else "requested"


def resident_callback(*, conversation: Conversation) -> dict[str, Any]:
    """What the resident's chat page shows of the call-back: its state, the
    service's threshold, the end of the number."""
    return {
        "state": callback_state(conversation=conversation),
        "after_minutes": conversation.service.callback_after_minutes,
        "phone_end": phone_end(conversation.resident_phone),
        "attempts": conversation.callback_attempts,
    }


def resident_callback_of(*, conversation_id: int) -> dict[str, Any] | None:
    """The same, for the resident's socket, which holds only the id (the socket
    speaks only for the session's own conversation)."""
    conversation = Conversation.objects.select_related("service").filter(pk=conversation_id).first()
    return None if conversation is None else resident_callback(conversation=conversation)


def takes_contact_requests(*, service: Service) -> bool:
    """A contact request can be left now: the service takes them and is closed."""
    return service.is_active and service.contact_requests and not hours.is_open(service)
