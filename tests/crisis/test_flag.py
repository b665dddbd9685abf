"""A crisis phrase in the intake or a resident's message, through the real
interfaces: the resident's banner, the flag and its place at the front of the
queue, the professional's highlights, clearing a false positive."""

import logging

import pytest
from channels.db import database_sync_to_async

from conversations import actions as chat_actions
from conversations import selectors
from conversations.models import Conversation, ConversationEvent, EventKind
from tests.crisis.pages import banner_shown
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

VALID = {"name": "Testi Asukas", "phone": "040 123 4567"}


def intake(client, service, matter):
    return client.post(f"/widget/services/{service.slug}/", {**VALID, "matter": matter})


@pytest.mark.django_db
def test_a_crisis_phrase_in_the_matter_flags_the_conversation_and_shows_the_banner(client):
    service = ServiceFactory()
    earlier = ConversationFactory(service=service)
    assert intake(client, service, "Jag vill inte leva längre").status_code == 302
    conversation = Conversation.objects.latest("id")
    assert conversation.crisis_phrase == "vill inte leva" and conversation.crisis_at
    event = ConversationEvent.objects.get(conversation=conversation, kind=EventKind.CRISIS_MATCHED)
    assert event.payload == {
        "source": "intake",
        "seq": None,
        "phrase": "vill inte leva",
        "start": 4,
        "end": 18,
    }
    # First in the queue, ahead of a resident who came earlier.
    assert selectors.waiting_ids(service_id=service.pk) == [conversation.pk, earlier.pk]
    assert selectors.queue_position(conversation=conversation) == 1
    earlier.refresh_from_db()
    assert selectors.queue_position(conversation=earlier) == 2
    page = client.get("/widget/chat/").content.decode()
    assert banner_shown(page)
    assert 'href="tel:112"' in page and 'href="tel:0925250111"' in page


@pytest.mark.django_db
def test_an_ordinary_matter_shows_no_banner(client):
    service = ServiceFactory()
    intake(client, service, "Fråga om vaccin för barn")
    assert Conversation.objects.latest("id").crisis_at is None
    page = client.get("/widget/chat/").content.decode()
    assert not banner_shown(page) and 'href="tel:112"' in page  # there, hidden


@pytest.fixture
async def chat(transactional_db, resident_socket, staff_socket):
    @database_sync_to_async
    def world():
        service = ServiceFactory()
        professional, colleague, outsider = UserFactory(), UserFactory(), UserFactory()
        service.professionals.add(professional, colleague)
        ServiceFactory().professionals.add(outsider)
        conversation = ConversationFactory(service=service)
        chat_actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
        return conversation, professional, colleague, outsider

    conversation, professional, colleague, outsider = await world()
    staff = await staff_socket(professional)
    await staff.send({"type": "conversation.open", "conversation": conversation.pk})
    await staff.recv_until("conversation.detail", timeout=10)
    return {
        "conversation": conversation,
        "resident": await resident_socket(conversation),
        "staff": staff,
        "colleague": await staff_socket(colleague),
        "outsider": await staff_socket(outsider),
    }


async def received_types(sock) -> set[str]:
    types = set()
    while not await sock.nothing(0.3):
        types.add((await sock.recv())["type"])
    return types


def flag_events(conversation_id: int, kind=EventKind.CRISIS_MATCHED) -> int:
    return ConversationEvent.objects.filter(conversation_id=conversation_id, kind=kind).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer")
async def test_a_residents_message_alerts_the_resident_and_highlights_for_the_professional(
    chat, caplog
):
    caplog.set_level(logging.DEBUG)
    c = chat["conversation"].pk
    body = "Ärligt talat vill jag bara ta livet av mig."
    await chat["resident"].send({"type": "message.send", "client_id": "m1", "body": body})
    seq = (await chat["resident"].recv_until("message.ack", timeout=10))["seq"]
    assert (await chat["resident"].recv_until("crisis.alert", timeout=10))["conversation"] == c
    changed = await chat["staff"].recv_until("conversation.changed", timeout=10)
    while changed["change"] != "crisis_matched":
        changed = await chat["staff"].recv_until("conversation.changed", timeout=10)
    assert changed["conversation"]["crisis_phrase"] == "ta livet av mig"
    found = (await chat["staff"].recv_until("crisis.matches", timeout=10))["matches"]
    start = body.index("ta livet av mig")
    assert found == [
        {
            "source": "message",
            "seq": seq,
            "phrase": "ta livet av mig",
            "start": start,
            "end": start + 15,
        }
    ]
    # A resend of the same message flags nothing more.
    await chat["resident"].send({"type": "message.send", "client_id": "m1", "body": body})
    assert (await chat["resident"].recv_until("message.ack", timeout=10))["duplicate"] is True
    assert await database_sync_to_async(flag_events)(c) == 1
    # Reopening the conversation gives the highlights again.
    await chat["staff"].send({"type": "conversation.open", "conversation": c})
    await chat["staff"].recv_until("conversation.detail", timeout=10)
    assert (await chat["staff"].recv_until("crisis.matches", timeout=10))["matches"] == found
    # What the resident wrote is never in the log.
    assert "ta livet" not in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer")
async def test_a_look_alike_does_nothing(chat):
    await chat["resident"].send(
        {"type": "message.send", "client_id": "m1", "body": "Jag vill ta livet lugnt i sommar"}
    )
    await chat["resident"].recv_until("message.ack", timeout=10)
    assert "crisis.alert" not in await received_types(chat["resident"])
    assert await database_sync_to_async(flag_events)(chat["conversation"].pk) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer")
async def test_a_professional_of_the_service_clears_a_false_positive(chat):
    c = chat["conversation"].pk
    await chat["resident"].send(
        {"type": "message.send", "client_id": "m1", "body": "Mitt barn sa att hon vill dö"}
    )
    await chat["resident"].recv_until("crisis.alert", timeout=10)
    # Someone from another service cannot; the flag stays.
    await chat["outsider"].send({"type": "crisis.clear", "conversation": c})
    assert (await chat["outsider"].recv_until("error", timeout=10))["code"] == "not_found"
    # A colleague in the same service can.
    await chat["colleague"].send({"type": "crisis.clear", "conversation": c})
    changed = await chat["staff"].recv_until("conversation.changed", timeout=10)
    while changed["change"] != "crisis_cleared":
        changed = await chat["staff"].recv_until("conversation.changed", timeout=10)
    assert changed["conversation"]["crisis_phrase"] == ""
    conversation = await database_sync_to_async(Conversation.objects.get)(pk=c)
    assert conversation.crisis_at is None
    assert await database_sync_to_async(flag_events)(c, EventKind.CRISIS_CLEARED) == 1
    # Cleared highlights are not given again; clearing twice is refused clearly.
    await chat["staff"].send({"type": "conversation.open", "conversation": c})
    await chat["staff"].recv_until("conversation.detail", timeout=10)
    assert "crisis.matches" not in await received_types(chat["staff"])
    await chat["colleague"].send({"type": "crisis.clear", "conversation": c})
    assert (await chat["colleague"].recv_until("error", timeout=10))["code"] == "not_flagged"
