"""/readyz also checks the Celery broker, and says so when shutting down; Celery
task failures are counted for /metrics."""

import pytest
from celery.signals import task_failure
from kombu import Connection

from chatservice import health, lifecycle, metrics
from tests.conftest import need, redis_reachable


@pytest.fixture(autouse=True)
def fresh_outage(monkeypatch):
    monkeypatch.setattr(health, "celery_broker", health.outages.Outage("celery broker"))


@pytest.mark.django_db(transaction=True)
def test_readyz_names_an_unreachable_celery_broker(client, monkeypatch):
    assert client.get("/readyz").json()["checks"]["celery_broker"] == "ok"
    # A broker nobody listens on (port 1).
    monkeypatch.setattr(health, "_broker_connection", lambda: Connection("redis://127.0.0.1:1/0"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["celery_broker"] == "unavailable"
    assert health.celery_broker.down


@pytest.mark.django_db
def test_readyz_refuses_while_shutting_down(client, monkeypatch):
    monkeypatch.setitem(lifecycle._shutdown, "started", True)
    response = client.get("/readyz")
    assert (response.status_code, response.json()["status"]) == (503, "shutting_down")


class FailingTask:
    name = "tests.failing_task"


def _failures(client, settings) -> float:
    from tests.production.test_metrics import figure

    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    text = client.get("/metrics").content.decode()
    local = figure(text, "chatservice_process_celery_task_failures_total", task=FailingTask.name)
    shared = figure(text, "chatservice_celery_task_failures_total", task=FailingTask.name)
    return local + shared


@pytest.mark.django_db
@pytest.mark.parametrize("broker", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_celery_task_failures_are_counted(client, settings, broker):
    if broker == "redis":
        need(redis_reachable(), "needs Redis")
        import os
        import uuid

        settings.REDIS_URL = os.environ["REDIS_URL"]
        settings.CHANNEL_LAYER_PREFIX = f"t{uuid.uuid4().hex[:8]}"  # a key of this test's own
    else:
        settings.REDIS_URL = ""
    before = _failures(client, settings)
    task_failure.send(sender=FailingTask(), task_id="1", exception=RuntimeError("x"))
    task_failure.send(sender=FailingTask(), task_id="2", exception=RuntimeError("x"))
    assert _failures(client, settings) == before + 2
    if broker == "redis":
        metrics._redis().delete(metrics._failures_key())
