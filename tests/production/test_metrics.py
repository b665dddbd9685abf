"""/metrics: Prometheus figures, only for configured addresses or with the token."""

import re

import pytest
from django.utils import timezone

from chatservice import metrics
from conversations import actions
from conversations.models import ActorKind
from tests.factories import ConversationFactory

TOKEN = "metrics-token-for-tests-0123456789abcdef"


@pytest.fixture(autouse=True)
def _metrics_settings(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    settings.METRICS_TOKEN = TOKEN


def figure(text: str, name: str, **labels) -> float:
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = (
        re.escape(name) + (r"\{" + re.escape(label_text) + r"\}" if labels else "") + r" (\S+)"
    )
    match = re.search(r"^" + pattern + r"$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.mark.django_db
def test_refused_without_the_token_or_from_other_addresses(client, settings):
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not configured here
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert b"chatservice_" not in wrong.content
    # A configured network is let in without a token.
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403
    # Behind the proxy, a client cannot claim a configured address itself.
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = client.get(
        "/metrics", REMOTE_ADDR="10.1.0.9", HTTP_X_FORWARDED_FOR="10.1.2.3, 198.51.100.7"
    )
    assert spoofed.status_code == 403


@pytest.mark.django_db
def test_no_token_configured_means_addresses_only(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


@pytest.mark.django_db
def test_figures_change_when_a_conversation_is_opened_and_claimed(
    client, service, professional, django_capture_on_commit_callbacks
):
    slug = service.slug
    before = scrape(client)
    assert figure(before, "chatservice_queue_length", service=slug) == 0
    claims_before = figure(before, "chatservice_claim_latency_seconds_count")

    conversation = ConversationFactory(
        service=service, created_at=timezone.now() - timezone.timedelta(seconds=90)
    )
    opened = scrape(client)
    assert figure(opened, "chatservice_queue_length", service=slug) == 1
    assert figure(opened, "chatservice_queue_longest_wait_seconds", service=slug) >= 90

    with django_capture_on_commit_callbacks(execute=True):
        actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
        actions.post_message(
            conversation_id=conversation.pk,
            author_kind=ActorKind.STAFF,
            author=professional,
            body="Hello",
            client_id="m-1",
        )
    claimed = scrape(client)
    assert figure(claimed, "chatservice_queue_length", service=slug) == 0
    assert figure(claimed, "chatservice_claim_latency_seconds_count") == claims_before + 1
    # 90 s from start to claim: above the 60 s bucket, inside the 120 s one.
    assert figure(claimed, "chatservice_claim_latency_seconds_bucket", le="60.0") == 0
    assert figure(claimed, "chatservice_claim_latency_seconds_bucket", le="120.0") == 1
    assert figure(claimed, "chatservice_claim_latency_seconds_sum") >= 90
    assert figure(claimed, "chatservice_messages_stored_total") > figure(
        opened, "chatservice_messages_stored_total"
    )


@pytest.mark.django_db
def test_process_figures(client):
    metrics.OPEN_SOCKETS.labels(kind="resident").inc()
    metrics.PUBLISH_FAILURES.inc()
    try:
        text = scrape(client)
        assert figure(text, "chatservice_process_open_sockets", kind="resident") >= 1
        assert figure(text, "chatservice_process_publish_failures_total") >= 1
    finally:
        metrics.OPEN_SOCKETS.labels(kind="resident").dec()
