"""The publisher: one bad event never stops live delivery, and inside the
server events go through the non-blocking path (no async_to_sync)."""

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async

from conversations import actions, realtime
from conversations.events import Event, Typing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_the_publisher_logs_a_failing_event_and_delivers_the_next(caplog):
    loop = asyncio.get_running_loop()
    sent: list[str] = []

    class Broken(Event):
        type = "broken.event"

    async def fake_send(outgoing):
        if outgoing.event.type == "broken.event":
            raise RuntimeError("layer refused")
        sent.append(outgoing.event.type)

    original = realtime._send
    realtime._send = fake_send
    try:
        bad = realtime.Outgoing(event=Broken(), message={"type": "broken.event"}, groups=("x",))
        good = realtime.Outgoing.of(
            Typing(conversation=1, author_kind="staff", active=True, sender="s")
        )
        with caplog.at_level(logging.ERROR, logger="conversations.realtime"):
            realtime._enqueue(loop, bad)
            realtime._enqueue(loop, good)
            for _ in range(50):
                if sent:
                    break
                await asyncio.sleep(0.01)
    finally:
        realtime._send = original
    assert sent == ["typing.changed"]
    assert "publishing broken.event failed" in caplog.text


def test_an_event_without_a_route_fails_inside_the_action_not_later():
    class Unrouted(Event):
        type = "unrouted.event"

    with pytest.raises(TypeError, match="no route"):
        realtime.publish(Unrouted())


async def test_inside_the_server_events_never_block_the_database_thread(
    conversation, professional, resident_socket, staff_socket, monkeypatch
):
    """The action runs in asgiref's database thread; if send_now fell back to
    async_to_sync there, this would raise instead of delivering."""

    def forbidden(*args, **kwargs):
        raise AssertionError("async_to_sync used inside the server")

    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    resident = await resident_socket(conversation)
    pro = await staff_socket(professional)
    monkeypatch.setattr(realtime, "async_to_sync", forbidden)
    await resident.send({"type": "message.send", "client_id": "r1", "body": "Hej"})
    assert (await resident.recv_until("message.ack"))["seq"] == 1
    assert (await pro.recv_until("message.new"))["body"] == "Hej"
