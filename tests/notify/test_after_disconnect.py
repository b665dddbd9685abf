"""The second text message: the resident's page went away during the chat and
the professional wrote since. Found by the sweep (beat / the in-process loop);
`now` is passed in, never read from the clock in an assertion."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chatservice import background
from conversations.actions import claim_conversation, post_message
from conversations.models import ActorKind, ConversationEvent, EventKind
from notify import sweeps
from notify.models import SmsKind, SmsNotice, SmsState

pytestmark = pytest.mark.django_db


def write(conversation, pro, n: int) -> None:
    post_message(
        conversation_id=conversation.pk,
        author_kind=ActorKind.STAFF,
        author=pro,
        body=f"Är du kvar? {n}",
        client_id=f"s{n}",
    )


def gone(conversation, *, seconds_ago: int = 0):
    """The resident's page goes away (now, after what happened so far)."""
    conversation.resident_disconnected_at = timezone.now() - timedelta(seconds=seconds_ago)
    conversation.save(update_fields=["resident_disconnected_at"])
    return conversation.resident_disconnected_at


@pytest.fixture
def active(wanted, pro, http_sms, django_capture_on_commit_callbacks):
    """Claimed while the page was connected (no first text), then served."""
    from conversations.models import ResidentConnection

    ResidentConnection.objects.create(conversation=wanted, channel_name="c1", process="p")
    with django_capture_on_commit_callbacks(execute=True):
        claim_conversation(conversation_id=wanted.pk, professional=pro)
    ResidentConnection.objects.all().delete()
    assert http_sms.received == []
    return wanted


def sweep(capture, now=None) -> int:
    """A round of the sweep, by default a minute from now (past the grace)."""
    with capture(execute=True):
        return sweeps.notify_after_disconnect(now=now or timezone.now() + timedelta(minutes=1))


def test_a_disconnect_and_a_professionals_message_send_one_text_and_never_another(
    active, pro, http_sms, django_capture_on_commit_callbacks
):
    gone(active)
    assert sweep(django_capture_on_commit_callbacks) == 0  # nobody wrote since
    write(active, pro, 1)
    assert sweep(django_capture_on_commit_callbacks) == 1
    [item] = http_sms.received
    assert item.body["text"].startswith("Hälsorådgivning: en yrkesperson har skrivit till dig")
    assert SmsNotice.objects.get(conversation=active).kind == SmsKind.MESSAGE

    # More messages, more rounds, a reconnect and another disconnect: no third text.
    write(active, pro, 2)
    assert sweep(django_capture_on_commit_callbacks) == 0
    gone(active)
    write(active, pro, 3)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert len(http_sms.received) == 1


def test_at_most_two_per_conversation_claimed_then_message(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    # Not connected at the claim: the first text.
    with django_capture_on_commit_callbacks(execute=True):
        claim_conversation(conversation_id=wanted.pk, professional=pro)
    assert len(http_sms.received) == 1
    # Back (no disconnect mark), writes, then gone again after the claim.
    gone(wanted)
    write(wanted, pro, 1)
    assert sweep(django_capture_on_commit_callbacks) == 1
    gone(wanted)
    write(wanted, pro, 2)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert [i.body["text"].split(":")[1].strip()[:20] for i in http_sms.received] == [
        "en yrkesperson är re",
        "en yrkesperson har s",
    ]
    assert SmsNotice.objects.filter(conversation=wanted).count() == 2


def test_gone_before_the_claim_already_had_the_first_text(
    wanted, pro, http_sms, django_capture_on_commit_callbacks
):
    gone(wanted, seconds_ago=60)
    with django_capture_on_commit_callbacks(execute=True):
        claim_conversation(conversation_id=wanted.pk, professional=pro)
    write(wanted, pro, 1)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert len(http_sms.received) == 1


def test_a_reload_is_not_a_disconnect(active, pro, http_sms, django_capture_on_commit_callbacks):
    since = gone(active)
    write(active, pro, 1)
    soon = since + timedelta(seconds=sweeps_grace() - 5)
    assert sweep(django_capture_on_commit_callbacks, now=soon) == 0
    # Still away after the grace: now it goes.
    later = since + timedelta(seconds=sweeps_grace() + 5)
    assert sweep(django_capture_on_commit_callbacks, now=later) == 1


def test_resident_messages_do_not_count(active, http_sms, django_capture_on_commit_callbacks):
    gone(active)
    post_message(
        conversation_id=active.pk, author_kind=ActorKind.RESIDENT, body="hej", client_id="r1"
    )
    assert sweep(django_capture_on_commit_callbacks) == 0


def test_not_wanted_not_sent(active, pro, http_sms, django_capture_on_commit_callbacks):
    active.sms_wanted = False
    active.save(update_fields=["sms_wanted"])
    gone(active)
    write(active, pro, 1)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert http_sms.received == []


def test_the_in_process_loop_runs_the_sweep(
    active, pro, http_sms, settings, django_capture_on_commit_callbacks
):
    settings.RUN_SWEEPS_IN_PROCESS = True
    names = {job.name: job for job in background.jobs()}
    job = names["text messages after a disconnect"]
    assert job.every == settings.SWEEP_INTERVAL_SECONDS
    gone(active)
    write(active, pro, 1)
    with django_capture_on_commit_callbacks(execute=True):
        job.run(timezone.now() + timedelta(minutes=1))
    assert len(http_sms.received) == 1
    assert settings.CELERY_BEAT_SCHEDULE["notify-after-disconnect"]["task"] == (
        "notify.tasks.notify_after_disconnect"
    )


def test_a_notice_the_broker_never_got_is_handed_over_again(
    active, pro, http_sms, monkeypatch, django_capture_on_commit_callbacks
):
    from notify import tasks

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    gone(active)
    write(active, pro, 1)
    now = timezone.now() + timedelta(minutes=1)
    with monkeypatch.context() as patch:
        patch.setattr(tasks.send_sms, "delay", down)
        assert sweep(django_capture_on_commit_callbacks, now=now) == 1
    notice = SmsNotice.objects.get(conversation=active)
    assert (notice.state, notice.queued_at) == (SmsState.QUEUED, None)
    assert http_sms.received == []
    # The broker is back: a later round hands it over, and it is sent once.
    sweep(django_capture_on_commit_callbacks, now=now + timedelta(minutes=1))
    sweep(django_capture_on_commit_callbacks, now=now + timedelta(minutes=2))
    notice.refresh_from_db()
    assert notice.state == SmsState.SENT
    assert len(http_sms.received) == 1
    kinds = list(
        ConversationEvent.objects.filter(conversation=active, kind__startswith="sms_").values_list(
            "kind", flat=True
        )
    )
    assert kinds == [EventKind.SMS_QUEUED, EventKind.SMS_SENT]


def sweeps_grace() -> int:
    from notify.selectors import DISCONNECT_GRACE_SECONDS

    return DISCONNECT_GRACE_SECONDS
