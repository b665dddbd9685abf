"""Housekeeping tasks, run by a real Celery worker on the Redis broker."""

import time
import uuid

import pytest

from conversations.models import Conversation, ConversationStatus
from conversations.tasks import close_waiting_in_closed_services
from tests.factories import ConversationFactory, ServiceFactory


@pytest.mark.django_db
def test_waiting_conversations_close_after_the_service_closes(professional):
    closed = ServiceFactory(always_open=False)
    waiting = ConversationFactory(service=closed)
    active = ConversationFactory(service=closed)
    active.service.professionals.add(professional)
    active.status, active.assigned_to = ConversationStatus.ACTIVE, professional
    active.save()
    open_service_waiting = ConversationFactory()

    assert close_waiting_in_closed_services() == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.system_close_code, waiting.closed_by) == (
        "closed",
        "service_closed",
        "system",
    )
    active.refresh_from_db()
    open_service_waiting.refresh_from_db()
    assert active.status == "active" and open_service_waiting.status == "waiting"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_task_from_the_redis_broker(settings):
    from celery.contrib.testing.worker import start_worker

    from chatservice.celery import app
    from tests.conftest import redis_url

    closed = ServiceFactory(always_open=False)
    waiting = ConversationFactory(service=closed)
    # Its own queue: other tests change the app's configuration and what it caches.
    queue = f"tasks-test-{uuid.uuid4().hex[:8]}"
    app.conf.update(task_always_eager=False, broker_url=redis_url())
    try:
        with start_worker(
            app, queues=[queue], perform_ping_check=False, pool="solo", loglevel="WARNING"
        ):
            close_waiting_in_closed_services.apply_async(queue=queue)
            # The worker's effect, not a result backend (whose client the app
            # caches per thread: another test may have made it a disabled one).
            deadline = time.monotonic() + 20
            while (
                ConversationStatus(
                    Conversation.objects.values_list("status", flat=True).get(pk=waiting.pk)
                )
                != ConversationStatus.CLOSED
            ):
                assert time.monotonic() < deadline, "the worker did not run the task"
                time.sleep(0.1)
    finally:
        app.conf.update(task_always_eager=True, broker_url="memory://")
    waiting.refresh_from_db()
    assert waiting.status == "closed" and waiting.system_close_code == "service_closed"
    assert waiting.closed_by == "system"
