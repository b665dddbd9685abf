"""The staff socket shows a professional only the services they work in."""

import asyncio

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
        return actions.create_conversation(
            service=svc, name=name, phone="+358401234567", matter="m", language="fi"
        )

    await open_in(other_service, "Elsewhere")
    assert await pro.nothing()
    arrived = await open_in(service, "Here")
    frame = await pro.recv_until("conversation.changed")
    assert frame["change"] == "created" and frame["conversation"]["id"] == arrived.pk
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
    assert (await pro.recv())["code"] == "not_found"  # the same answer as a missing id


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
    await pro.sync(conversation.pk, 0)  # showing the chat starts live delivery
    await resident.send({"type": "message.send", "client_id": "r1", "body": "Hej"})
    got = await pro.recv_until("message.new")
    assert got["body"] == "Hej"


@database_sync_to_async
def colleague_in(service, **kwargs):
    from tests.factories import UserFactory

    user = UserFactory(**kwargs)
    service.professionals.add(user)
    return user


async def test_claim_race_between_two_professionals_over_real_sockets(
    conversation, professional, staff_socket
):
    colleague = await colleague_in(conversation.service)
    first, second = await staff_socket(professional), await staff_socket(colleague)
    frame = {"type": "conversation.claim", "conversation": conversation.pk}
    await asyncio.gather(first.send(frame), second.send(frame))

    async def outcome(sock, user):
        while True:
            got = await sock.recv()
            if got["type"] == "error":
                return got["code"]
            if got["type"] == "conversation.changed" and got["change"] == "claimed":
                return (
                    "won" if got["conversation"]["assigned_to"] == user.pk else "saw colleague win"
                )

    results = await asyncio.gather(outcome(first, professional), outcome(second, colleague))
    assert sorted(results) in (["already_claimed", "won"], ["saw colleague win", "won"])
    if "saw colleague win" in results:  # the loser's refusal follows the broadcast
        loser = (first, second)[results.index("saw colleague win")]
        assert (await loser.recv_until("error"))["code"] == "already_claimed"


async def test_the_concurrency_limit_holds(service, staff_socket):
    pro = await colleague_in(service, max_active_chats=1)
    one, two = [
        await database_sync_to_async(ConversationFactory)(service=service) for _ in range(2)
    ]
    sock = await staff_socket(pro)
    await sock.send({"type": "conversation.claim", "conversation": one.pk})
    await sock.recv_until("conversation.changed")
    await sock.send({"type": "conversation.claim", "conversation": two.pk})
    assert (await sock.recv_until("error"))["code"] == "limit_reached"


async def test_transfer_to_a_colleague_and_to_a_service(
    conversation, professional, staff_socket, resident_socket
):
    colleague = await colleague_in(conversation.service, presence="available")
    other_service = await database_sync_to_async(ServiceFactory)()
    await database_sync_to_async(other_service.professionals.add)(colleague)
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    mine, theirs = await staff_socket(professional), await staff_socket(colleague)
    resident = await resident_socket(conversation)

    await mine.send(
        {
            "type": "conversation.transfer",
            "conversation": conversation.pk,
            "to_professional": colleague.pk,
            "note": "Hon vill prata om vaccin",
        }
    )
    frames: dict[str, dict] = {}
    while len(frames) < 2:  # the transfer and its note, in either order
        frame = await theirs.recv()
        if frame["type"] in ("conversation.changed", "note.new"):
            frames[frame["type"]] = frame
    got = frames["conversation.changed"]
    assert got["change"] == "transferred" and got["conversation"]["assigned_to"] == colleague.pk
    assert frames["note.new"]["body"] == "Hon vill prata om vaccin"
    assert (await resident.recv_until("conversation.state"))[
        "professional_name"
    ] == colleague.first_name
    await theirs.sync(conversation.pk, 0)
    await resident.send({"type": "message.send", "client_id": "after-transfer", "body": "Hej igen"})
    assert (await theirs.recv_until("message.new"))["body"] == "Hej igen"

    await theirs.send(
        {
            "type": "conversation.transfer",
            "conversation": conversation.pk,
            "to_service": other_service.pk,
        }
    )
    state = await resident.recv_until("conversation.state")
    assert (state["change"], state["status"]) == ("transferred", "waiting")


async def test_close_needs_an_admin_managed_reason(
    conversation, professional, staff_socket, resident_socket
):
    from staff.models import CloseReasonOption

    await database_sync_to_async(CloseReasonOption.objects.create)(
        code="guidance-given", label_sv="Handledning", label_fi="Ohjaus", label_en="Guidance"
    )
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    resident = await resident_socket(conversation)
    for bad in ("made-up", "abandoned"):
        await pro.send(
            {"type": "conversation.close", "conversation": conversation.pk, "reason": bad}
        )
        assert (await pro.recv_until("error"))["code"] == "invalid_input"
    await pro.send(
        {"type": "conversation.close", "conversation": conversation.pk, "reason": "guidance-given"}
    )
    closed = await pro.recv_until("conversation.changed")
    assert (closed["change"], closed["close_reason"]) == ("closed", "guidance-given")
    assert (await resident.recv_until("conversation.state"))["status"] == "closed"


async def test_internal_notes_never_reach_the_resident(
    conversation, professional, staff_socket, resident_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    resident = await resident_socket(conversation)
    await pro.send(
        {
            "type": "note.add",
            "conversation": conversation.pk,
            "client_id": "n1",
            "body": "Intern: ring upp",
        }
    )
    assert (await pro.recv_until("note.new"))["body"] == "Intern: ring upp"
    assert await resident.nothing(0.5)
    await resident.send({"type": "sync", "after_seq": 0})
    assert await resident.recv() == {
        "type": "sync.done",
        "conversation": conversation.pk,
        "last_seq": 0,
    }
    await pro.send({"type": "conversation.open", "conversation": conversation.pk})
    detail = await pro.recv_until("conversation.detail")
    assert [n["body"] for n in detail["notes"]] == ["Intern: ring upp"]


async def test_opening_a_conversation_is_audited(conversation, professional, staff_socket):
    from conversations.models import AuditEntry

    pro = await staff_socket(professional)
    await pro.send({"type": "conversation.open", "conversation": conversation.pk})
    detail = await pro.recv_until("conversation.detail")
    assert detail["resident_phone"] == conversation.resident_phone
    rows = await database_sync_to_async(
        lambda: list(AuditEntry.objects.values_list("user_id", "action", "conversation_id"))
    )()
    assert rows == [(professional.pk, "open_conversation", conversation.pk)]


async def test_presence_is_set_by_the_dashboard_and_ends_with_the_last_socket(
    professional, staff_socket
):
    first = await staff_socket(professional)
    second = await staff_socket(professional)
    await first.send({"type": "presence.set", "presence": "available"})
    assert (await first.recv_until("presence.changed"))["presence"] == "available"

    @database_sync_to_async
    def presence():
        professional.refresh_from_db()
        return professional.presence

    await first.close()
    assert await presence() == "available"  # one socket still open
    await second.close()
    assert await presence() == "away"


async def test_professionals_messages_and_notes_never_store_an_identity_code(
    conversation, professional, staff_socket
):
    from conversations.models import InternalNote, Message

    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    await pro.send(
        {
            "type": "message.send",
            "conversation": conversation.pk,
            "client_id": "p-hetu",
            "body": "Är det 131052-308T?",
        }
    )
    ack = await pro.recv_until("message.ack")
    assert ack["masked"] is True  # the professional is told
    await pro.send(
        {
            "type": "note.add",
            "conversation": conversation.pk,
            "client_id": "n-hetu",
            "body": "hetu 131052-308T",
        }
    )
    note = await pro.recv_until("note.new")
    assert "131052" not in note["body"]

    @database_sync_to_async
    def stored():
        return list(Message.objects.values_list("body", flat=True)) + list(
            InternalNote.objects.values_list("body", flat=True)
        )

    assert all("131052" not in body and "308T" not in body for body in await stored())


async def test_delivered_survives_a_reload_on_both_sides(
    conversation, professional, staff_socket, resident_socket
):
    await database_sync_to_async(actions.claim_conversation)(
        conversation_id=conversation.pk, professional=professional
    )
    pro = await staff_socket(professional)
    resident = await resident_socket(conversation)
    await pro.send(
        {"type": "message.send", "conversation": conversation.pk, "client_id": "p1", "body": "Hej"}
    )
    await resident.recv_until("message.new")
    await resident.send({"type": "message.received", "seq": 1})
    assert (await pro.recv_until("message.delivered"))["seq"] == 1
    await resident.send({"type": "message.send", "client_id": "r2", "body": "Hej själv"})
    await pro.recv_until("message.new")
    await pro.send({"type": "message.received", "conversation": conversation.pk, "seq": 2})
    await resident.recv_until("message.delivered")
    await resident.send({"type": "message.received", "seq": 99})  # more than exists: ignored

    again = await staff_socket(professional)
    assert again.hello["active"][0]["resident_seen_seq"] == 1
    back = await resident_socket(conversation)
    assert back.hello["conversation"]["peer_seen_seq"] == 2
