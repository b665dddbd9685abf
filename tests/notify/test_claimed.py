"""The first text message: a professional claims the conversation while the
resident's page is not connected. Through the actions and the real HTTP gateway."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.actions import claim_conversation, transfer_to_service
from conversations.models import ConversationEvent, EventKind, ResidentConnection
from notify.models import SmsKind, SmsNotice, SmsState
from tests.notify.conftest import MATTER, PHONE, RESIDENT

pytestmark = pytest.mark.django_db

SMS_EVENTS = (EventKind.SMS_QUEUED, EventKind.SMS_SENT, EventKind.SMS_FAILED)


def claim(conversation, pro, capture):
    with capture(execute=True):
        claim_conversation(conversation_id=conversation.pk, professional=pro)


def sms_events(conversation) -> list[tuple[str, dict]]:
    return [
        (e.kind, e.payload)
        for e in ConversationEvent.objects.filter(conversation=conversation, kind__in=SMS_EVENTS)
    ]


def test_claimed_while_disconnected_sends_one_text_with_the_service_and_a_link_only(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    wanted.resident_disconnected_at = timezone.now() - timedelta(seconds=30)
    wanted.save(update_fields=["resident_disconnected_at"])
    claim(wanted, pro, django_capture_on_commit_callbacks)

    [item] = http_sms.received
    assert item.body["to"] == PHONE
    text = item.body["text"]
    assert text == (
        "Hälsorådgivning: en yrkesperson är redo att chatta med dig. "
        "Tillbaka till chatten: https://chat.example.fi/widget/chat/"
    )
    for private in (MATTER, RESIDENT, "Greta", "Anna", "Andersson", "blodtryck"):
        assert private not in text
    notice = SmsNotice.objects.get(conversation=wanted)
    assert (notice.kind, notice.state, notice.attempts) == (SmsKind.CLAIMED, SmsState.SENT, 1)
    assert [kind for kind, _ in sms_events(wanted)] == [EventKind.SMS_QUEUED, EventKind.SMS_SENT]
    for _, payload in sms_events(wanted):
        assert payload == {"notice": notice.pk, "kind": "claimed"}


def test_the_text_and_the_link_are_in_the_residents_language(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    wanted.language = "fi"
    wanted.save(update_fields=["language"])
    claim(wanted, pro, django_capture_on_commit_callbacks)
    assert http_sms.received[0].body["text"] == (
        "Terveysneuvonta: ammattilainen on valmis keskustelemaan kanssasi. "
        "Palaa chattiin: https://chat.example.fi/fi/widget/chat/"
    )


def test_claimed_while_the_page_is_connected_sends_nothing(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    ResidentConnection.objects.create(conversation=wanted, channel_name="c1", process="p")
    claim(wanted, pro, django_capture_on_commit_callbacks)
    assert http_sms.received == []
    assert not SmsNotice.objects.exists()
    assert sms_events(wanted) == []


def test_no_text_when_the_resident_did_not_ask(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    wanted.sms_wanted = False
    wanted.save(update_fields=["sms_wanted"])
    claim(wanted, pro, django_capture_on_commit_callbacks)
    assert http_sms.received == []
    assert sms_events(wanted) == []


def test_a_transfer_and_a_new_claim_do_not_send_a_second_claimed_text(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    claim(wanted, pro, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_to_service(conversation_id=wanted.pk, by=pro, service=wanted.service)
    claim(wanted, pro, django_capture_on_commit_callbacks)
    assert len(http_sms.received) == 1
    assert SmsNotice.objects.filter(conversation=wanted).count() == 1


def test_a_failing_receiver_never_fails_the_claim(
    wanted, pro, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broken(**kwargs):
        raise RuntimeError("gateway module exploded")

    monkeypatch.setattr("notify.actions.notify_claimed", broken)
    claim(wanted, pro, django_capture_on_commit_callbacks)
    wanted.refresh_from_db()
    assert wanted.status == "active"
    assert "text message after the claim" in caplog.text
