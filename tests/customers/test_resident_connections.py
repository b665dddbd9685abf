"""Ghost residents, over real sockets: the professional sees whether the
resident is connected, other residents' positions skip a resident whose page
is gone, and after the grace period a waiting ghost leaves the queue."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from conversations import actions, sweeps
from conversations.models import ResidentConnection
from tests.conftest import resident_cookie
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_the_professional_sees_the_resident_go_and_come_back(
    conversation, professional, staff_socket, resident_socket, open_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    resident = await resident_socket(conversation)
    assert pro.hello["active"][0]["resident_connected"] is True

    await resident.close()
    gone = await pro.recv_until("conversation.changed")
    assert gone["change"] == "resident_disconnected"
    assert gone["conversation"]["resident_connected"] is False

    cookie = await database_sync_to_async(resident_cookie)(conversation)
    again = await open_socket("/ws/v1/resident/", cookie, expect_hello=False)
    assert (await again.recv())["type"] == "hello"
    back = await pro.recv_until("conversation.changed")
    assert back["change"] == "resident_connected"
    assert back["conversation"]["resident_connected"] is True
    # The resident's own page is not told about its own connection.
    assert await again.nothing(0.5)


async def test_a_reload_keeps_the_place_and_a_closed_tab_leaves_after_the_grace(
    service, professional, staff_socket, resident_socket
):
    ahead = await database_sync_to_async(ConversationFactory)(service=service)
    behind = await database_sync_to_async(ConversationFactory)(service=service)
    pro = await staff_socket(professional)
    first = await resident_socket(ahead)
    second = await resident_socket(behind)
    assert second.hello["conversation"]["position"] == 2

    # The resident ahead closes the tab: the one behind is next at once.
    await first.close()
    assert (await second.recv_until("queue.position"))["position"] == 1
    disconnected = await pro.recv_until("conversation.changed")
    assert (disconnected["change"], disconnected["conversation"]["id"]) == (
        "resident_disconnected",
        ahead.pk,
    )

    # Within the grace period nothing is closed; after it, the ghost leaves the queue.
    now = timezone.now()
    assert await database_sync_to_async(sweeps.abandon_ghost_residents)(now=now) == 0
    later = now + timedelta(seconds=121)
    assert await database_sync_to_async(sweeps.abandon_ghost_residents)(now=later) == 1
    closed = await pro.recv_until("conversation.changed")
    assert (closed["change"], closed["conversation"]["id"]) == ("closed", ahead.pk)
    assert closed["system_close_code"] == "abandoned"
    assert await database_sync_to_async(ResidentConnection.objects.count)() == 1  # `second`'s
