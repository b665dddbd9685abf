"""The core protocol over real consumers, once per channel layer (in-memory and
channels-redis); the database is whatever DATABASE_URL says (SQLite or PostgreSQL)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from conversations import actions
from conversations.models import Message
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


@database_sync_to_async
def claim(conversation, professional):
    return actions.claim_conversation(conversation_id=conversation.pk, professional=professional)


@database_sync_to_async
def stored(conversation):
    return list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "client_id")
    )


async def active_pair(conversation, professional, resident_socket, staff_socket):
    await claim(conversation, professional)
    resident = await resident_socket(conversation)
    pro = await staff_socket(professional)
    return resident, pro


async def test_resident_and_professional_exchange_messages(
    conversation, professional, resident_socket, staff_socket
):
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    assert resident.hello["conversation"]["status"] == "active"
    assert resident.hello["conversation"]["professional_name"] == professional.first_name

    await resident.send(
        {"type": "message.send", "client_id": "r-1", "body": "Hej, jag har en fråga"}
    )
    ack = await resident.recv_until("message.ack")
    assert (ack["seq"], ack["client_id"], ack["duplicate"]) == (1, "r-1", False)
    got = await pro.recv_until("message.new")
    assert (got["seq"], got["body"], got["author_kind"]) == (1, "Hej, jag har en fråga", "resident")
    assert got["conversation"] == conversation.pk

    await pro.send(
        {
            "type": "message.send",
            "conversation": conversation.pk,
            "client_id": "p-1",
            "body": "Hej!",
        }
    )
    assert (await pro.recv_until("message.ack"))["seq"] == 2
    own_echo = await resident.recv_until("message.new")
    assert (own_echo["seq"], own_echo["client_id"]) == (
        1,
        "r-1",
    )  # senders hear their own message too
    reply = await resident.recv_until("message.new")
    assert (reply["seq"], reply["body"], reply["author_kind"]) == (2, "Hej!", "staff")
    assert reply["author_name"] == professional.first_name
    assert await stored(conversation) == [(1, "r-1"), (2, "p-1")]


async def test_reconnect_with_after_seq_replays_exactly_the_missed_messages(
    conversation, professional, resident_socket, staff_socket
):
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    for i in range(1, 4):
        await pro.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "client_id": f"p{i}",
                "body": f"m{i}",
            }
        )
        await pro.recv_until("message.ack")
    seen = [(await resident.recv_until("message.new"))["seq"] for _ in range(3)]
    assert seen == [1, 2, 3]
    await resident.close()

    for i in range(4, 7):  # sent while the resident is away
        await pro.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "client_id": f"p{i}",
                "body": f"m{i}",
            }
        )
        await pro.recv_until("message.ack")

    back = await resident_socket(conversation)
    assert back.hello["conversation"]["last_seq"] == 6
    await back.send({"type": "sync", "after_seq": 3})
    replay = [await back.recv() for _ in range(4)]
    assert [f["type"] for f in replay] == ["message.new"] * 3 + ["sync.done"]
    assert [f["seq"] for f in replay[:3]] == [4, 5, 6]
    assert [f["body"] for f in replay[:3]] == ["m4", "m5", "m6"]
    assert replay[3]["last_seq"] == 6
    assert await back.nothing()


async def test_resend_with_same_client_id_is_acked_and_stored_once(
    conversation, professional, resident_socket, staff_socket
):
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    frame = {"type": "message.send", "client_id": "same-id", "body": "Once"}
    await resident.send(frame)
    first = await resident.recv_until("message.ack")
    await resident.send(frame)
    second = await resident.recv_until("message.ack")
    assert first["seq"] == second["seq"] == 1
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert (await pro.recv_until("message.new"))["seq"] == 1
    assert await pro.nothing()  # the resend is not delivered again
    assert await stored(conversation) == [(1, "same-id")]


async def test_concurrent_senders_get_gapless_ordered_seqs(
    conversation, professional, resident_socket, staff_socket
):
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    n = 15

    async def burst(sock, prefix, extra):
        for i in range(n):
            await sock.send(
                {
                    "type": "message.send",
                    "client_id": f"{prefix}{i}",
                    "body": f"{prefix}{i}",
                    **extra,
                }
            )

    await asyncio.gather(
        burst(resident, "r", {}), burst(pro, "p", {"conversation": conversation.pk})
    )

    async def collect(sock):
        acks: list[dict] = []
        news: list[dict] = []
        while len(acks) < n or len(news) < 2 * n:
            frame = await sock.recv(5)
            (acks if frame["type"] == "message.ack" else news).append(frame)
        return acks, news

    (r_acks, r_news), (p_acks, p_news) = await asyncio.gather(collect(resident), collect(pro))
    rows = await stored(conversation)
    assert [seq for seq, _ in rows] == list(range(1, 2 * n + 1))
    assert {a["seq"] for a in r_acks} | {a["seq"] for a in p_acks} == set(range(1, 2 * n + 1))
    # Each socket sees every message exactly once, in seq order.
    assert [f["seq"] for f in r_news] == list(range(1, 2 * n + 1))
    assert [f["seq"] for f in p_news] == list(range(1, 2 * n + 1))


async def test_resident_cannot_reach_another_conversation(
    conversation, professional, resident_socket
):
    other = await database_sync_to_async(ConversationFactory)(service=conversation.service)
    resident = await resident_socket(conversation)
    await resident.send(
        {"type": "message.send", "conversation": other.pk, "client_id": "x", "body": "hi"}
    )
    error = await resident.recv()
    assert (error["type"], error["code"], error["client_id"]) == (
        "error",
        "not_found",
        "x",
    )
    await resident.send({"type": "sync", "conversation": other.pk, "after_seq": 0})
    assert (await resident.recv())["code"] == "not_found"
    assert await stored(other) == []


async def test_socket_without_a_conversation_is_closed_with_4404(open_socket):
    sock = await open_socket("/ws/v1/resident/", expect_hello=False)
    assert sock.connected
    error = await sock.recv()
    assert error["code"] == "no_conversation"
    assert (await sock.comm.receive_output(1))["code"] == 4404


async def test_unauthenticated_staff_socket_is_refused(open_socket, conversation):
    sock = await open_socket("/ws/v1/staff/", expect_hello=False)
    assert not sock.connected


async def test_resident_session_cannot_open_the_staff_socket(open_socket, conversation):
    from tests.conftest import resident_cookie

    cookie = await database_sync_to_async(resident_cookie)(conversation)
    sock = await open_socket("/ws/v1/staff/", cookie, expect_hello=False)
    assert not sock.connected


async def test_foreign_origin_is_refused(open_socket, conversation):
    from tests.conftest import resident_cookie

    cookie = await database_sync_to_async(resident_cookie)(conversation)
    sock = await open_socket(
        "/ws/v1/resident/", cookie, origin=(b"origin", b"https://evil.example"), expect_hello=False
    )
    assert not sock.connected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"no": "type"}', "invalid_frame"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "message.send", "body": "no client id"}', "invalid_frame"),
        ('{"type": "message.send", "client_id": "a", "body": "x", "admin": true}', "invalid_frame"),
        ('{"type": "message.send", "client_id": "a b", "body": "x"}', "invalid_frame"),
        ('{"type": "sync", "after_seq": -1}', "invalid_frame"),
        ('{"type": "message.send", "client_id": "a", "body": "   "}', "empty_message"),
        (
            '{"type": "message.send", "client_id": "a", "body": "' + "x" * 40_000 + '"}',
            "frame_too_large",
        ),
        (
            '{"type": "message.send", "client_id": "a", "body": "' + "x" * 2500 + '"}',
            "message_too_long",
        ),
        # hostile input (issue 9): deep nesting, loose numbers, invisible or control-only text
        ("[" * 4000 + "]" * 4000, "invalid_frame"),
        ('{"type": "sync", "x": ' + "[" * 3000 + "]" * 3000 + "}", "invalid_frame"),
        ('{"type": "sync", "after_seq": "1"}', "invalid_frame"),
        ('{"type": "sync", "after_seq": true}', "invalid_frame"),
        ('{"type": "sync", "after_seq": 1.0}', "invalid_frame"),
        ('{"type": "sync", "after_seq": 9223372036854775808}', "invalid_frame"),
        (
            '{"type": "message.send", "client_id": "a", "body": "x", "conversation": "1"}',
            "invalid_frame",
        ),
        (
            '{"type": "message.send", "client_id": "a", "body": "x", "conversation": true}',
            "invalid_frame",
        ),
        ('{"type": "message.received", "seq": 99999999999999999999999}', "invalid_frame"),
        (
            '{"type": "message.send", "client_id": "a", "body": "\u200b\u00ad\u2060 \ufeff"}',
            "empty_message",
        ),
        (
            '{"type": "message.send", "client_id": "a", "body": "\\u0000\\u0001\\u001f"}',
            "empty_message",
        ),
        ('{"type": "message.send", "client_id": "a", "body": 5}', "invalid_frame"),
    ],
)
async def test_malformed_frames_get_error_frames_and_the_socket_survives(
    conversation, resident_socket, text, code
):
    resident = await resident_socket(conversation)
    await resident.send_text(text)
    error = await resident.recv()
    assert error["type"] == "error"
    assert error["code"] == code
    assert "Traceback" not in error["message"]
    await resident.send({"type": "ping"})
    assert (await resident.recv())["type"] == "pong"
    assert await stored(conversation) == []


async def test_control_characters_are_removed_on_every_database(
    conversation, professional, resident_socket, staff_socket
):
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    await resident.send(
        {"type": "message.send", "client_id": "nul", "body": "a\u0000b\u0007c\r\nd\te"}
    )
    ack = await resident.recv_until("message.ack")
    assert ack["seq"] == 1
    got = await pro.recv_until("message.new")
    assert got["body"] == "abc\nd\te"
    bodies = await database_sync_to_async(
        lambda: list(Message.objects.values_list("body", flat=True))
    )()
    assert bodies == ["abc\nd\te"]


async def test_not_yours_and_does_not_exist_get_the_same_answer(
    conversation, professional, staff_socket, resident_socket
):
    other_service = await database_sync_to_async(ConversationFactory)()
    pro = await staff_socket(professional)
    answers: list[dict] = []
    for target in (other_service.pk, 987654321):
        for frame in (
            {"type": "conversation.claim", "conversation": target},
            {"type": "conversation.open", "conversation": target},
            {"type": "sync", "conversation": target},
            {"type": "message.send", "conversation": target, "client_id": "x", "body": "x"},
            {"type": "note.add", "conversation": target, "client_id": "n", "body": "x"},
            {"type": "conversation.close", "conversation": target, "reason": "x"},
            {"type": "typing.start", "conversation": target},
        ):
            await pro.send(frame)
            error = await pro.recv_until("error")
            answers.append((frame["type"], error["code"], error["message"]))
    half = len(answers) // 2
    assert answers[:half] == answers[half:]
    assert {code for _, code, _ in answers} == {"not_found"}
    resident = await resident_socket(conversation)
    await resident.send({"type": "sync", "conversation": other_service.pk})
    assert (await resident.recv_until("error"))["code"] == "not_found"


async def test_a_burst_of_messages_is_rate_limited_and_nothing_over_the_limit_is_stored(
    conversation, professional, resident_socket, staff_socket, settings
):
    settings.CHAT_RATE_BURST = 5
    settings.CHAT_RATE_PER_SECOND = 0.5
    resident, _pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    for i in range(8):
        await resident.send({"type": "message.send", "client_id": f"b{i}", "body": "x" * 1900})
    answers: list[dict] = []
    while len(answers) < 8:
        frame = await resident.recv()
        if frame["type"] in ("message.ack", "error"):
            answers.append(frame)
    acked = [a["client_id"] for a in answers if a["type"] == "message.ack"]
    limited = [a for a in answers if a["type"] == "error"]
    assert acked == [f"b{i}" for i in range(5)]
    assert {a["code"] for a in limited} == {"rate_limited"}
    assert all(a["retry_after"] > 0 and a["client_id"] for a in limited)
    assert [c for _, c in await stored(conversation)] == acked


async def test_binary_frames_are_refused_with_an_error(conversation, resident_socket):
    resident = await resident_socket(conversation)
    await resident.comm.send_to(bytes_data=b"\x00\x01")
    assert (await resident.recv())["code"] == "binary_not_supported"


async def test_typing_reaches_the_other_party_only(
    conversation, professional, resident_socket, staff_socket
):
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    await pro.send({"type": "typing.start", "conversation": conversation.pk})
    frame = await resident.recv()
    assert frame == {
        "type": "typing",
        "conversation": conversation.pk,
        "author_kind": "staff",
        "active": True,
    }
    assert await pro.nothing()


async def test_professional_cannot_write_in_a_conversation_not_assigned_to_them(
    conversation, professional, staff_socket
):
    pro = await staff_socket(professional)  # conversation is waiting, not claimed
    await pro.send(
        {"type": "message.send", "conversation": conversation.pk, "client_id": "p", "body": "x"}
    )
    assert (await pro.recv())["code"] == "not_assigned"
    assert await stored(conversation) == []


async def test_frames_and_deliveries_do_not_wait_for_the_database_thread(
    conversation, professional, resident_socket, staff_socket, monkeypatch
):
    """Channels would hop into the database thread before every handled message
    (to close stale connections); the sockets' own database calls do that, so a
    delivery never queues behind the writes."""
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)
    resident, pro = await active_pair(conversation, professional, resident_socket, staff_socket)
    await resident.send({"type": "message.send", "client_id": "r-1", "body": "Hej"})
    assert (await resident.recv_until("message.ack"))["seq"] == 1
    assert (await pro.recv_until("message.new"))["body"] == "Hej"
    assert hops == []
