"""A transcript request whose hand-over to the broker failed is not stuck as
"queued": the sweep hands it over again. Sending is claimed first (queued →
sending, one UPDATE), so a task that runs twice sends once, and a claim whose
worker died is given up rather than sent a second time. (With a real worker and
broker: tests/reliability/test_fault_celery_worker.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from closing import actions, sweeps
from closing.models import TranscriptRequest, TranscriptState
from closing.tasks import send_transcript
from closing.tokens import make_transcript_token
from conversations.models import ConversationEvent, EventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_transcript, "delay", refuse)
    return monkeypatch


def ask(conversation, django_capture_on_commit_callbacks, email="a@example.net"):
    with django_capture_on_commit_callbacks(execute=True):
        request = actions.request_transcript(
            conversation_id=conversation.pk,
            token=make_transcript_token(conversation.pk),
            email=email,
        )
    request.refresh_from_db()
    return request


def test_a_request_the_broker_refused_stays_queued_until_the_sweep_hands_it_over(
    closed, smtp, broker_down, django_capture_on_commit_callbacks, caplog
):
    request = ask(closed, django_capture_on_commit_callbacks)
    assert (request.state, request.queued_at) == (TranscriptState.QUEUED, None)
    assert "queueing transcript request" in caplog.text and "a@example.net" not in caplog.text

    now = timezone.now()
    assert sweeps.requeue_transcripts(now=now) == 0  # just asked: its own hand-over's turn
    later = now + timedelta(minutes=1)
    assert sweeps.requeue_transcripts(now=later) == 0  # the broker is still down
    assert TranscriptRequest.objects.get().state == TranscriptState.QUEUED

    broker_down.undo()  # the broker is back (eager here: the task runs at once)
    assert sweeps.requeue_transcripts(now=later) == 1
    assert TranscriptRequest.objects.get().state == TranscriptState.SENT
    assert len(smtp.messages) == 1
    assert sweeps.requeue_transcripts(now=later + timedelta(hours=1)) == 0
    assert len(smtp.messages) == 1


def test_a_request_lost_by_the_broker_is_handed_over_again_later(
    closed, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    broker_down.undo()
    handed: list[int] = []
    monkeypatch.setattr(send_transcript, "delay", handed.append)  # accepted, then lost
    request = ask(closed, django_capture_on_commit_callbacks)
    assert handed == [request.pk] and request.queued_at is not None
    soon = request.queued_at + timedelta(minutes=sweeps.TRANSCRIPT_REQUEUE_MINUTES - 1)
    assert sweeps.requeue_transcripts(now=soon) == 0  # maybe still on its way
    late = request.queued_at + timedelta(minutes=sweeps.TRANSCRIPT_REQUEUE_MINUTES + 1)
    assert sweeps.requeue_transcripts(now=late) == 1
    assert handed == [request.pk, request.pk]


def test_a_task_that_runs_twice_sends_once(
    closed, smtp, broker_down, django_capture_on_commit_callbacks
):
    request = ask(closed, django_capture_on_commit_callbacks)
    assert actions.deliver_transcript(request_id=request.pk) == "sent"
    assert actions.deliver_transcript(request_id=request.pk) == "nothing"
    assert send_transcript.apply(args=(request.pk,)).get() == "nothing"
    assert len(smtp.messages) == 1
    request.refresh_from_db()
    assert (request.state, request.attempts, request.recipient) == (TranscriptState.SENT, 1, "")


def test_a_claimed_request_is_not_sent_by_another_task(
    closed, smtp, broker_down, django_capture_on_commit_callbacks
):
    request = ask(closed, django_capture_on_commit_callbacks)
    assert actions.claim_transcript(request_id=request.pk) is not None  # another worker has it
    assert actions.claim_transcript(request_id=request.pk) is None
    assert actions.deliver_transcript(request_id=request.pk) == "nothing"
    assert smtp.messages == []


def test_a_claim_whose_worker_died_is_given_up_not_sent_twice(
    closed, smtp, broker_down, django_capture_on_commit_callbacks
):
    request = ask(closed, django_capture_on_commit_callbacks)
    claimed = actions.claim_transcript(request_id=request.pk)
    assert claimed is not None and claimed.claimed_at is not None
    fresh = claimed.claimed_at + timedelta(minutes=sweeps.TRANSCRIPT_CLAIM_STALE_MINUTES - 1)
    assert sweeps.requeue_transcripts(now=fresh) == 0
    assert TranscriptRequest.objects.get().state == TranscriptState.SENDING
    stale = claimed.claimed_at + timedelta(minutes=sweeps.TRANSCRIPT_CLAIM_STALE_MINUTES + 1)
    assert sweeps.requeue_transcripts(now=stale) == 0
    request.refresh_from_db()
    assert (request.state, request.recipient) == (TranscriptState.FAILED, "")
    assert ConversationEvent.objects.filter(kind=EventKind.TRANSCRIPT_FAILED).count() == 1
    assert smtp.messages == []


def test_the_sweep_is_scheduled_for_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="closing.tasks.requeue_transcripts")
    assert task.enabled and task.interval is not None and task.interval.every == 60
