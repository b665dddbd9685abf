import logging

import pytest

from conversations import outages


@pytest.fixture(autouse=True)
def fresh_outages(monkeypatch):
    """Probes record outages in the process-wide state; each test starts clean."""
    monkeypatch.setattr(outages, "database", outages.Outage("database"))
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("channel layer"))


@pytest.mark.django_db
def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readyz_checks_database_and_channel_layer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok", "celery_broker": "ok"},
    }


@pytest.mark.django_db(transaction=True)
def test_readyz_says_which_part_is_down(client, settings, caplog):
    caplog.set_level(logging.INFO)
    working = settings.CHANNEL_LAYERS
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
        }
    }
    for _ in range(3):  # probed every few seconds
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {
            "database": "ok",
            "channel_layer": "unavailable",
            "celery_broker": "ok",
        }
    settings.CHANNEL_LAYERS = working
    assert client.get("/readyz").status_code == 200
    # The outage is logged once when it starts and once when it ends, not per probe.
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(messages) == 2, messages
    assert messages[0].startswith("channel layer unavailable")
    assert messages[1].startswith("channel layer available again after")


def test_probes_answer_plain_http_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/widget/").status_code == 301
