"""Every abuse limit triggers, tells the person clearly and in their language,
stores nothing over the limit, and lets them go on once its window has passed.

The limits: conversations started and contact requests left per client
address (intake, callbacks), messages and
the other limited frames per socket and per conversation (token buckets:
messages, notes, identification requests), uploads per conversation and party,
transcript e-mails per conversation and per address per day, and failed staff
logins (allauth). Time is moved by replacing each limit's clock (as
tests/staff/test_keepalive.py does), never by sleeping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from attachments.models import Attachment
from closing.models import TranscriptRequest
from closing.tokens import make_transcript_token
from conversations import actions
from conversations.models import Conversation, InternalNote, Message
from identity.models import IdentificationRequest
from tests.attachments.conftest import PDF, identify, multipart
from tests.closing.conftest import eager_celery, served_conversation  # noqa: F401 - fixture
from tests.conftest import resident_cookie, staff_cookie
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

START = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
LANGUAGES = ("sv", "fi", "en")


class Clock:
    """One clock for every limit: wall time for the fixed windows in the cache,
    a monotonic reading for the sockets' token buckets."""

    def __init__(self) -> None:
        self.now = START

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return (self.now - START).total_seconds() + 1_000.0


@pytest.fixture
def clock(monkeypatch):
    from attachments import ratelimit as attachment_limit
    from closing import actions as closing_actions
    from conversations import ratelimit as socket_limit
    from customers import ratelimit as intake_limit

    clock = Clock()
    wall = SimpleNamespace(now=lambda: clock.now)
    monkeypatch.setattr(intake_limit, "timezone", wall)
    monkeypatch.setattr(attachment_limit, "timezone", wall)
    monkeypatch.setattr(socket_limit, "time", SimpleNamespace(monotonic=clock.monotonic))
    # The transcript's clock: its deadline and its per-address day.
    monkeypatch.setattr(closing_actions, "timezone", wall)
    return clock


def in_every_language(message: str) -> dict[str, str]:
    """The message as each language says it; asserts it is translated."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = gettext(message)
    assert len(set(texts.values())) == 3, f"not translated to every language: {message!r}"
    return texts


# --- intake: conversations started per address ------------------------------------------

INTAKE_LIMITED = "Too many chats were started from this address. Please try again in a few minutes."
VALID = {"name": "Testi Asukas", "phone": "040 123 4567", "matter": "A question"}


@pytest.mark.django_db
def test_intake_limit_triggers_tells_and_recovers(clock, settings):
    settings.INTAKE_RATE_LIMIT = 2
    settings.INTAKE_RATE_WINDOW_SECONDS = 600
    service = ServiceFactory()
    address = {"REMOTE_ADDR": "192.0.2.10"}

    def start(language: str = "sv", data=VALID):
        prefix = "" if language == "sv" else f"/{language}"
        return Client().post(f"{prefix}/widget/services/{service.slug}/", data, **address)

    assert start(data={**VALID, "phone": "x"}).status_code == 400  # a typo does not count
    assert start().status_code == 302
    assert start().status_code == 302
    count = Conversation.objects.count()
    texts = in_every_language(INTAKE_LIMITED)
    for language in LANGUAGES:
        refused = start(language)
        assert refused.status_code == 429
        assert texts[language] in refused.content.decode()
        assert 'role="alert"' in refused.content.decode() or "errorlist" in refused.content.decode()
    assert Conversation.objects.count() == count  # nothing stored

    # Another address is not limited.
    other = Client().post(f"/widget/services/{service.slug}/", VALID, REMOTE_ADDR="192.0.2.11")
    assert other.status_code == 302

    clock.advance(599)
    assert start().status_code == 429
    clock.advance(1)  # the next window
    assert start().status_code == 302
    assert Conversation.objects.count() == count + 2


@pytest.mark.django_db
def test_contact_requests_share_the_intake_limit_and_recover(clock, settings):
    """A closed service's contact request (callbacks/) counts with the chats
    started from the same address."""
    settings.INTAKE_RATE_LIMIT = 2
    settings.INTAKE_RATE_WINDOW_SECONDS = 600
    open_service = ServiceFactory()
    closed_service = ServiceFactory(always_open=False, contact_requests=True)
    address = {"REMOTE_ADDR": "192.0.2.20"}
    contact = {f"contact-{k}": v for k, v in VALID.items()}

    def leave(language: str = "sv"):
        prefix = "" if language == "sv" else f"/{language}"
        url = f"{prefix}/widget/services/{closed_service.slug}/contact/"
        return Client().post(url, contact, **address)

    assert (
        Client().post(f"/widget/services/{open_service.slug}/", VALID, **address).status_code == 302
    )
    assert leave().status_code == 302
    count = Conversation.objects.count()
    texts = in_every_language(
        "Too many requests were sent from this address. Please try again in a few minutes."
    )
    for language in LANGUAGES:
        refused = leave(language)
        assert refused.status_code == 429
        assert texts[language] in refused.content.decode()
    assert Conversation.objects.count() == count
    clock.advance(600)
    assert leave().status_code == 302
    assert Conversation.objects.count() == count + 1


# --- socket: messages, notes and identification requests ---------------------------------


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def served(transactional_db, in_memory_layer):
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversation = ConversationFactory(service=service, language="fi")
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    return conversation, professional


async def answers(sock, count: int) -> list[dict]:
    got: list[dict] = []
    while len(got) < count:
        frame = await sock.recv()
        if frame["type"] in ("message.ack", "note.ack", "error") or frame["type"].startswith(
            "identification"
        ):
            got.append(frame)
    return got


@database_sync_to_async
def count_of(model, **filters) -> int:
    return model.objects.filter(**filters).count()


async def test_message_limit_triggers_and_recovers(clock, settings, served, open_socket):
    conversation, _professional = served
    settings.CHAT_RATE_BURST = 3
    settings.CHAT_RATE_PER_SECOND = 1
    cookie = await database_sync_to_async(resident_cookie)(conversation)
    resident = await open_socket("/ws/v1/resident/", cookie)
    for i in range(5):
        await resident.send({"type": "message.send", "client_id": f"m{i}", "body": f"hej {i}"})
    got = await answers(resident, 5)
    assert [f["type"] for f in got] == ["message.ack"] * 3 + ["error"] * 2
    for error in got[3:]:
        # The client keeps the message and sends it again after `retry_after`,
        # showing "Not sent yet: trying again…" (customers/strings.py).
        assert error["code"] == "rate_limited" and error["client_id"] in ("m3", "m4")
        assert error["retry_after"] > 0 and error["message"]
    assert await count_of(Message, conversation=conversation) == 3

    clock.advance(got[3]["retry_after"])
    await resident.send({"type": "message.send", "client_id": "m3", "body": "hej 3"})
    (ack,) = await answers(resident, 1)
    assert ack["type"] == "message.ack" and ack["client_id"] == "m3" and not ack["duplicate"]
    assert await count_of(Message, conversation=conversation) == 4


async def test_the_retrying_state_is_translated():
    # What the resident and the professional see for a limited message.
    in_every_language("Not sent yet: trying again…")


async def test_note_and_identification_limits_trigger_and_recover(
    clock, settings, served, open_socket
):
    """Notes and identification requests share the professional's socket bucket."""
    conversation, professional = served
    settings.CHAT_RATE_BURST = 2
    settings.CHAT_RATE_PER_SECOND = 0.5
    cookie = await database_sync_to_async(staff_cookie)(professional)
    pro = await open_socket("/ws/v1/staff/", cookie)
    request = {"type": "identification.request", "conversation": conversation.pk}
    await pro.send(request)
    await pro.send(request)
    await pro.send(request)
    errors = [f for f in await drain(pro) if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["rate_limited"]
    assert errors[0]["retry_after"] > 0
    assert await count_of(IdentificationRequest, conversation=conversation) == 2

    note = {"type": "note.add", "conversation": conversation.pk, "client_id": "n1", "body": "x"}
    await pro.send(note)
    errors = [f for f in await drain(pro) if f["type"] == "error"]
    assert [(e["code"], e["client_id"]) for e in errors] == [("rate_limited", "n1")]
    assert await count_of(InternalNote, conversation=conversation) == 0

    clock.advance(2)  # one token back
    await pro.send(request)
    assert not [f for f in await drain(pro) if f["type"] == "error"]
    assert await count_of(IdentificationRequest, conversation=conversation) == 3
    clock.advance(2)
    await pro.send(note)
    assert not [f for f in await drain(pro) if f["type"] == "error"]
    assert await count_of(InternalNote, conversation=conversation) == 1


async def drain(sock) -> list[dict]:
    """Every frame until the answer to a ping (frames are answered in order)."""
    await sock.send({"type": "ping"})
    frames = []
    while (frame := await sock.recv())["type"] != "pong":
        frames.append(frame)
    return frames


# --- uploads per conversation and party --------------------------------------------------


@pytest.fixture
def identified(db, settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_SCANNER = "tests.attachments.conftest.ScannerDouble"
    service = ServiceFactory()
    professional = UserFactory()
    service.professionals.add(professional)
    conversation = ConversationFactory(service=service, language="fi")
    actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
    identify(conversation)
    return conversation


def upload(client: Client, name: str):
    from tests.attachments.conftest import BOUNDARY

    return client.post(
        reverse("attachments:resident_upload"),
        data=multipart(PDF, name, "application/pdf"),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def test_upload_limit_triggers_tells_and_recovers(clock, settings, identified):
    from tests.attachments.conftest import browser_for

    settings.ATTACHMENT_RATE_LIMIT = 2
    settings.ATTACHMENT_RATE_WINDOW_SECONDS = 300
    client = browser_for(identified)
    assert upload(client, "1.pdf").status_code == 201
    assert upload(client, "2.pdf").status_code == 201
    refused = upload(client, "3.pdf")
    assert refused.status_code == 429
    error = json.loads(refused.content)["error"]
    assert error["code"] == "rate_limited"
    # In the conversation's language (Finnish here), translated everywhere.
    texts = in_every_language("Too many files at once. Wait a moment and try again.")
    assert error["message"] == texts["fi"]
    assert Attachment.objects.count() == 2
    assert len([p for p in settings.ATTACHMENT_ROOT.rglob("*") if p.is_file()]) == 2

    clock.advance(300)
    assert upload(client, "3.pdf").status_code == 201
    assert Attachment.objects.count() == 3


# --- transcript e-mails -------------------------------------------------------------------


def send_transcript(client: Client, conversation, email: str, language: str = "sv"):
    prefix = "" if language == "sv" else f"/{language}"
    return client.post(
        f"{prefix}/widget/after-chat/transcript/",
        {"token": make_transcript_token(conversation.pk), "email": email},
        headers={"X-Fragment": "1"},
    )


def resident_of(conversation) -> Client:
    from tests.attachments.conftest import browser_for

    return browser_for(conversation)


TRANSCRIPT_LIMITED = "The conversation has already been sent as many times as is allowed."


@pytest.mark.django_db
def test_transcripts_per_conversation_are_capped(
    clock, settings, django_capture_on_commit_callbacks
):
    """A cap for the conversation's whole (short) life, not a window: refused
    once reached, until the possibility expires."""
    settings.TRANSCRIPT_MAX_PER_CONVERSATION = 2
    closed = served_conversation()
    Conversation.objects.filter(pk=closed.pk).update(closed_at=clock.now)
    client = resident_of(closed)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_transcript(client, closed, "a@example.net").status_code == 200
        assert send_transcript(client, closed, "b@example.net").status_code == 200
        texts = in_every_language(TRANSCRIPT_LIMITED)
        for language in LANGUAGES:
            refused = send_transcript(client, closed, "c@example.net", language)
            assert refused.status_code == 429
            assert texts[language] in refused.content.decode()
    assert TranscriptRequest.objects.count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_transcripts_per_address_trigger_and_recover_after_a_day(
    clock, settings, django_capture_on_commit_callbacks
):
    settings.TRANSCRIPT_MAX_PER_ADDRESS_PER_DAY = 2
    settings.TRANSCRIPT_LINK_MINUTES = 60

    def send_from_a_new_conversation(email: str, language: str = "sv"):
        conversation = served_conversation()
        Conversation.objects.filter(pk=conversation.pk).update(closed_at=clock.now)
        with django_capture_on_commit_callbacks(execute=True):
            return send_transcript(resident_of(conversation), conversation, email, language)

    for _ in range(2):
        assert send_from_a_new_conversation("Same@example.net").status_code == 200
    refused = send_from_a_new_conversation("same@example.net ", "fi")
    assert refused.status_code == 429
    assert in_every_language(TRANSCRIPT_LIMITED)["fi"] in refused.content.decode()
    assert TranscriptRequest.objects.count() == 2 and len(mail.outbox) == 2
    # Another address is not limited.
    assert send_from_a_new_conversation("other@example.net").status_code == 200

    clock.advance(24 * 3600 - 1)
    assert send_from_a_new_conversation("same@example.net").status_code == 429
    clock.advance(2)  # a day after the first
    assert send_from_a_new_conversation("same@example.net").status_code == 200
    assert TranscriptRequest.objects.count() == 4 and len(mail.outbox) == 4


# --- staff logins (allauth) ---------------------------------------------------------------


@pytest.mark.django_db
def test_failed_logins_are_limited_and_recover(settings, monkeypatch):
    """allauth's limit (ACCOUNT_RATE_LIMITS: 5 failures per account in 300 s)."""
    import time

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    user = UserFactory(email="anna@example.org")
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(time, "time", lambda: now["t"])

    def login(password: str, language: str = "sv"):
        prefix = "" if language == "sv" else f"/{language}"
        return Client().post(
            f"{prefix}/accounts/login/", {"login": user.email, "password": password}
        )

    for _ in range(5):
        assert login("wrong").status_code == 200
    texts = in_every_language("Too many failed login attempts. Try again later.")
    for language in LANGUAGES:
        refused = login("pw-for-tests-1", language)  # the right password, too late
        assert refused.status_code in (200, 429)
        assert texts[language] in refused.content.decode()
        assert "_auth_user_id" not in refused.wsgi_request.session

    now["t"] += 301
    accepted = login("pw-for-tests-1")
    assert accepted.status_code == 302  # on to the second factor
    assert accepted["Location"].endswith("/accounts/2fa/authenticate/")


async def test_a_limited_frame_is_told_in_the_sockets_language(
    clock, settings, served, open_socket
):
    conversation, _professional = served
    settings.CHAT_RATE_BURST = 1
    settings.CHAT_RATE_PER_SECOND = 0.1
    cookie = await database_sync_to_async(resident_cookie)(conversation)  # a Finnish chat
    resident = await open_socket("/ws/v1/resident/", cookie)
    for i in range(2):
        await resident.send({"type": "message.send", "client_id": f"m{i}", "body": "hei"})
    (error,) = [f for f in await drain(resident) if f["type"] == "error"]
    assert error["code"] == "rate_limited"
    assert error["message"] == "Liian monta kerralla; odota hetki ja yritä uudelleen."
