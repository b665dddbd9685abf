"""The delivery promise under network-like conditions: every message once, in
seq order, per socket, also when a socket reconnects while the other party
keeps writing over a link with latency."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from conversations import actions, consumers, realtime
from conversations.events import MessageNew
from tests.conftest import Socket, resident_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

LATENCY = 0.05  # one way; an ordinary mobile link


async def pro_sends(pro, conversation, start: int, count: int, pause: float = 0.01):
    for i in range(start, start + count):
        await pro.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "client_id": f"p{i}",
                "body": f"m{i}",
            }
        )
        await pro.recv_until("message.ack")
        await asyncio.sleep(pause)


async def seqs_until_quiet(sock: Socket, until_seq: int) -> list[int]:
    seen: list[int] = []
    while not seen or seen[-1] != until_seq:
        frame = await sock.recv(timeout=5)
        if frame["type"] == "message.new":
            seen.append(frame["seq"])
    return seen


async def test_reconnect_while_the_other_party_writes_gets_every_message_once_in_order(
    conversation, professional, resident_socket, staff_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    await pro_sends(pro, conversation, 1, 3)  # the resident shows 1–3, then the link drops

    writer = asyncio.create_task(pro_sends(pro, conversation, 4, 20))
    await asyncio.sleep(0.1)  # messages arrive while the resident is away
    cookie = await database_sync_to_async(resident_cookie)(conversation)
    back = Socket("/ws/v1/resident/", cookie)
    await back.connect()
    hello = await back.recv()
    assert hello["type"] == "hello"
    await asyncio.sleep(LATENCY * 2)  # the client's sync crosses the link while pro writes
    await back.send({"type": "sync", "after_seq": 3})
    await writer
    try:
        seen = await seqs_until_quiet(back, 23)
        assert seen == list(range(4, 24)), seen
        assert await back.nothing()
    finally:
        await back.close()


async def test_sync_beyond_the_last_message_answers_the_real_last_seq(
    conversation, professional, resident_socket, staff_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    resident = await resident_socket(conversation)
    await pro_sends(pro, conversation, 1, 2)
    await resident.send({"type": "sync", "after_seq": 50})
    done = await resident.recv_until("sync.done")
    assert done["last_seq"] == 2
    await pro_sends(pro, conversation, 3, 1)
    assert (await resident.recv_until("message.new"))["seq"] == 3


async def test_without_a_sync_live_delivery_starts_after_the_hold(
    conversation, professional, staff_socket, settings, monkeypatch
):
    monkeypatch.setattr("conversations.consumers.HOLD_SECONDS", 0.2)
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    cookie = await database_sync_to_async(resident_cookie)(conversation)
    silent = Socket("/ws/v1/resident/", cookie)
    await silent.connect()
    await silent.recv()  # hello, and no sync
    try:
        await pro_sends(pro, conversation, 1, 2)
        got = [(await silent.recv_until("message.new", timeout=3))["seq"] for _ in range(2)]
        assert got == [1, 2]
    finally:
        await silent.close()


async def _synced_resident(conversation, professional, resident_socket):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    resident = await resident_socket(conversation)
    await resident.send({"type": "sync", "after_seq": 0})
    await resident.recv_until("sync.done")
    return resident


def _count_reads(monkeypatch) -> list:
    """The socket's reads of messages from the database, as they happen."""
    reads: list = []
    real = consumers._messages_after

    def counted(*args):
        reads.append(args)
        return real(*args)

    monkeypatch.setattr(consumers, "_messages_after", counted)
    return reads


def _live(conversation, seq: int, body: str) -> dict:
    return MessageNew(
        conversation=conversation.pk,
        seq=seq,
        client_id=f"c{seq}",
        author_kind="staff",
        author_name="Anna",
        body=body,
        created="2026-11-25T12:00:00+00:00",
    ).as_message()


async def test_a_message_ahead_of_a_gap_waits_for_the_one_before_it_on_the_layer(
    conversation, professional, resident_socket, monkeypatch
):
    # Two server processes publish one conversation's messages, each its own
    # authors': seq 2 may cross the layer before seq 1. The socket waits for 1
    # instead of reading the database (which, here, has neither: a read would
    # show as a missing 1).
    resident = await _synced_resident(conversation, professional, resident_socket)
    reads = _count_reads(monkeypatch)
    layer = get_channel_layer()
    group = realtime.conversation_group(conversation.pk)
    await layer.group_send(group, _live(conversation, 2, "second"))
    await asyncio.sleep(LATENCY)  # the first is a few milliseconds behind
    await layer.group_send(group, _live(conversation, 1, "first"))
    got = [await resident.recv_until("message.new") for _ in range(2)]
    assert [(f["seq"], f["body"]) for f in got] == [(1, "first"), (2, "second")]
    assert reads == []
    assert await resident.nothing(consumers.REORDER_SECONDS + 0.2)  # and no late fill


async def test_a_gap_the_layer_does_not_fill_in_time_is_read_from_the_database(
    conversation, professional, resident_socket, monkeypatch
):
    monkeypatch.setattr(consumers, "REORDER_SECONDS", 0.2)
    resident = await _synced_resident(conversation, professional, resident_socket)
    monkeypatch.setattr(realtime, "publish", lambda event: None)  # the layer loses them all

    @database_sync_to_async
    def post(i):
        return actions.post_message(
            conversation_id=conversation.pk,
            author_kind="staff",
            author=professional,
            body=f"stored {i}",
            client_id=f"s{i}",
        )

    for i in range(1, 4):
        await post(i)
    layer = get_channel_layer()
    await layer.group_send(
        realtime.conversation_group(conversation.pk), _live(conversation, 3, "stored 3")
    )
    got = [await resident.recv_until("message.new", timeout=3) for _ in range(3)]
    assert [(f["seq"], f["body"]) for f in got] == [(i, f"stored {i}") for i in (1, 2, 3)]
    assert await resident.nothing(0.3)


async def test_a_closed_gap_s_timer_does_not_cut_short_the_wait_of_a_newer_gap(
    conversation, professional, resident_socket, monkeypatch
):
    monkeypatch.setattr(consumers, "REORDER_SECONDS", 0.4)
    resident = await _synced_resident(conversation, professional, resident_socket)
    reads = _count_reads(monkeypatch)
    layer = get_channel_layer()
    group = realtime.conversation_group(conversation.pk)
    await layer.group_send(group, _live(conversation, 2, "two"))
    await asyncio.sleep(LATENCY)
    await layer.group_send(group, _live(conversation, 1, "one"))  # that gap closed in time
    await asyncio.sleep(0.3)
    await layer.group_send(group, _live(conversation, 4, "four"))  # a new one opens
    await asyncio.sleep(0.2)  # past the first gap's timer, within the second's wait
    await layer.group_send(group, _live(conversation, 3, "three"))
    got = [await resident.recv_until("message.new") for _ in range(4)]
    assert [f["body"] for f in got] == ["one", "two", "three", "four"]
    assert reads == []


async def test_a_sync_after_the_hold_ran_out_sends_only_what_the_socket_has_not_sent(
    conversation, professional, staff_socket, monkeypatch
):
    """A busy server or a slow link: the hold runs out and live delivery starts
    from the hello's last seq; the client's late sync then gets what it lacks
    before that, and never a message this socket already sent."""
    monkeypatch.setattr(consumers, "HOLD_SECONDS", 0.2)
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    await pro_sends(pro, conversation, 1, 2)  # before the resident's page connects
    cookie = await database_sync_to_async(resident_cookie)(conversation)
    late = Socket("/ws/v1/resident/", cookie)
    await late.connect()
    try:
        assert (await late.recv())["conversation"]["last_seq"] == 2  # hello
        await asyncio.sleep(0.3)  # the hold runs out
        await pro_sends(pro, conversation, 3, 1)
        assert (await late.recv_until("message.new", timeout=3))["seq"] == 3
        await late.send({"type": "sync", "after_seq": 0})  # the page shows nothing yet
        got = []
        while True:
            frame = await late.recv(timeout=3)
            if frame["type"] == "sync.done":
                break
            if frame["type"] == "message.new":
                got.append(frame["seq"])
        assert got == [1, 2]  # 3 went out already
        assert frame["last_seq"] == 3
        await pro_sends(pro, conversation, 4, 1)
        assert (await late.recv_until("message.new"))["seq"] == 4
        assert await late.nothing(0.3)
    finally:
        await late.close()


async def test_a_gap_whose_timer_was_lost_is_filled_by_the_next_message(
    conversation, professional, resident_socket, monkeypatch
):
    """The timer's own message can be refused by a full channel: the next live
    message after the wait fills the gap instead of joining it."""
    monkeypatch.setattr(consumers, "REORDER_SECONDS", 0.2)
    resident = await _synced_resident(conversation, professional, resident_socket)
    monkeypatch.setattr(realtime, "publish", lambda event: None)
    monkeypatch.setattr(consumers.ChatConsumer, "_later", lambda self, kind, cid: None)

    @database_sync_to_async
    def post(i):
        return actions.post_message(
            conversation_id=conversation.pk,
            author_kind="staff",
            author=professional,
            body=f"stored {i}",
            client_id=f"s{i}",
        )

    for i in range(1, 5):
        await post(i)
    layer = get_channel_layer()
    group = realtime.conversation_group(conversation.pk)
    await layer.group_send(group, _live(conversation, 3, "stored 3"))
    await asyncio.sleep(1.0)  # well past the wait, also on a busy machine
    await layer.group_send(group, _live(conversation, 4, "stored 4"))
    got = [await resident.recv_until("message.new", timeout=3) for _ in range(4)]
    assert [f["seq"] for f in got] == [1, 2, 3, 4]
