"""Residents' connections across processes: who is still there, and a process's
heartbeat. Time is passed as `now`, never waited for."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import connections, selectors
from conversations.actions import connections as actions
from conversations.events import ConversationChanged, QueueChanged
from conversations.models import ConversationStatus, ResidentConnection
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now()


def changes(events) -> list[tuple[str, bool]]:
    return [
        (e.change, e.conversation.resident_connected)
        for e in events
        if isinstance(e, ConversationChanged)
    ]


def kinds(conversation) -> list[str]:
    return list(conversation.events.values_list("kind", flat=True))


def test_last_socket_gone_disconnects_the_resident_and_the_first_back_reconnects(
    conversation, events
):
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="a", now=T0)
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="b", now=T0)
    assert events == []  # connected from the start: nothing to announce

    # Closing one of two tabs changes nothing.
    actions.resident_socket_closed(conversation_id=conversation.pk, channel_name="a", now=T0)
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at is None and events == []

    later = T0 + timedelta(seconds=5)
    actions.resident_socket_closed(conversation_id=conversation.pk, channel_name="b", now=later)
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at == later
    assert changes(events) == [("resident_disconnected", False)]
    assert kinds(conversation)[-1] == "resident_disconnected"

    events.clear()
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="c", now=later)
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at is None
    assert changes(events) == [("resident_connected", True)]
    assert ResidentConnection.objects.get().channel_name == "c"


def test_a_closed_conversation_is_not_announced(conversation, events):
    conversation.status = ConversationStatus.CLOSED
    conversation.save()
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="a", now=T0)
    actions.resident_socket_closed(conversation_id=conversation.pk, channel_name="a", now=T0)
    assert events == []


def test_ghosts_do_not_count_in_other_residents_queue_position(service, events):
    first, second, third = (
        ConversationFactory(service=service, created_at=T0 + timedelta(seconds=i)) for i in range(3)
    )
    assert selectors.queue_position(conversation=third) == 3
    actions.resident_socket_opened(conversation_id=first.pk, channel_name="a", now=T0)
    actions.resident_socket_closed(conversation_id=first.pk, channel_name="a", now=T0)

    third.refresh_from_db()
    assert selectors.queue_position(conversation=third) == 2
    assert selectors.waiting_ids(service_id=service.pk) == [second.pk, third.pk]
    assert selectors.queue_lengths(service_ids=[service.pk]) == {service.pk: 2}
    # Other residents hear the shorter queue at once.
    queue = [e for e in events if isinstance(e, QueueChanged)]
    assert queue[-1].waiting == [second.pk, third.pk]


def test_an_active_chat_s_connection_flips_change_no_queue(service, professional, events):
    """Only its parties hear them; no queue order is computed or sent for them."""
    from conversations.actions import claim_conversation

    chat = ConversationFactory(service=service)
    claim_conversation(conversation_id=chat.pk, professional=professional)
    events.clear()
    actions.resident_socket_opened(conversation_id=chat.pk, channel_name="a", now=T0)
    actions.resident_socket_closed(conversation_id=chat.pk, channel_name="a", now=T0)
    assert changes(events) == [("resident_disconnected", False)]
    assert [e for e in events if isinstance(e, QueueChanged)] == []


def test_the_heartbeat_refreshes_only_this_process_rows(conversation):
    other = ConversationFactory(service=conversation.service)
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="mine", now=T0)
    connections.resident_sockets.add("mine", conversation.pk)
    ResidentConnection.objects.create(
        conversation=other, channel_name="theirs", process="another", last_seen=T0
    )
    later = T0 + timedelta(minutes=10)
    assert actions.refresh_resident_connections(now=later) == 1
    seen = dict(ResidentConnection.objects.values_list("channel_name", "last_seen"))
    assert seen == {"mine": later, "theirs": T0}


def test_the_heartbeat_puts_back_a_row_expired_under_a_live_socket(conversation, events):
    """E.g. the database was down longer than the staleness window, and another
    process's sweep expired this process's rows meanwhile."""
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="mine", now=T0)
    connections.resident_sockets.add("mine", conversation.pk)
    ResidentConnection.objects.all().delete()
    actions.expire_resident_connections_of(conversation_id=conversation.pk, now=T0)
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at == T0

    later = T0 + timedelta(seconds=30)
    actions.refresh_resident_connections(now=later)
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at is None
    assert ResidentConnection.objects.get().last_seen == later
    assert changes(events)[-1] == ("resident_connected", True)


def test_the_heartbeat_removes_a_row_whose_socket_is_gone(conversation):
    """The socket's close could not reach the database: its row must not stay
    fresh for ever (the resident would never count as gone)."""
    actions.resident_socket_opened(conversation_id=conversation.pk, channel_name="dead", now=T0)
    assert len(connections.resident_sockets) == 0
    actions.refresh_resident_connections(now=T0 + timedelta(seconds=30))
    assert not ResidentConnection.objects.exists()
    conversation.refresh_from_db()
    assert conversation.resident_disconnected_at == T0 + timedelta(seconds=30)


def test_a_consumer_that_died_without_its_disconnect_drops_out_of_the_heartbeat(conversation):
    class Consumer:
        pass

    holder = Consumer()
    connections.resident_sockets.add("ch", conversation.pk, holder=holder)
    assert connections.resident_sockets.snapshot() == {"ch": conversation.pk}
    del holder
    assert connections.resident_sockets.snapshot() == {}
