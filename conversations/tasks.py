"""Periodic housekeeping. Tasks are thin: they find ids and call actions."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from conversations import actions, hours
from conversations.errors import DomainError
from conversations.models import CloseReason, Conversation, ConversationStatus
from conversations.selectors import services_with_hours


@shared_task
def close_waiting_in_closed_services() -> int:
    """Residents still queueing a while after their service closed are told that it
    closed, instead of waiting for nobody. Returns how many were closed."""
    grace = timedelta(minutes=settings.WAITING_GRACE_AFTER_CLOSING_MINUTES)
    now = timezone.now()
    closed_services = [
        s.pk
        for s in services_with_hours()
        if not hours.is_open(s, now) and not hours.is_open(s, now - grace)
    ]
    closed = 0
    for conversation_id in Conversation.objects.filter(
        service_id__in=closed_services, status=ConversationStatus.WAITING
    ).values_list("id", flat=True):
        try:
            actions.close_conversation(
                conversation_id=conversation_id, reason=CloseReason.SERVICE_CLOSED, by_system=True
            )
            closed += 1
        except DomainError:  # claimed or closed meanwhile
            continue
    return closed
