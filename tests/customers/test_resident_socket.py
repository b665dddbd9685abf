"""The resident's socket: identity codes masked, queue position live, state changes."""

import pytest
from channels.db import database_sync_to_async

from conversations import actions
from conversations.models import ConversationEvent, Message
from identity import hetu
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_identity_code_in_a_message_is_masked_before_storing_and_delivery(
    conversation, professional, resident_socket, staff_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    resident = await resident_socket(conversation)
    pro = await staff_socket(professional)
    await resident.send(
        {"type": "message.send", "client_id": "h1", "body": "Min kod är 010280–952L tack"}
    )
    ack = await resident.recv_until("message.ack")
    assert ack["masked"] is True
    delivered = await pro.recv_until("message.new")
    assert "952L" not in delivered["body"] and hetu.MASK in delivered["body"]

    @database_sync_to_async
    def stored():
        return (
            list(Message.objects.values_list("body", flat=True)),
            list(
                ConversationEvent.objects.filter(kind="identity_code_masked").values_list(
                    "payload", flat=True
                )
            ),
        )

    bodies, events = await stored()
    assert bodies == [f"Min kod är {hetu.MASK} tack"]
    assert events == [{"count": 1, "where": "message"}]


async def test_queue_position_updates_live_and_claim_changes_state(
    service, professional, resident_socket
):
    first = await database_sync_to_async(ConversationFactory)(service=service)
    second = await database_sync_to_async(ConversationFactory)(service=service)
    resident = await resident_socket(second)
    assert resident.hello["conversation"]["position"] == 2

    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=first.pk, professional=professional
    )
    assert await resident.recv_until("queue.position") == {
        "type": "queue.position",
        "position": 1,
        "waiting": 1,
    }

    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=second.pk, professional=professional
    )
    state = await resident.recv_until("conversation.state")
    assert (state["change"], state["status"], state["professional_name"]) == (
        "claimed",
        "active",
        professional.first_name,
    )
    assert "resident_name" not in state and "matter" not in state  # nothing of other residents


async def test_resident_cannot_close_but_can_leave(
    conversation, professional, resident_socket, staff_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    resident = await resident_socket(conversation)
    pro = await staff_socket(professional)
    await resident.send(
        {"type": "conversation.close", "conversation": conversation.pk, "reason": "x"}
    )
    assert (await resident.recv())["code"] == "unknown_type"
    await resident.send({"type": "conversation.leave"})
    left = await pro.recv_until("conversation.changed")
    assert left["change"] == "resident_left" and left["conversation"]["status"] == "active"
    state = await resident.recv_until("conversation.state")
    assert state["resident_left"] is True
