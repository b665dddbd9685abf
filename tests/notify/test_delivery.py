"""Delivery through Celery: retries with the attempts counted, giving up with
SMS_FAILED, the daily limit per number, and the number never in the logs."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.actions import claim_conversation, close_by_professional, post_message
from conversations.models import ActorKind, ConversationEvent, EventKind
from notify import actions, sweeps, tasks
from notify.models import SmsKind, SmsNotice, SmsState
from tests.factories import ConversationFactory
from tests.notify.conftest import MATTER, PHONE, RESIDENT

pytestmark = pytest.mark.django_db


def claim(conversation, pro, capture):
    with capture(execute=True):
        claim_conversation(conversation_id=conversation.pk, professional=pro)


def sms_kinds(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind__startswith="sms_"
        ).values_list("kind", flat=True)
    )


def test_two_failures_then_success_sends_once_with_the_attempts_counted(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    http_sms.answers = [500, 500, 200]
    claim(wanted, pro, django_capture_on_commit_callbacks)
    assert len(http_sms.received) == 3
    notice = SmsNotice.objects.get(conversation=wanted)
    assert (notice.state, notice.attempts) == (SmsState.SENT, 3)
    assert sms_kinds(wanted) == [EventKind.SMS_QUEUED, EventKind.SMS_SENT]


def test_a_gateway_that_always_fails_is_given_up_with_sms_failed(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    http_sms.always = 503
    claim(wanted, pro, django_capture_on_commit_callbacks)
    attempts = tasks.SMS_MAX_RETRIES + 1
    assert len(http_sms.received) == attempts
    notice = SmsNotice.objects.get(conversation=wanted)
    assert (notice.state, notice.attempts) == (SmsState.FAILED, attempts)
    assert sms_kinds(wanted) == [EventKind.SMS_QUEUED, EventKind.SMS_FAILED]
    failed = ConversationEvent.objects.get(conversation=wanted, kind=EventKind.SMS_FAILED)
    assert failed.payload == {"notice": notice.pk, "kind": "claimed", "reason": "unreachable"}


def test_a_refused_message_is_not_tried_again(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    http_sms.always = 400
    claim(wanted, pro, django_capture_on_commit_callbacks)
    assert len(http_sms.received) == 1
    assert SmsNotice.objects.get(conversation=wanted).state == SmsState.FAILED
    assert sms_kinds(wanted) == [EventKind.SMS_QUEUED, EventKind.SMS_FAILED]


def test_retries_back_off():
    assert [tasks.retry_delay(n) for n in range(tasks.SMS_MAX_RETRIES)] == [15, 30, 60, 120]


def test_a_duplicate_task_sends_nothing(wanted, pro, http_sms, django_capture_on_commit_callbacks):
    claim(wanted, pro, django_capture_on_commit_callbacks)
    notice = SmsNotice.objects.get(conversation=wanted)
    assert tasks.send_sms.apply(args=(notice.pk,)).get() == "nothing"
    assert len(http_sms.received) == 1


def test_a_chat_that_ended_before_delivery_is_not_texted(
    wanted, pro, http_sms, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(actions, "queue_sms", lambda notice_id: False)  # the broker is slow
    claim(wanted, pro, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        close_by_professional(conversation_id=wanted.pk, professional=pro, reason="guidance-given")
    notice = SmsNotice.objects.get(conversation=wanted)
    assert tasks.send_sms.apply(args=(notice.pk,)).get() == "cancelled"
    assert http_sms.received == []
    failed = ConversationEvent.objects.get(conversation=wanted, kind=EventKind.SMS_FAILED)
    assert failed.payload["reason"] == "ended"


def test_the_daily_limit_per_number(
    pro, wanted, http_sms, settings, django_capture_on_commit_callbacks
):
    settings.SMS_MAX_PER_NUMBER_PER_DAY = 2
    same = [wanted] + [
        ConversationFactory(service=wanted.service, sms_wanted=True, resident_phone=PHONE)
        for _ in range(2)
    ]
    other = ConversationFactory(
        service=wanted.service, sms_wanted=True, resident_phone="+358501112233"
    )
    for conversation in [*same, other]:
        claim(conversation, pro, django_capture_on_commit_callbacks)
    assert [i.body["to"] for i in http_sms.received] == [PHONE, PHONE, "+358501112233"]
    assert not SmsNotice.objects.filter(conversation=same[2]).exists()
    assert sms_kinds(same[2]) == []
    # A day later the number may be texted again.
    tomorrow = timezone.now() + timedelta(days=1, minutes=1)
    later = ConversationFactory(service=wanted.service, sms_wanted=True, resident_phone=PHONE)
    later.status, later.assigned_to = "active", pro
    later.save()
    assert actions.queue_notice(conversation_id=later.pk, kind=SmsKind.CLAIMED, now=tomorrow)


def test_the_number_and_the_residents_details_never_reach_the_logs_or_the_timeline(
    wanted, pro, http_sms, settings, caplog, capsys, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    settings.SMS_MAX_PER_NUMBER_PER_DAY = 2
    http_sms.answers = [500, 200, 400]
    claim(wanted, pro, django_capture_on_commit_callbacks)  # retried, sent
    wanted.resident_disconnected_at = timezone.now()
    wanted.save(update_fields=["resident_disconnected_at"])
    post_message(
        conversation_id=wanted.pk,
        author_kind=ActorKind.STAFF,
        author=pro,
        body="Hej",
        client_id="s",
    )
    with django_capture_on_commit_callbacks(execute=True):  # refused
        sweeps.notify_after_disconnect(now=timezone.now() + timedelta(minutes=1))
    capped = ConversationFactory(service=wanted.service, sms_wanted=True, resident_phone=PHONE)
    claim(capped, pro, django_capture_on_commit_callbacks)  # over the daily limit
    settings.SMS_BACKEND = "console"
    again = ConversationFactory(
        service=wanted.service, sms_wanted=True, resident_phone="+358409876543"
    )
    claim(again, pro, django_capture_on_commit_callbacks)  # printed, masked

    assert len(http_sms.received) == 3
    assert "daily limit" in caplog.text and "attempt 1 failed" in caplog.text
    printed = capsys.readouterr()
    for secret in (PHONE, "401234567", "409876543", MATTER, RESIDENT):
        assert secret not in caplog.text
        assert secret not in printed.err
    assert "409876543" not in printed.out and "+358 *** **43" in printed.out
    for event in ConversationEvent.objects.filter(kind__startswith="sms_"):
        assert "401234567" not in str(event.payload)
    for notice in SmsNotice.objects.values():
        assert "401234567" not in str(notice)
