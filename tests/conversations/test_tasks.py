"""Housekeeping tasks, run by a real Celery worker on the Redis broker."""

import pytest

from conversations.models import ConversationStatus
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
    app.conf.update(
        task_always_eager=False, broker_url=redis_url(), result_backend="redis" + redis_url()[5:]
    )
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            result = close_waiting_in_closed_services.delay()
            assert result.get(timeout=20) == 1
    finally:
        app.conf.update(task_always_eager=True, broker_url="memory://", result_backend=None)
    waiting.refresh_from_db()
    assert waiting.status == "closed" and waiting.system_close_code == "service_closed"
    assert waiting.closed_by == "system"
