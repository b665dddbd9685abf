"""N professionals claim the same conversation at the same moment on PostgreSQL:
exactly one wins, every other gets `already_claimed`."""

import threading

import pytest
from django.db import connection

from conversations import actions
from conversations.errors import DomainError
from conversations.models import ConversationEvent
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

N = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_exactly_one_wins():
    service = ServiceFactory()
    professionals = UserFactory.create_batch(N)
    service.professionals.add(*professionals)
    conversation = ConversationFactory(service=service)
    barrier = threading.Barrier(N)
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(professional):
        try:
            barrier.wait(timeout=10)
            actions.claim_conversation(conversation_id=conversation.pk, professional=professional)
            result = "won"
        except DomainError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(p,)) for p in professionals]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["already_claimed"] * (N - 1) + ["won"]
    conversation.refresh_from_db()
    assert conversation.status == "active" and conversation.assigned_to in professionals
    assert ConversationEvent.objects.filter(conversation=conversation, kind="claimed").count() == 1
