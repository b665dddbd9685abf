"""The anonymous statistics row is written in the closing transaction."""

from datetime import timedelta

import pytest
from django.db import transaction

from conversations.actions import (
    claim_conversation,
    close_by_professional,
    transfer_to_service,
)
from conversations.models import ConversationEvent, ConversationStatistic, EventKind
from tests.closing.conftest import served_conversation
from tests.factories import ConversationFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_closing_writes_the_figures():
    conversation = served_conversation()
    statistic = ConversationStatistic.objects.get(conversation=conversation)
    claim = ConversationEvent.objects.get(conversation=conversation, kind=EventKind.CLAIMED)
    assert statistic.outcome == "handled"
    assert statistic.professional_id == conversation.assigned_to_id
    assert statistic.service_id == conversation.service_id
    assert statistic.started_at == conversation.created_at
    assert statistic.closed_at == conversation.closed_at
    assert statistic.wait_seconds == int(
        (claim.created_at - conversation.created_at).total_seconds()
    )
    assert statistic.handling_seconds == int(
        (conversation.closed_at - claim.created_at).total_seconds()
    )
    assert not statistic.identified and not statistic.survey_answered


def test_wait_is_counted_to_the_first_claim_across_transfers():
    service = ServiceFactory()
    pro = UserFactory()
    service.professionals.add(pro)
    conversation = ConversationFactory(service=service)
    conversation.created_at -= timedelta(minutes=10)
    conversation.save()
    claim_conversation(conversation_id=conversation.pk, professional=pro)
    transfer_to_service(conversation_id=conversation.pk, by=pro, service=service)
    claim_conversation(conversation_id=conversation.pk, professional=pro)
    close_by_professional(conversation_id=conversation.pk, professional=pro, reason="done")
    statistic = ConversationStatistic.objects.get(conversation=conversation)
    first = ConversationEvent.objects.filter(
        conversation=conversation, kind=EventKind.CLAIMED
    ).earliest("created_at", "id")
    assert statistic.transfers == 1
    assert statistic.wait_seconds == int(
        (first.created_at - conversation.created_at).total_seconds()
    )
    assert statistic.wait_seconds >= 600


def test_no_statistics_row_when_the_close_rolls_back():
    conversation = served_conversation(close=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        close_by_professional(
            conversation_id=conversation.pk, professional=conversation.assigned_to, reason="x"
        )
        assert ConversationStatistic.objects.filter(conversation=conversation).exists()
        raise RuntimeError
    assert not ConversationStatistic.objects.exists()
