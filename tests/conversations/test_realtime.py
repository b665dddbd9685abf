"""The publisher: one bad event never stops live delivery, and inside the
server events go through the non-blocking path (no async_to_sync)."""

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async

from conversations import actions, realtime
from conversations.events import ConversationChanged, ConversationSummary, Event, Typing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


async def test_the_publisher_logs_a_failing_event_and_delivers_the_next(caplog, monkeypatch):
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: None)  # one send per event
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
            realtime.publisher_for(loop).put(bad)
            realtime.publisher_for(loop).put(good)
            for _ in range(50):
                if sent:
                    break
                await asyncio.sleep(0.01)
    finally:
        realtime._send = original
    assert sent == ["typing.changed"]
    assert "publishing broken.event failed" in caplog.text


async def test_events_handed_over_from_another_thread_wake_the_loop_once_in_order(monkeypatch):
    """A batch's commit hands one event per message from the database thread:
    they arrive in order, with one wake-up of the loop for everything handed over
    before it runs (here the hand-over runs while the loop cannot, as when the
    database thread holds the GIL through a commit's callbacks)."""
    loop = asyncio.get_running_loop()
    sent: list[int] = []
    wakeups = []

    async def fake_send(outgoing):
        sent.append(outgoing.event.conversation)

    monkeypatch.setattr(realtime, "_send", fake_send)
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: None)  # one send per event
    inbox = realtime._inbox_for(loop)
    real_drain = inbox.drain

    def counted_drain():
        wakeups.append(1)
        real_drain()

    monkeypatch.setattr(inbox, "drain", counted_drain)

    def commit_a_batch():
        for i in range(1, 51):
            token = realtime.server_loop.set(loop)
            try:
                realtime.send_now(
                    realtime.Outgoing.of(
                        Typing(conversation=i, author_kind="staff", active=True, sender="s")
                    )
                )
            finally:
                realtime.server_loop.reset(token)

    commit_a_batch()
    for _ in range(100):
        if len(sent) == 50:
            break
        await asyncio.sleep(0.01)
    assert sorted(sent) == list(range(1, 51))
    assert len(wakeups) == 1
    # And the next hand-over, from another thread, wakes it again.
    await asyncio.to_thread(commit_a_batch)
    for _ in range(100):
        if len(sent) == 100:
            break
        await asyncio.sleep(0.01)
    assert sorted(sent[50:]) == list(range(1, 51)) and len(wakeups) >= 2


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


@pytest.mark.parametrize(
    ("status", "change", "to_service"),
    [
        ("active", "resident_disconnected", False),
        ("active", "resident_connected", False),
        ("active", "idle_flagged", False),
        ("active", "crisis_matched", False),
        ("active", "claimed", True),
        ("active", "transferred", True),
        ("waiting", "resident_disconnected", True),
        ("waiting", "crisis_matched", True),
        ("closed", "closed", True),
    ],
)
def test_the_service_s_professionals_hear_what_changes_its_queue_not_inside_others_chats(
    status, change, to_service
):
    summary = ConversationSummary(
        id=7,
        service=3,
        status=status,
        resident_name="",
        matter="",
        language="sv",
        created="",
        assigned_to=5 if status == "active" else None,
        resident_left=False,
        last_seq=0,
    )
    groups = realtime.recipients(
        ConversationChanged(event_id=1, change=change, conversation=summary)
    )
    assert realtime.conversation_group(7) in groups
    assert (realtime.service_group(3) in groups) is to_service
    if status == "active":
        assert realtime.staff_group(5) in groups  # the assignee always
