"""The staff socket shows a professional only the services they work in."""

import pytest
from channels.db import database_sync_to_async

from conversations import actions
from tests.factories import ConversationFactory, ServiceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_hello_and_live_queue_cover_only_my_services(service, professional, staff_socket):
    mine = await database_sync_to_async(ConversationFactory)(service=service)
    other_service = await database_sync_to_async(ServiceFactory)()
    await database_sync_to_async(ConversationFactory)(service=other_service)
    pro = await staff_socket(professional)
    assert [c["id"] for c in pro.hello["queue"]] == [mine.pk]
    assert pro.hello["services"] == [service.pk]

    @database_sync_to_async
    def open_in(svc, name):
        return actions.open_conversation(
            service=svc, name=name, phone="+358401234567", matter="m", language="fi"
        )

    await open_in(other_service, "Elsewhere")
    assert await pro.nothing()
    arrived = await open_in(service, "Here")
    frame = await pro.recv_until("conversation.changed")
    assert frame["change"] == "opened" and frame["conversation"]["id"] == arrived.pk
    assert (
        frame["conversation"]["resident_name"] == "Here"
        and frame["conversation"]["language"] == "fi"
    )


async def test_staff_cannot_read_a_conversation_outside_their_services(professional, staff_socket):
    elsewhere = await database_sync_to_async(ConversationFactory)()
    pro = await staff_socket(professional)
    await pro.send({"type": "sync", "conversation": elsewhere.pk, "after_seq": 0})
    assert (await pro.recv())["code"] == "not_found"
    await pro.send({"type": "conversation.claim", "conversation": elsewhere.pk})
    assert (await pro.recv())["code"] == "not_member"


async def test_claim_over_the_socket_starts_delivery_to_me(
    conversation, professional, staff_socket, resident_socket
):
    pro = await staff_socket(professional)
    resident = await resident_socket(conversation)
    await pro.send({"type": "conversation.claim", "conversation": conversation.pk})
    claimed = await pro.recv_until("conversation.changed")
    assert (
        claimed["change"] == "claimed" and claimed["conversation"]["assigned_to"] == professional.pk
    )
    assert await pro.nothing()  # heard through two groups, delivered once
    await resident.send({"type": "message.send", "client_id": "r1", "body": "Hej"})
    got = await pro.recv_until("message.new")
    assert got["body"] == "Hej"
