"""The professional's side of a call-back over the real sockets: claim it like a
chat, mark each outcome, the resident's page hears it; a professional of another
service neither sees nor marks it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from callbacks import actions
from conversations.models import (
    Conversation,
    ConversationEvent,
    ConversationStatistic,
    ConversationStatus,
    EventKind,
    StatisticOutcome,
)
from conversations.selectors import queue_position
from tests.conftest import resident_cookie
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


@pytest.fixture
async def world(callback_service, resident_socket, staff_socket):
    w = callback_service

    @database_sync_to_async
    def conversations():
        first = ConversationFactory(service=w["service"], resident_phone="+358401234567")
        later = ConversationFactory(service=w["service"])
        return first, later

    first, later = await conversations()
    sockets = {
        "resident": await resident_socket(first),
        "staff": await staff_socket(w["professional"]),
        "colleague_socket": await staff_socket(w["colleague"]),
        "outsider_socket": await staff_socket(w["outsider"]),
    }
    await database_sync_to_async(actions.request_callback)(conversation_id=first.pk)
    return {**w, **sockets, "conversation": first, "later": later}


async def claim(w) -> None:
    await w["staff"].send({"type": "conversation.claim", "conversation": w["conversation"].pk})
    changed = await w["staff"].recv_until("conversation.changed")
    while changed["change"] != "claimed":
        changed = await w["staff"].recv_until("conversation.changed")
    state = await w["resident"].recv_until("conversation.state")
    while state["change"] != "claimed":
        state = await w["resident"].recv_until("conversation.state")
    assert state["status"] == "active"  # the page says a professional is calling


async def outcome(w, value: str, sock_key: str = "staff") -> None:
    await w[sock_key].send(
        {"type": "callback.outcome", "conversation": w["conversation"].pk, "outcome": value}
    )


async def callback_state(sock) -> dict:
    return await sock.recv_until("callback.state")


async def change_to(sock, change: str) -> dict:
    while (frame := await sock.recv_until("conversation.changed"))["change"] != change:
        pass
    return frame


async def test_the_resident_hears_the_request_and_professionals_see_the_number(world):
    assert (await callback_state(world["resident"]))["state"] == "requested"
    frame = await change_to(world["staff"], "callback_requested")
    summary = frame["conversation"]
    assert summary["callback"] == "queue"
    assert summary["callback_phone"] == "+358401234567"
    assert summary["status"] == "waiting"


async def test_a_reopened_page_hears_where_its_call_back_is(world, open_socket):
    """A reload, or a page opened later: right after the hello."""
    cookie = await database_sync_to_async(resident_cookie)(world["conversation"])
    again = await open_socket("/ws/v1/resident/", cookie, expect_hello=False)
    assert (await again.recv())["type"] == "hello"
    frame = await again.recv()
    assert frame["type"] == "callback.state"
    assert (frame["state"], frame["attempts"], frame["phone_end"]) == ("requested", 0, "567")


async def test_reached_closes_it_as_handled(world):
    await claim(world)
    await outcome(world, "reached")
    closed = await change_to(world["staff"], "closed")
    assert closed["conversation"]["status"] == "closed"
    assert closed["conversation"]["callback_outcome"] == "reached"
    while (frame := await callback_state(world["resident"]))["state"] != "reached":
        pass
    assert frame["attempts"] == 1
    # ... before the conversation closes (and the page stops listening).
    assert (await world["resident"].recv_until("conversation.state"))["status"] == "closed"

    @database_sync_to_async
    def stored():
        conversation = Conversation.objects.get(pk=world["conversation"].pk)
        kinds = list(
            ConversationEvent.objects.filter(conversation=conversation)
            .order_by("id")
            .values_list("kind", flat=True)
        )
        return conversation, kinds, ConversationStatistic.objects.get(conversation=conversation)

    conversation, kinds, statistic = await stored()
    assert conversation.status == ConversationStatus.CLOSED
    assert kinds[-4:] == [
        EventKind.CALLBACK_REQUESTED,
        EventKind.CLAIMED,
        EventKind.CALLBACK_ATTEMPTED,
        EventKind.CLOSED,
    ]
    assert statistic.outcome == StatisticOutcome.HANDLED
    assert (statistic.callback, statistic.callback_attempts) == ("queue", 1)


@pytest.mark.parametrize("value", ["no_answer", "try_again"])
async def test_no_answer_and_try_again_put_it_back_in_its_place(world, value):
    await claim(world)
    await outcome(world, value)
    back = await change_to(world["staff"], "callback_attempted")
    assert back["conversation"]["status"] == "waiting"
    assert back["conversation"]["assigned_to"] is None
    assert back["conversation"]["callback_attempts"] == 1
    assert back["conversation"]["callback_outcome"] == value
    state = await world["resident"].recv_until("conversation.state")
    while state["change"] != "callback_attempted":
        state = await world["resident"].recv_until("conversation.state")
    assert state["status"] == "waiting"
    while (frame := await callback_state(world["resident"]))["state"] != "retry":
        pass
    assert frame["attempts"] == 1

    @database_sync_to_async
    def positions():
        first = Conversation.objects.get(pk=world["conversation"].pk)
        later = Conversation.objects.get(pk=world["later"].pk)
        return queue_position(conversation=first), queue_position(conversation=later)

    assert await positions() == (1, 2)  # still ahead of the resident who came later
    # Anyone in the service can take it again.
    await world["colleague_socket"].send(
        {"type": "conversation.claim", "conversation": world["conversation"].pk}
    )
    await change_to(world["colleague_socket"], "claimed")


async def test_after_the_last_attempt_it_closes_as_not_reached(world, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    await claim(world)
    await outcome(world, "no_answer")
    await change_to(world["staff"], "callback_attempted")
    await claim(world)
    await outcome(world, "try_again")
    closed = await change_to(world["staff"], "closed")
    assert closed["conversation"]["callback_attempts"] == 2
    # The page hears the outcome before the conversation closes (and it stops listening).
    while (frame := await callback_state(world["resident"]))["state"] != "not_reached":
        pass
    assert frame["attempts"] == 2
    state = await world["resident"].recv_until("conversation.state")
    assert (state["status"], state["close_reason"]) == ("closed", "not_reached")

    @database_sync_to_async
    def statistic():
        return ConversationStatistic.objects.get(conversation_id=world["conversation"].pk)

    figures = await statistic()
    assert figures.outcome == StatisticOutcome.NOT_REACHED
    assert figures.callback_attempts == 2


async def test_only_the_assigned_professional_marks_it(world):
    await claim(world)
    c = world["conversation"].pk
    await outcome(world, "reached", "colleague_socket")
    assert (await world["colleague_socket"].recv_until("error"))["code"] == "not_assigned"
    await outcome(world, "reached", "outsider_socket")
    assert (await world["outsider_socket"].recv_until("error"))["code"] == "not_found"

    @database_sync_to_async
    def status():
        return Conversation.objects.get(pk=c).status

    assert await status() == ConversationStatus.ACTIVE


async def test_a_professional_of_another_service_never_sees_it(world):
    outsider = world["outsider_socket"]
    c = world["conversation"].pk
    assert all(s["id"] != c for s in outsider.hello["queue"])
    await claim(world)
    await outcome(world, "no_answer")
    await change_to(world["staff"], "callback_attempted")
    heard = []
    while not await outsider.nothing(0.3):
        heard.append(await outsider.recv())

    def about(frame: dict) -> object:
        target = frame.get("conversation")
        return target.get("id") if isinstance(target, dict) else target

    assert [f for f in heard if about(f) == c] == []
