"""Fixtures for what happens after a conversation closes: a served and closed
conversation with messages, a note and an identity code; a real SMTP server."""

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from conversations.actions import (
    add_note,
    claim_conversation,
    close_by_professional,
    post_message,
)
from conversations.models import ActorKind, Conversation
from conversations.selectors import SESSION_KEY
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

HETU = "131052-308T"  # a valid identity code (checksum and date)
NOTE_TEXT = "INTERNAL-NOTE-never-to-the-resident"


@dataclass
class Sink:
    """Messages the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd, in its own thread)."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings, smtp_server):
    """Django sends through the real SMTP server."""
    controller, sink = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 5
    return sink


def served_conversation(
    *, service=None, professional=None, language: str = "sv", close: bool = True
) -> Conversation:
    """A conversation a professional took and answered: resident and professional
    messages (one with an unmasked identity code, as an older path may have
    stored), an internal note, then closed by the professional."""
    service = service or ServiceFactory()
    if professional is None:
        professional = UserFactory(first_name="Anna", last_name="Andersson")
        service.professionals.add(professional)
    conversation: Conversation = ConversationFactory.create(service=service, language=language)
    claim_conversation(conversation_id=conversation.pk, professional=professional)
    post_message(
        conversation_id=conversation.pk,
        author_kind=ActorKind.RESIDENT,
        body=f"Hej, min kod är {HETU}. Kan jag få vaccin?",
        client_id="r1",
    )
    post_message(
        conversation_id=conversation.pk,
        author_kind=ActorKind.STAFF,
        author=professional,
        body="Ja, boka en tid <b>på</b> hälsostationen.",
        client_id="s1",
    )
    add_note(conversation_id=conversation.pk, author=professional, body=NOTE_TEXT, client_id="n1")
    if close:
        close_by_professional(
            conversation_id=conversation.pk, professional=professional, reason="guidance-given"
        )
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def closed(db):
    return served_conversation()


def resident_client(client, conversation):
    """The test client as the resident who owns `conversation`."""
    session = client.session
    session[SESSION_KEY] = conversation.pk
    session.save()
    return client


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in the test's process (the embedded setup), whatever REDIS_URL says;
    test_worker.py runs them in a real worker instead."""
    from chatservice.celery import app

    before = {k: app.conf[k] for k in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(before)
