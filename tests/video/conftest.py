"""Fixtures of the video tests: an active conversation with its professional."""

import pytest
from django.utils import timezone

from conversations.models import ConversationStatus
from tests.factories import ConversationFactory, ServiceFactory, UserFactory


@pytest.fixture
def professional():
    return UserFactory()


@pytest.fixture
def conversation(professional):
    service = ServiceFactory()
    service.professionals.add(professional)
    return ConversationFactory(
        service=service,
        status=ConversationStatus.ACTIVE,
        assigned_to=professional,
        claimed_at=timezone.now(),
    )
