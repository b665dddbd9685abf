"""Close → end screen → transcript task → a real SMTP server: content, no notes,
no identity codes; one-time, expiring, rate-limited; the address not kept."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from closing import actions, tasks
from closing.errors import ClosingError
from closing.models import TranscriptRequest, TranscriptState
from closing.tokens import make_transcript_token
from conversations.models import ConversationEvent, EventKind, ProfessionalDisplay
from tests.closing.conftest import HETU, NOTE_TEXT, resident_client, served_conversation

pytestmark = pytest.mark.django_db


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, pattern
    return found.group(1)


def end_screen(client):
    response = client.get(reverse("closing:after_chat"), headers={"X-Fragment": "1"})
    assert response.status_code == 200
    return response.content.decode()


def token_in(html: str) -> str:
    return _match(r'name="token" value="([^"]+)"', html)


def send(client, token: str, email: str = "resident@example.net"):
    return client.post(
        reverse("closing:transcript"),
        {"token": token, "email": email},
        headers={"X-Fragment": "1"},
    )


def test_close_end_screen_and_transcript_delivered_by_smtp(
    client, smtp, closed, django_capture_on_commit_callbacks
):
    resident_client(client, closed)
    html = end_screen(client)
    assert "Skicka samtalet till min e-post" in html
    assert 'id="survey-link"' in html
    assert "inte en säker kanal" in html  # the privacy note (Swedish, the default)
    assert "offentlig plats" in html  # the public-computer advice

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, token_in(html))
    assert response.status_code == 200
    assert "köats för att skickas" in response.content.decode()  # queued, not "arrived"

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "resident@example.net"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",)).get_content()
    for part in (text, html_part):
        assert "Kan jag få vaccin?" in part
        assert "Anna" in part and "Andersson" not in part  # first name only
        assert "boka en tid" in part
        assert "Samtalet avslutades." in part  # a system event in words
        assert NOTE_TEXT not in part
        assert HETU not in part
        assert "[hidden]" in part or "[dold]" in part or "***" in part or HETU[:6] not in part
    assert re.search(r"\[\d\d:\d\d\] Du: Hej", text)  # times and "You"
    assert "&lt;b&gt;på&lt;/b&gt;" in html_part  # the professional's text escaped in HTML

    request = TranscriptRequest.objects.get()
    assert request.state == TranscriptState.SENT
    assert request.recipient == ""  # delivery over: the address is gone
    kinds = list(
        ConversationEvent.objects.filter(conversation=closed)
        .filter(kind__startswith="transcript")
        .values_list("kind", "payload")
    )
    assert kinds == [
        (EventKind.TRANSCRIPT_QUEUED, {"request": request.pk}),
        (EventKind.TRANSCRIPT_SENT, {"request": request.pk}),
    ]


def test_transcript_is_in_the_residents_language_with_the_services_title(
    smtp, django_capture_on_commit_callbacks
):
    conversation = served_conversation(language="fi")
    service = conversation.service
    service.professional_display = ProfessionalDisplay.TITLE
    service.professional_title_fi = "Terveydenhoitaja"
    service.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.request_transcript(
            conversation_id=conversation.pk,
            token=make_transcript_token(conversation.pk),
            email="asukas@example.net",
        )
    message = smtp.messages[0]
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"].startswith("Keskustelusi")
    assert "Terveydenhoitaja:" in text and "Anna" not in text
    assert "Keskustelu päättyi." in text


def test_a_token_works_once(closed, smtp, django_capture_on_commit_callbacks):
    token = make_transcript_token(closed.pk)
    with django_capture_on_commit_callbacks(execute=True):
        actions.request_transcript(conversation_id=closed.pk, token=token, email="a@example.net")
    with pytest.raises(ClosingError) as refused:
        actions.request_transcript(conversation_id=closed.pk, token=token, email="a@example.net")
    assert refused.value.code == "token_used"


def test_the_possibility_expires_after_the_set_time(closed, settings):
    settings.TRANSCRIPT_LINK_MINUTES = 30
    token = make_transcript_token(closed.pk)
    at_deadline = closed.closed_at + timedelta(minutes=30)
    actions.request_transcript(
        conversation_id=closed.pk, token=token, email="a@example.net", now=at_deadline
    )
    with pytest.raises(ClosingError) as refused:
        actions.request_transcript(
            conversation_id=closed.pk,
            token=make_transcript_token(closed.pk),
            email="a@example.net",
            now=at_deadline + timedelta(seconds=1),
        )
    assert refused.value.code == "link_expired"


def test_expired_end_screen_offers_no_form_and_refuses_with_410(client, closed):
    resident_client(client, closed)
    token = token_in(end_screen(client))
    closed.closed_at -= timedelta(minutes=31)
    closed.save(update_fields=["closed_at"])
    assert 'name="token"' not in end_screen(client)
    response = send(client, token)
    assert response.status_code == 410
    assert not TranscriptRequest.objects.exists()


def test_a_token_of_another_conversation_is_refused(client, closed):
    other = served_conversation(service=closed.service)
    resident_client(client, closed)
    response = send(client, make_transcript_token(other.pk))
    assert response.status_code == 400
    assert not TranscriptRequest.objects.exists()


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 250 + "@example.net"])
def test_an_invalid_address_is_told_not_stored(client, closed, email):
    resident_client(client, closed)
    response = send(client, token_in(end_screen(client)), email)
    assert response.status_code == 400
    assert 'id="transcript-error"' in response.content.decode()
    assert not TranscriptRequest.objects.exists()


def test_rate_limited_per_conversation(closed, settings):
    settings.TRANSCRIPT_MAX_PER_CONVERSATION = 2
    for n in range(2):
        actions.request_transcript(
            conversation_id=closed.pk,
            token=make_transcript_token(closed.pk),
            email=f"a{n}@example.net",
        )
    with pytest.raises(ClosingError) as refused:
        actions.request_transcript(
            conversation_id=closed.pk, token=make_transcript_token(closed.pk), email="b@example.net"
        )
    assert refused.value.code == "rate_limited"


def test_rate_limited_per_address_across_conversations(settings):
    settings.TRANSCRIPT_MAX_PER_ADDRESS_PER_DAY = 2
    conversations = [served_conversation() for _ in range(3)]
    for c in conversations[:2]:
        actions.request_transcript(
            conversation_id=c.pk, token=make_transcript_token(c.pk), email="Same@Example.net"
        )
    last = conversations[2]
    with pytest.raises(ClosingError) as refused:
        actions.request_transcript(
            conversation_id=last.pk, token=make_transcript_token(last.pk), email="same@example.net "
        )
    assert refused.value.code == "rate_limited"
    # The address itself is not what is counted: only its keyed hash.
    assert not TranscriptRequest.objects.filter(recipient_digest__icontains="same").exists()


def test_switched_off_per_service(client, closed):
    closed.service.transcripts_enabled = False
    closed.service.save()
    resident_client(client, closed)
    html = end_screen(client)
    assert 'name="token"' not in html
    response = send(client, make_transcript_token(closed.pk))
    assert response.status_code == 403
    assert not TranscriptRequest.objects.exists()


def test_open_conversation_has_no_end_screen(client, db):
    conversation = served_conversation(close=False)
    resident_client(client, conversation)
    assert client.get(reverse("closing:after_chat")).status_code == 404
    response = send(client, make_transcript_token(conversation.pk))
    assert response.status_code == 404


def test_without_session_nothing_is_shown(client, closed):
    assert client.get(reverse("closing:after_chat")).status_code == 404


def test_smtp_failure_retries_then_gives_up_and_records_it(
    closed, settings, django_capture_on_commit_callbacks
):
    from tests.closing.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens: connection refused
    with django_capture_on_commit_callbacks(execute=True):
        request = actions.request_transcript(
            conversation_id=closed.pk,
            token=make_transcript_token(closed.pk),
            email="a@example.net",
        )
    request.refresh_from_db()
    assert request.attempts == tasks.TRANSCRIPT_MAX_RETRIES + 1
    assert request.state == TranscriptState.FAILED
    assert request.recipient == ""
    assert ConversationEvent.objects.filter(
        conversation=closed, kind=EventKind.TRANSCRIPT_FAILED
    ).exists()


def test_retry_delays_back_off():
    assert [tasks.retry_delay(n) for n in range(5)] == [30, 60, 120, 240, 480]


def test_the_end_screen_page_works_without_script(client, closed):
    resident_client(client, closed)
    response = client.get(reverse("closing:after_chat"))
    assert response.status_code == 200
    assert (
        "<html" in response.content.decode()
        and 'id="transcript-email"' in response.content.decode()
    )
