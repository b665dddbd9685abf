"""Hostile socket input, property-based: every frame type of each role with
random JSON shapes, wrong types, huge and deeply nested values, invalid
Unicode, control characters and HTML/JS payloads, and raw text that is not a
frame at all. The server never fails (no `server_error`, no closed socket, no
logged exception), always answers a refused frame with an `error` of a stable
code, and another conversation is unaffected.

The frame types are read from the protocol, so a new frame is fuzzed as soon as
it exists."""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conversations import actions
from conversations.models import Conversation, Message
from customers.consumers import ResidentConsumer
from staff.consumers import StaffConsumer
from tests.conftest import Socket, resident_cookie, staff_cookie
from tests.conversations.test_frames import ALL_SERVER_FRAMES
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = hypothesis_settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples in every run: CI is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "\x00\x01\x07\x1b[31m",
    "\u202e\u200b\ufeff",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "010280-952L",
    "' OR 1=1; --",
    "x" * 20_000,
    "🙂" * 500,
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(HOSTILE)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RAW = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            "null",
            "[]",
            '{"type": 1}',
            "[" * 10_000,
            '{"type":"ping"' + "}" * 3,
            '{"type":"message.send","body":"' + "a" * 70_000 + '"}',
        ]
    ),
)
KNOWN = {f.model_fields["type"].default for f in ALL_SERVER_FRAMES}


def type_names(types) -> list[str]:
    return sorted({t for f in types for t in f.model_fields["type"].annotation.__args__})


def fields_of(types) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for frame in types:
        for kind in frame.model_fields["type"].annotation.__args__:
            names[kind] = [f for f in frame.model_fields if f != "type"]
    return names


def payloads(types, conversation_id: int):
    """Text frames: a known type with fields that are right, wrong or missing,
    plus fields nobody asked for; or raw text."""
    fields = fields_of(types)

    @st.composite
    def frame(draw) -> str:
        kind = draw(st.sampled_from(type_names(types)))
        body: dict = {"type": kind}
        for name in fields[kind]:
            choice = draw(st.integers(0, 3))
            if choice == 0:
                continue
            body[name] = conversation_id if name == "conversation" and choice == 1 else draw(VALUES)
        if draw(st.booleans()):
            body.update(draw(st.dictionaries(st.text(max_size=8), VALUES, max_size=2)))
        return json.dumps(body)

    return frame() | RAW


async def exchange(path: str, cookie: bytes, payload: str) -> list[dict]:
    """Send one payload on a fresh socket, then a ping; every frame until the pong."""
    sock = Socket(path, cookie)
    assert await sock.connect(), "the socket must open"
    try:
        hello = await sock.recv(5)
        assert hello["type"] == "hello"
        # As received from the network, the empty frame included.
        await sock.comm.send_input({"type": "websocket.receive", "text": payload})
        await sock.send({"type": "ping"})
        answers = []
        while (frame := await sock.recv(5))["type"] != "pong":
            answers.append(frame)
        return answers
    finally:
        await sock.close()


def check(answers: list[dict]) -> None:
    for frame in answers:
        assert frame["type"] in KNOWN, frame
        if frame["type"] == "error":
            assert frame["code"] != "server_error", frame
            assert isinstance(frame.get("message"), str)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    """Input validation does not depend on the layer; the in-memory one keeps the
    examples fast (the layers themselves are covered by the other socket tests)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def world():
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    mine = ConversationFactory(service=service)
    other = ConversationFactory(service=service)
    actions.claim_conversation(conversation_id=mine.pk, professional=professional)
    return {"professional": professional, "mine": mine, "other": other}


def unaffected(conversation: Conversation) -> None:
    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    assert not Message.objects.filter(conversation=conversation).exists()


@FUZZ
@given(data=st.data())
def test_resident_socket_survives_any_input(world, caplog, data):
    caplog.set_level(logging.ERROR)
    types = [t for t in ResidentConsumer.frame_types if "conversation.leave" not in type_names([t])]
    payload = data.draw(payloads(types, world["mine"].pk))
    answers = async_to_sync(exchange)("/ws/v1/resident/", resident_cookie(world["mine"]), payload)
    check(answers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    unaffected(world["other"])


@FUZZ
@given(data=st.data())
def test_staff_socket_survives_any_input(world, caplog, data):
    caplog.set_level(logging.ERROR)
    payload = data.draw(payloads(StaffConsumer.frame_types, world["mine"].pk))
    answers = async_to_sync(exchange)("/ws/v1/staff/", staff_cookie(world["professional"]), payload)
    check(answers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    unaffected(world["other"])


def test_the_fuzzer_knows_every_frame_type():
    """A frame type added to the protocol is fuzzed without touching this file."""
    assert set(fields_of(ResidentConsumer.frame_types)) == set(
        type_names(ResidentConsumer.frame_types)
    )
    assert "message.send" in type_names(ResidentConsumer.frame_types)
    assert get_user_model() is not None
