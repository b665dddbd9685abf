"""The Celery worker (and the broker) down when a transcript is requested.

A real `celery worker` process on a redis-server of this test's own (killed and
started again; the shared Redis is never touched), its own queue, PostgreSQL,
and a real SMTP server (aiosmtpd) that takes its time with every message.

- The worker is down when the resident asks: the request waits in the broker
  and the e-mail is sent once the worker is back, exactly once.
- The broker is down when the resident asks: handing the task over fails (the
  resident was told only "queued"); the request stays queued, nothing is lost
  while the broker stays down, and the sweep hands it over once it is back.
  The task then reaches two concurrent worker threads twice more (as a
  redelivery after a lost acknowledgement would): the claim lets exactly one
  send, and exactly one e-mail arrives."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from closing import actions, sweeps
from closing.models import TranscriptRequest, TranscriptState
from closing.tasks import send_transcript
from closing.tokens import make_transcript_token
from conversations.models import ConversationEvent, EventKind
from tests.closing.conftest import Sink, free_port, served_conversation
from tests.conftest import need
from tests.reliability.faults import (
    RedisServer,
    Worker,
    celery_app_on,
    wait_until_sync,
    worker_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SMTP_SECONDS = 1.5  # each message takes this long to be accepted


class SlowSink(Sink):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(SMTP_SECONDS)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp():
    sink = SlowSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()


@pytest.fixture
def broker():
    need(RedisServer.available(), "needs redis-server on PATH")
    with RedisServer() as server:
        yield server


@pytest.fixture
def worker(transactional_db, broker, smtp, tmp_path, request):
    controller, _sink = smtp
    concurrency = getattr(request, "param", 1)
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        broker.url(0),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=controller.hostname,
        EMAIL_PORT=str(controller.port),
    )
    process = Worker(broker.url(0), queue, tmp_path / "worker.log", env, concurrency)
    with celery_app_on(broker.url(0), queue):
        yield process
    process.stop()


def request_transcript(email: str) -> TranscriptRequest:
    conversation = served_conversation()
    return actions.request_transcript(
        conversation_id=conversation.pk,
        token=make_transcript_token(conversation.pk),
        email=email,
    )  # committed (transactional_db): handed to the broker on commit


def state(request: TranscriptRequest) -> str:
    return TranscriptRequest.objects.values_list("state", flat=True).get(pk=request.pk)


def test_worker_down_the_transcript_is_sent_once_it_is_back(worker, smtp):
    _controller, sink = smtp
    request = request_transcript("resident@example.net")
    # Waiting in the broker: no worker takes it.
    assert TranscriptRequest.objects.get(pk=request.pk).queued_at is not None
    assert state(request) == TranscriptState.QUEUED and sink.messages == []

    worker.start()
    wait_until_sync(lambda: sink.messages, timeout=60, what="the e-mail")
    wait_until_sync(lambda: state(request) == TranscriptState.SENT, timeout=30, what="sent")
    # Nothing is left to re-queue; nothing more arrives.
    assert sweeps.requeue_transcripts(now=timezone.now() + timedelta(hours=1)) == 0
    wait_until_sync(lambda: "succeeded" in worker.log(), timeout=30, what="the task to finish")
    assert len(sink.messages) == 1
    assert sink.envelopes[0].rcpt_tos == ["resident@example.net"]
    assert TranscriptRequest.objects.get(pk=request.pk).attempts == 1


@pytest.mark.parametrize("worker", [2], indirect=True)  # two tasks can run at once
def test_broker_down_the_sweep_requeues_and_duplicates_send_exactly_once(
    worker, broker, smtp, caplog
):
    _controller, sink = smtp
    broker.kill()
    request = request_transcript("resident@example.net")  # the hand-over fails
    assert any("queueing transcript request" in r.getMessage() for r in caplog.records)
    row = TranscriptRequest.objects.get(pk=request.pk)
    assert (row.state, row.queued_at) == (TranscriptState.QUEUED, None)

    later = timezone.now() + timedelta(minutes=1)
    assert sweeps.requeue_transcripts(now=later) == 0  # still down: still queued
    assert state(request) == TranscriptState.QUEUED

    broker.start()
    worker.start()
    assert sweeps.requeue_transcripts(now=later) == 1
    assert sweeps.requeue_transcripts(now=later) == 0  # handed over: not again
    # The same task twice more, as a redelivery would bring it, to both threads.
    send_transcript.delay(request.pk)
    send_transcript.delay(request.pk)

    wait_until_sync(
        lambda: worker.log().count("succeeded") >= 3, timeout=60, what="all three tasks"
    )
    wait_until_sync(lambda: state(request) == TranscriptState.SENT, timeout=10, what="sent")
    assert len(sink.messages) == 1, f"{len(sink.messages)} e-mails for one request"
    assert worker.log().count("'nothing'") == 2  # the duplicates did nothing
    row = TranscriptRequest.objects.get(pk=request.pk)
    assert row.attempts == 1 and row.recipient == ""
    assert (
        ConversationEvent.objects.filter(
            conversation_id=row.conversation_id, kind=EventKind.TRANSCRIPT_SENT
        ).count()
        == 1
    )
    assert "resident@example.net" not in worker.log()
