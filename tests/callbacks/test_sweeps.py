"""A call-back needs no open page: the ghost-resident sweep leaves it, queue
positions count it, the closed-service sweep leaves it. Time is passed as `now`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conversations import selectors, sweeps
from conversations.actions import connections, lifecycle
from conversations.models import CallbackSource, ConversationStatus, OpeningHours
from tests.conftest import resident_cookie
from tests.factories import ConversationFactory, ServiceFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now()
LATER = T0 + timedelta(hours=3)  # far past RESIDENT_GONE_GRACE_SECONDS
HELSINKI = ZoneInfo("Europe/Helsinki")


def gone(conversation, at=T0):
    """The resident's only socket closed at `at` (the page was closed)."""
    connections.resident_socket_opened(conversation_id=conversation.pk, channel_name="s", now=at)
    connections.resident_socket_closed(conversation_id=conversation.pk, channel_name="s", now=at)


def status(conversation) -> str:
    conversation.refresh_from_db()
    return conversation.status


def test_a_call_back_whose_resident_closed_the_page_is_not_abandoned(service):
    callback = ConversationFactory(service=service, callback_source=CallbackSource.QUEUE)
    chat = ConversationFactory(service=service)
    gone(callback)
    gone(chat)
    assert sweeps.abandon_ghost_residents(now=LATER) == 1
    assert status(callback) == ConversationStatus.WAITING
    assert status(chat) == ConversationStatus.CLOSED  # the rule still holds for chats


def test_a_contact_request_never_connected_is_not_abandoned(service):
    request = ConversationFactory(
        service=service, callback_source=CallbackSource.CLOSED, created_at=T0
    )
    assert sweeps.abandon_ghost_residents(now=LATER) == 0
    assert status(request) == ConversationStatus.WAITING


def test_queue_positions_count_a_call_back_without_its_page(service):
    callback = ConversationFactory(
        service=service, callback_source=CallbackSource.QUEUE, created_at=T0
    )
    ghost = ConversationFactory(service=service, created_at=T0 + timedelta(seconds=1))
    later = ConversationFactory(service=service, created_at=T0 + timedelta(seconds=2))
    gone(callback)
    gone(ghost)
    assert selectors.waiting_ids(service_id=service.pk) == [callback.pk, later.pk]
    later.refresh_from_db()
    assert selectors.queue_position(conversation=later) == 2
    assert selectors.queue_lengths(service_ids=[service.pk]) == {service.pk: 2}


def test_a_contact_request_survives_the_closed_service_sweep(settings):
    settings.WAITING_GRACE_AFTER_CLOSING_MINUTES = 15
    service = ServiceFactory(always_open=False, contact_requests=True)
    OpeningHours.objects.bulk_create(
        OpeningHours(service=service, weekday=d, opens=time(8), closes=time(16)) for d in range(7)
    )
    request = ConversationFactory(service=service, callback_source=CallbackSource.CLOSED)
    callback = ConversationFactory(service=service, callback_source=CallbackSource.QUEUE)
    chat = ConversationFactory(service=service)
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=HELSINKI)
    assert sweeps.close_waiting_in_closed_services(now=evening) == 1
    assert status(chat) == ConversationStatus.CLOSED
    assert status(request) == ConversationStatus.WAITING
    assert status(callback) == ConversationStatus.WAITING


def test_end_and_clear_keeps_the_call_back(client, service, settings):
    """A resident on a shared computer clears the browser after asking to be called."""
    callback = ConversationFactory(service=service, callback_source=CallbackSource.QUEUE)
    name, key = resident_cookie(callback).decode().split("=", 1)
    client.cookies[name] = key
    assert client.post("/widget/end/").status_code == 302
    assert status(callback) == ConversationStatus.WAITING
    chat = ConversationFactory(service=service)
    lifecycle.mark_resident_left(conversation_id=chat.pk)
    assert status(chat) == ConversationStatus.CLOSED
