"""Reads for the resident's side."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from conversations import hours, languages, selectors
from conversations.models import ActorKind, Conversation, Service, Weekday
from identity.selectors import resident_identification


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
        "peer_seen_seq": conversation.staff_seen_seq,
        "identification": resident_identification(conversation=conversation),
    }


@dataclass(frozen=True)
class ServiceCard:
    service: Service
    open_now: bool
    next_opening: datetime | None
    week: list[tuple[str, str]]  # (weekday name, "08:00–16:00, …" or "closed")
    waiting: int
    estimated_wait: int | None


def service_cards() -> list[ServiceCard]:
    """The service list with opening state, hours, queue length and estimated
    wait. A constant number of queries whatever the number of services."""
    services = list(selectors.services_with_hours())
    ids = [s.pk for s in services]
    lengths = selectors.queue_lengths(service_ids=ids)
    pace = selectors.minutes_per_position(service_ids=ids)
    now = timezone.now()
    cards = []
    for service in services:
        open_now = hours.is_open(service, now)
        cards.append(
            ServiceCard(
                service=service,
                open_now=open_now,
                next_opening=None if open_now else hours.next_opening(service, now),
                week=_week(service),
                waiting=lengths[service.pk],
                estimated_wait=(
                    selectors.estimated_wait_minutes(
                        position=lengths[service.pk] + 1, minutes_per_position=pace[service.pk]
                    )
                    if open_now
                    else None
                ),
            )
        )
    return cards


def _week(service: Service) -> list[tuple[str, str]]:
    rows = []
    for day, label in Weekday.choices:
        slots = [h for h in service.opening_hours.all() if h.weekday == day]
        text = (
            ", ".join(f"{h.opens:%H:%M}–{h.closes:%H:%M}" for h in slots)
            if slots
            else str(_("closed"))
        )
        rows.append((str(label), text.replace("23:59", "24:00")))
    return rows


def chat_page_state(*, conversation: Conversation) -> dict[str, Any]:
    """Everything the chat page shows before its socket connects."""
    state = resident_state(conversation=conversation)
    # The service's pace, slower for a language few of the available professionals speak.
    pace = selectors.minutes_per_position(service_ids=[conversation.service_id])[
        conversation.service_id
    ] * languages.wait_factor(
        languages.available_languages(service=conversation.service), conversation.language
    )
    state["estimated_wait"] = selectors.estimated_wait_minutes(
        position=state["position"], minutes_per_position=pace
    )
    state["minutes_per_position"] = pace
    state["max_wait_minutes"] = conversation.service.max_wait_minutes
    state["messages"] = selectors.messages_after(
        conversation_id=conversation.pk, after_seq=0, limit=10_000
    )
    return state
