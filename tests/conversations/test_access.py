"""Who may send which frame: every actor over every inbound frame type, against
one conversation (CONVENTIONS 17). A conversation that is not yours and one
that does not exist get the same answer, `not_found`."""

import pytest
from channels.db import database_sync_to_async

from conversations import actions
from customers.consumers import ResidentConsumer
from staff.consumers import StaffConsumer
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


def frames_for(conversation_id: int) -> dict[str, dict]:
    c = conversation_id
    return {
        "ping": {"type": "ping"},
        "message.send": {
            "type": "message.send",
            "conversation": c,
            "client_id": "x",
            "body": "hej",
        },
        "message.received": {"type": "message.received", "conversation": c, "seq": 1},
        "sync": {"type": "sync", "conversation": c},
        "typing.start": {"type": "typing.start", "conversation": c},
        "typing.stop": {"type": "typing.stop", "conversation": c},
        "conversation.leave": {"type": "conversation.leave"},
        "conversation.open": {"type": "conversation.open", "conversation": c},
        "conversation.claim": {"type": "conversation.claim", "conversation": c},
        # refused targets, so that an allowed sender meets the action's own rule
        "conversation.close": {"type": "conversation.close", "conversation": c, "reason": "nope"},
        "conversation.transfer": {
            "type": "conversation.transfer",
            "conversation": c,
            "to_service": 999_999,
        },
        "note.add": {"type": "note.add", "conversation": c, "client_id": "n", "body": "note"},
        "identification.request": {"type": "identification.request", "conversation": c},
        "identity.reveal": {"type": "identity.reveal", "conversation": c},
        "video.request": {"type": "video.request", "conversation": c},
        "video.answer": {"type": "video.answer", "conversation": c, "allow": False},
        "video.join": {"type": "video.join", "conversation": c},
        "video.signal": {"type": "video.signal", "conversation": c, "kind": "offer", "sdp": "v=0"},
        "video.hangup": {"type": "video.hangup", "conversation": c},
        # a chat, not a call-back: an allowed sender meets the action's own rule
        "callback.outcome": {"type": "callback.outcome", "conversation": c, "outcome": "reached"},
        # not flagged: a professional who may see it meets the action's own rule
        "crisis.clear": {"type": "crisis.clear", "conversation": c},
        "presence.set": {"type": "presence.set", "presence": "busy"},
    }


# actor → frame type → the answer: "ok" (no error) or the error code.
EXPECTED = {
    "resident": {
        "ping": "ok",
        "message.send": "ok",
        "message.received": "ok",
        "sync": "ok",
        "typing.start": "ok",
        "typing.stop": "ok",
        "video.answer": "no_call",
        "video.join": "not_consented",
        "video.signal": "not_consented",
        "video.hangup": "ok",
        "conversation.leave": "ok",
    },
    "other_resident": {
        "ping": "ok",
        "message.send": "not_found",
        "message.received": "not_found",
        "sync": "not_found",
        "typing.start": "not_found",
        "typing.stop": "not_found",
        "video.answer": "not_found",
        "video.join": "not_found",
        "video.signal": "not_found",
        "video.hangup": "not_found",
    },
    "assigned": {
        "ping": "ok",
        "message.send": "ok",
        "message.received": "ok",
        "sync": "ok",
        "typing.start": "ok",
        "typing.stop": "ok",
        "conversation.open": "ok",
        "conversation.claim": "already_claimed",
        "conversation.close": "invalid_input",
        "conversation.transfer": "invalid_transfer",
        "note.add": "ok",
        "identification.request": "ok",
        "identity.reveal": "not_identified",
        "video.request": "ok",
        "video.join": "not_consented",
        "video.signal": "not_consented",
        "video.hangup": "ok",
        "callback.outcome": "not_callback",
        "crisis.clear": "not_flagged",
        "presence.set": "ok",
    },
    "colleague": {
        "ping": "ok",
        "message.send": "not_assigned",
        "message.received": "not_assigned",
        "sync": "ok",
        "typing.start": "not_assigned",
        "typing.stop": "not_assigned",
        "conversation.open": "ok",
        "conversation.claim": "already_claimed",
        "conversation.close": "not_assigned",
        "conversation.transfer": "not_assigned",
        "note.add": "ok",
        "identification.request": "not_assigned",
        "identity.reveal": "not_assigned",
        "video.request": "not_assigned",
        "video.join": "not_assigned",
        "video.signal": "not_assigned",
        "video.hangup": "not_assigned",
        "callback.outcome": "not_assigned",
        "crisis.clear": "not_flagged",
        "presence.set": "ok",
    },
    "outsider": {
        "ping": "ok",
        "message.send": "not_found",
        "message.received": "not_found",
        "sync": "not_found",
        "typing.start": "not_found",
        "typing.stop": "not_found",
        "conversation.open": "not_found",
        "conversation.claim": "not_found",
        "conversation.close": "not_found",
        "conversation.transfer": "not_found",
        "note.add": "not_found",
        "identification.request": "not_found",
        "identity.reveal": "not_found",
        "video.request": "not_found",
        "video.join": "not_found",
        "video.signal": "not_found",
        "video.hangup": "not_found",
        "callback.outcome": "not_found",
        "crisis.clear": "not_found",
        "presence.set": "ok",
    },
}


def _types(frame_types) -> set[str]:
    return {t for f in frame_types for t in f.model_fields["type"].annotation.__args__}


def test_the_matrix_covers_every_frame_type_of_each_role():
    for actor in ("resident", "other_resident"):
        assert set(EXPECTED[actor]) | {"conversation.leave"} == _types(ResidentConsumer.frame_types)
    for actor in ("assigned", "colleague", "outsider"):
        assert set(EXPECTED[actor]) == _types(StaffConsumer.frame_types)


async def answer(sock, frame: dict) -> str:
    """The error code the frame drew, or "ok". A ping sent after it marks the
    end of its answers (frames are handled in order)."""
    await sock.send(frame)
    if frame["type"] != "ping":
        await sock.send({"type": "ping"})
    code = "ok"
    while (got := await sock.recv())["type"] != "pong":
        if got["type"] == "error" and code == "ok":
            code = got["code"]
    return code


@pytest.mark.parametrize("actor", sorted(EXPECTED))
async def test_every_actor_over_every_frame(actor, resident_socket, staff_socket):
    @database_sync_to_async
    def world():
        service = ServiceFactory()
        assigned, colleague, outsider = UserFactory(), UserFactory(), UserFactory()
        service.professionals.add(assigned, colleague)
        ServiceFactory().professionals.add(outsider)
        conversation = ConversationFactory(service=service)
        other = ConversationFactory(service=service)
        actions.claim_conversation(conversation_id=conversation.pk, professional=assigned)
        return (
            conversation,
            other,
            {"assigned": assigned, "colleague": colleague, "outsider": outsider},
        )

    conversation, other, staff = await world()
    if actor == "resident":
        sock = await resident_socket(conversation)
    elif actor == "other_resident":
        sock = await resident_socket(other)
    else:
        sock = await staff_socket(staff[actor])
    table = frames_for(conversation.pk)
    got = {}
    for kind in EXPECTED[actor]:
        if kind == "conversation.leave":
            continue  # ends the resident's part; covered in test_resident_socket
        got[kind] = await answer(sock, table[kind])
    expected = {k: v for k, v in EXPECTED[actor].items() if k != "conversation.leave"}
    assert got == expected
